# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Lists that lag behind their tasks.

The agent serves VNIC, etherstub and VLAN lists from its monitoring database,
refreshed by a collector every ~10 s (agent-api.md section 4). A create task
can be completed while the list does not show the object yet; reporting
success then would make the next run create it again. wait_visible() polls
until the list agrees, within the module's wait_timeout.
"""

from __future__ import annotations

import time

from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import TaskTimeoutError


def wait_visible(read, present, timeout, what, first_delay=0.1, max_delay=1.0, clock=time.monotonic,
                 sleep=time.sleep):
    """Poll read() until (read() is not None) == present; return the last read.

    `what` names the object for the error ("VNIC vnic0 in GET /network/vnics").
    """
    deadline = clock() + float(timeout)
    delay = first_delay
    current = read()
    while (current is not None) != present:
        remaining = deadline - clock()
        if remaining <= 0:
            raise TaskTimeoutError(
                "%s still %s after wait_timeout=%ss although its task completed"
                % (what, "missing" if present else "listed", timeout),
                hint="the agent refreshes this list every ~10 s (host_monitoring.intervals.network_config); "
                     "raise wait_timeout")
        sleep(min(delay, remaining))
        delay = min(max_delay, delay * 2)
        current = read()
    return current
