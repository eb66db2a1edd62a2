# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""NAT rules and the ISC DHCP server through the host's own files and SMF: the
native twin of agent/nat_dhcp.py (same method names, same answer shapes), so
the resources plan and report alike whichever backend they drive.

Native means config files (illumos-native.md 1.9-1.11):
- NAT rules live in a managed block of /etc/ipf/ipnat.conf, the DHCP subnets
  and host entries in two managed blocks of /etc/dhcpd.conf
  (render/blocks.py): every other line of those files is kept byte for byte.
  Rules and entries outside the blocks are read (a rule written by hand is
  "configured" too) but never changed; removing one is refused, naming its line.
- A run is a transaction. Changes go to an in-memory copy that later reads of
  the same run see; commit() then writes each changed file once
  (files.atomic_write: temp file, validated with `ipnat -n -f` / `dhcpd -t -cf`
  when the tool is there, owner and mode kept, optional backup, rename) and
  reloads the service that reads it, only when the content changed:
    network/ipfilter   online: svcadm refresh; disabled: svcadm enable (as the
                       agent and vagrant-zones do: NAT needs IP Filter);
                       maintenance: svcadm clear
    dhcp:ipv4          new listen interface: svccfg setprop config/listen_ifnames
                       + svcadm refresh; then online: svcadm restart (dhcpd reads
                       its configuration only when it starts); maintenance:
                       svcadm clear; disabled: left alone (dhcp_service starts it)
  In check mode commit() writes nothing and runs no mutating command (the
  runner records them), yet the run's reads saw the planned content, so check
  mode reports what a real run does, diff included.
- Service states come from `svcs -H -o state,fmri` (parsers/svcs.py), loaded
  rules from `ipnat -l` (parsers/ipnat.py), listen interfaces from
  `svccfg -s FMRI listprop config/listen_ifnames`.
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
import shlex
import shutil
import time

from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import ConflictError, ZoneweaverError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native import files
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.parsers import dhcpd as dhcpd_parser
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.parsers import ipnat as ipnat_parser
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.parsers import svcs as svcs_parser
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.render import blocks
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.render import dhcpd as dhcpd_render
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.render import ipnat as ipnat_render

IPNAT_CONF = ipnat_render.CONFIG_FILE
DHCPD_CONF = dhcpd_render.CONFIG_FILE
IPFILTER_FMRI = "svc:/network/ipfilter:default"
DHCP_FMRI = "svc:/network/service/dhcp:ipv4"
IPFILTER_SERVICE = "network/ipfilter"
DHCP_SERVICE = "network/service/dhcp:ipv4"
LISTEN_PROPERTY = "config/listen_ifnames"
NAT_BLOCK, SUBNET_BLOCK, HOST_BLOCK = "nat_rule", "dhcp_subnet", "dhcp_host"
DHCP_ACTIONS = ("start", "stop", "refresh", "restart")
ONLINE = ("online", "degraded")
# Where dhcpd may live when it is not on PATH [mem: omnios-extra's isc-dhcp layout unverified].
EXTRA_BIN_DIRS = ("/usr/sbin", "/opt/ooce/sbin", "/usr/lib/inet")
POLL_INTERVAL, MAX_POLL_INTERVAL = 0.5, 5.0
DEFAULT_TIMEOUT = 600


def _normalised(line):
    """A rule line without its comment, whitespace collapsed."""
    return " ".join(str(line).split("#", 1)[0].split())


def managed_rule_id(text):
    """A managed rule's id: stable while its text is (copies share it, so deleting one deletes all)."""
    return "zw-" + hashlib.sha1(_normalised(text).encode("utf-8")).hexdigest()[:12]


def _split_list(text):
    return [item.strip() for item in str(text or "").replace(",", " ").split() if item.strip()]


def _network(subnet, netmask):
    try:
        return ipaddress.IPv4Network("%s/%s" % (subnet, netmask), strict=False)
    except ValueError:
        return None


def find_tool(name, which=None):
    """How to call `name`: by name when it is on PATH, by full path in EXTRA_BIN_DIRS, else None."""
    which = which or shutil.which
    if which(name):
        return name
    for directory in EXTRA_BIN_DIRS:
        found = which(name, path=directory)
        if found:
            return found
    return None


def listen_values(text):
    """`svccfg listprop config/listen_ifnames` -> the values, unquoted ([] when unset).

    Lines look like `config/listen_ifnames  astring  "e1000g0"` (one quoted
    word per value) [ZWA]."""
    for line in str(text or "").splitlines():
        parts = line.split(None, 2)
        if len(parts) >= 2 and parts[0] == LISTEN_PROPERTY:
            try:
                return shlex.split(parts[2]) if len(parts) == 3 else []
            except ValueError:
                return [parts[2].strip().strip('"')]
    return []


class NatDhcpNativeBackend:
    """IP Filter NAT and ISC dhcpd of the host the module runs on.

    runner: a CommandRunner; warn: takes a message; ipnat_conf/dhcpd_conf:
    the files (default the real paths); backup: keep a copy of a file before
    replacing it; read_active: run `ipnat -l` in nat_rules() (nat_rule needs
    only the configured rules). which/clock/sleep are injectable for tests.
    """

    # The resources let this backend run their apply path in check mode too:
    # nothing reaches the host before commit(), which check mode turns into a plan.
    transactional = True
    # dhcp_subnet: one declaration per network in the block; other subnets are kept.
    keeps_other_subnets = True

    def __init__(self, runner, warn=None, ipnat_conf=None, dhcpd_conf=None, backup=False, read_active=True,
                 which=None, clock=time.monotonic, sleep=time.sleep, poll_interval=POLL_INTERVAL, locking=False):
        self.runner = runner
        self.warn = warn or (lambda message: None)
        self.ipnat_conf = ipnat_conf or IPNAT_CONF
        self.dhcpd_conf = dhcpd_conf or DHCPD_CONF
        self.backup = bool(backup)
        self.read_active = read_active
        self.which = which or shutil.which
        self.clock = clock
        self.sleep = sleep
        self.poll_interval = poll_interval
        self._texts = {}        # path -> content as this run has it (planned changes included)
        self._originals = {}    # path -> content when first read (None: no such file)
        self._edited = []       # (path, block) this run changed, in order
        self._props = {}        # DHCP service property -> value to set at commit
        self._props_before = {}  # ... and the value it had
        self._committed = False
        self.actions = []       # what commit() did (or would do) to the services
        self.backup_files = []
        # Runs that may change a file lock it from their first read to their write (files.FileLock),
        # so parallel runs on one host serialise instead of dropping each other's entries.
        self.locking = bool(locking) and not runner.check_mode
        self._locks = {}

    # ------------------------------------------------------------------ files
    def _text(self, path):
        if path not in self._texts:
            if self.locking and path not in self._locks and os.path.isdir(os.path.dirname(os.path.abspath(path))):
                lock = files.FileLock(path)
                if lock.acquire():
                    self._locks[path] = lock
            try:
                content = files.read_file(path)
            except OSError as exc:
                raise ZoneweaverError("cannot read %s: %s" % (path, exc.strerror or exc),
                                      hint="run the task with become: true")
            self._originals[path] = content
            self._texts[path] = content or ""
        return self._texts[path]

    def _set_text(self, path, block, text):
        self._text(path)
        if self._committed:
            raise ZoneweaverError("a change after commit() would never be written (a library bug)")
        self._texts[path] = text
        if (path, block) not in self._edited:
            self._edited.append((path, block))

    def _changed_paths(self):
        paths = []
        for path, _block in self._edited:
            if path not in paths and self._texts[path] != (self._originals[path] or ""):
                paths.append(path)
        return paths

    def _validator(self, argv):
        tool = find_tool(argv[0], self.which)
        if tool is None:
            self.warn("%s was not found on the host, so the new content was not checked with `%s` before it was "
                      "written" % (argv[0], " ".join(argv).replace("%s", "FILE")))
            return None
        return [tool] + list(argv[1:])

    def _write(self, path, validate):
        directory = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(directory):
            raise ZoneweaverError("cannot write %s: the directory %s does not exist" % (path, directory),
                                  hint="create it, or point config_file at the file the service reads")
        argv = None if self.runner.check_mode else self._validator(validate)
        try:
            result = files.atomic_write(path, self._texts[path], backup=self.backup, validate=argv,
                                        runner=self.runner, check_mode=self.runner.check_mode)
        except PermissionError as exc:
            raise ZoneweaverError("cannot write %s: %s" % (path, exc.strerror or exc), hint="run the task with become: true")
        if result.get("backup_file"):
            self.backup_files.append(result["backup_file"])
        return result["changed"]

    def commit(self):
        """Write what this run changed and reload the services that read it (plan only, in check mode)."""
        if self._committed:
            return
        self._committed = True
        written = set()
        try:
            for path in self._changed_paths():
                if self._write(path, self._validate_command(path)):
                    written.add(path)
        finally:
            self.release_locks()
        self._reload(written)

    def _validate_command(self, path):
        """The argv (with '%s' for the temp file) that checks the new content of `path`."""
        return ipnat_render.VALIDATE if path == self.ipnat_conf else dhcpd_render.VALIDATE

    def _reload(self, written):
        """Make the services read the files just written (`written`: their paths)."""
        if self.ipnat_conf in written:
            self._reload_ipfilter(self.ipnat_conf)
        if self.dhcpd_conf in written or self._props:
            self._reload_dhcp(self.dhcpd_conf in written)

    def release_locks(self):
        for lock in self._locks.values():
            lock.release()
        self._locks = {}

    def diffs(self):
        """[{before, after, before_header, after_header}] for every managed block this run changed."""
        out = []
        for path, block in self._edited:
            before = blocks.find_block(self._originals.get(path) or "", block)
            after = blocks.find_block(self._texts[path], block)
            if before != after:
                header = "%s (%s %s)" % (path, blocks.MARKER, block)
                out.append({"before": _block_text(before), "after": _block_text(after),
                            "before_header": header, "after_header": header})
        for name, value in self._props.items():
            header = "%s %s" % (DHCP_FMRI, name)
            out.append({"before": "%s = %s\n" % (name, self._props_before.get(name) or ""),
                        "after": "%s = %s\n" % (name, value), "before_header": header, "after_header": header})
        return out

    def complete(self, result, diff=False):
        """commit(), then add what it did to the resource's result: service actions,
        backup_file, and (with diff) the managed blocks before and after."""
        self.commit()
        result.setdefault("actions", []).extend(self.actions)
        if self.backup_files:
            result["backup_file"] = self.backup_files[-1]
        if diff and result.get("changed"):
            changes = self.diffs()
            if changes:
                result["diff"] = changes
        return result

    # ------------------------------------------------------------------ services
    def service_state(self, fmri):
        """(state with '*' when transitioning, the svcs line) or ('unknown', None) when there is no such instance."""
        answer = self.runner.read(["svcs", "-H", "-o", "state,fmri", fmri], missing="svcs")
        if answer is None:
            return "unknown", None
        rows = svcs_parser.parse_states(answer.stdout)
        if not rows:
            return "unknown", None
        row = rows[0]
        return row["state"] + ("*" if row["transitioning"] else ""), " ".join(answer.stdout.split())

    def _svcadm(self, verb, fmri, service):
        self.runner.change(["svcadm", verb, fmri])
        self.actions.append("svcadm %s %s" % (verb, service))

    def _after(self, fmri, service, what):
        if self.runner.check_mode:
            return
        state = self.service_state(fmri)[0]
        if state.rstrip("*") == "maintenance":
            self.warn("%s is in maintenance after %s; see `svcs -xv %s` and the service log" % (service, what, service))

    def _reload_ipfilter(self, path):
        """IP Filter's refresh method reloads ipf.conf and ipnat.conf (illumos-native.md 1.9)."""
        state = self.service_state(IPFILTER_FMRI)[0].rstrip("*")
        verb = {"online": "refresh", "degraded": "refresh", "maintenance": "clear", "disabled": "enable"}.get(state)
        if verb is None:
            self.warn("%s is %s, so the rules written to %s are not loaded now%s" % (
                IPFILTER_SERVICE, state, path,
                "" if state == "unknown" else "; IP Filter loads them when it starts"))
            return
        self._svcadm(verb, IPFILTER_FMRI, IPFILTER_SERVICE)
        self._after(IPFILTER_FMRI, IPFILTER_SERVICE, "loading %s" % path)

    def _reload_dhcp(self, file_changed):
        state = self.service_state(DHCP_FMRI)[0].rstrip("*")
        for name, value in self._props.items():
            self.runner.change(["svccfg", "-s", DHCP_FMRI, "setprop", name, "=", "astring:", value])
            self.actions.append("svccfg setprop %s = %s" % (name, value))
        if self._props:
            self._svcadm("refresh", DHCP_FMRI, DHCP_SERVICE)
        verb = {"online": "restart", "degraded": "restart", "maintenance": "clear"}.get(state)
        if verb is None:
            return  # disabled or offline: dhcpd reads the new configuration when it starts
        self._svcadm(verb, DHCP_FMRI, DHCP_SERVICE)
        self._after(DHCP_FMRI, DHCP_SERVICE, "its new configuration" if file_changed else "the new listen interface")

    def _settle(self, fmri, action, timeout):
        """Poll svcs until the service has settled after `action` (svcadm returns before it has)."""
        deadline = self.clock() + (timeout or DEFAULT_TIMEOUT)
        interval = self.poll_interval
        while True:
            state = self.service_state(fmri)[0]
            word = state.rstrip("*")
            if not state.endswith("*") and (
                    (action == "stop" and word == "disabled")
                    or (action in ("start", "restart") and word != "disabled")
                    or action == "refresh"):
                return state
            if self.clock() >= deadline:
                raise ZoneweaverError("%s is still %s, %ds after svcadm was asked to %s it"
                                      % (fmri, state, int(timeout or DEFAULT_TIMEOUT), action),
                                      hint="see `svcs -xv %s`" % fmri)
            self.sleep(interval)
            interval = min(interval * 2, MAX_POLL_INTERVAL)

    # ------------------------------------------------------------------ NAT
    def _nat_rows(self):
        """Every rule line of the ipnat file: [{id, raw_rule, ..., managed, line}]."""
        rows = []
        # damaged markers fail here, before anything is planned
        for number, line, inside in blocks.numbered_lines(self._text(self.ipnat_conf), NAT_BLOCK):
            rule = _normalised(line)
            if not rule:
                continue
            comment = line.split("#", 1)[1].strip() if "#" in line else None
            rows.append({"id": managed_rule_id(rule) if inside else "line:%d" % number, "raw_rule": rule, "rule": rule,
                         "description": comment or None, "created_by": None, "created_at": None,
                         "managed": inside, "line": number})
        return rows

    def _block_rules(self):
        return [_normalised(line) for line in blocks.find_block(self._text(self.ipnat_conf), NAT_BLOCK) or ()
                if _normalised(line)]

    def _set_rules(self, rules):
        text = ipnat_render.render(self._text(self.ipnat_conf), NAT_BLOCK, rules or None)
        self._set_text(self.ipnat_conf, NAT_BLOCK, text)

    def nat_rules(self):
        """{active_rules: `ipnat -l` text|None, configured_rules: [...], config_file}."""
        active = None
        if self.read_active:
            answer = self.runner.run(["ipnat", "-l"], check=False)
            if answer.rc == 0:
                ipnat_parser.parse_list(answer.stdout)  # refuse output of another shape
                active = answer.stdout.strip("\n")
        return {"active_rules": active, "configured_rules": self._nat_rows(), "config_file": self.ipnat_conf}

    def nat_status(self):
        state, raw = self.service_state(IPFILTER_FMRI)
        return {"service": IPFILTER_SERVICE, "state": state, "since": None, "raw": raw}

    def create_nat_rule(self, body, wait=True, timeout=None):
        from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.nat_rule import render_rule
        spec = dict(body)
        spec.setdefault("protocol", None)
        line = _normalised(render_rule(spec))
        rules = self._block_rules()
        if line not in rules:
            self._set_rules(rules + [line])
        return {}

    def delete_nat_rule(self, rule_id, wait=True, timeout=None):
        from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.nat_rule import rule_key
        rows = self._nat_rows()
        target = next((row for row in rows if row["id"] == rule_id), None)
        if target is None:
            return {}  # gone already (a copy with the same text went with the first delete)
        # Any copy outside the block (same rule, however spelled) stops the removal before anything changes.
        same = [row for row in rows if not row["managed"] and rule_key(row["raw_rule"]) == rule_key(target["raw_rule"])]
        if not target["managed"] or same:
            row = target if not target["managed"] else same[0]
            raise ConflictError("NAT rule %r is on line %d of %s, outside the block zoneweaver.illumos manages, "
                                "so it is left alone" % (row["raw_rule"], row["line"], self.ipnat_conf),
                                hint="remove that line by hand (this module changes only the lines between its "
                                     "'# BEGIN %s %s' and '# END' markers)" % (blocks.MARKER, NAT_BLOCK))
        self._set_rules([rule for rule in self._block_rules() if rule != target["raw_rule"]])
        return {}

    # ------------------------------------------------------------------ DHCP: reads
    def _dhcp_parts(self):
        """(subnets in our block, hosts in our block, everything outside both blocks), parsed."""
        text = self._text(self.dhcpd_conf)
        subnet_lines = blocks.find_block(text, SUBNET_BLOCK) or []
        host_lines = blocks.find_block(text, HOST_BLOCK) or []
        outside = blocks.render_block(blocks.render_block(text, SUBNET_BLOCK, None), HOST_BLOCK, None)
        return (dhcpd_parser.parse("\n".join(subnet_lines))["subnets"],
                dhcpd_parser.parse("\n".join(host_lines))["hosts"], dhcpd_parser.parse(outside))

    def dhcp_config(self):
        """{config_file, subnets: [...], hosts: [...]}, the agent's shape, from the whole file."""
        parsed = dhcpd_parser.parse(self._text(self.dhcpd_conf))
        subnets = []
        for entry in parsed["subnets"]:
            options = {"routers": ", ".join(entry["routers"])} if entry["routers"] else {}
            if entry["dns"]:
                options["dns"] = ", ".join(entry["dns"])
            start, end = entry["range"][-2:] if entry["range"] else (None, None)
            subnets.append({"subnet": entry["subnet"], "netmask": entry["netmask"], "options": options,
                            "range_start": start, "range_end": end})
        hosts = [{"hostname": h["name"], "mac": h["mac"], "ip": h["fixed_address"]} for h in parsed["hosts"]]
        return {"config_file": self.dhcpd_conf, "subnets": subnets, "hosts": hosts}

    def dhcp_hosts(self):
        return [dict(host, id=None, description=None) for host in self.dhcp_config()["hosts"]]

    def _current_listen(self):
        answer = self.runner.read(["svccfg", "-s", DHCP_FMRI, "listprop", LISTEN_PROPERTY], missing="svccfg")
        values = listen_values(answer.stdout) if answer is not None else []
        return " ".join(values) or None

    def dhcp_status(self):
        state = self.service_state(DHCP_FMRI)[0]
        if LISTEN_PROPERTY in self._props:
            listen = self._props[LISTEN_PROPERTY]
        else:
            listen = None if state == "unknown" else self._current_listen()
        return {"service": DHCP_SERVICE, "state": state, "since": None, "listen_interface": listen}

    # ------------------------------------------------------------------ DHCP: changes
    def _outside(self, what, name, line_hint):
        return ConflictError("%s %s is declared in %s outside the blocks zoneweaver.illumos manages, so it is left "
                             "alone" % (what, name, self.dhcpd_conf),
                             hint="remove or change it by hand (%s); this module changes only the lines between "
                                  "its '# BEGIN %s' and '# END' markers" % (line_hint, blocks.MARKER))

    def _set_subnets(self, subnets):
        rendered = [_subnet_entry(entry) for entry in subnets]
        text = self._text(self.dhcpd_conf)
        text = dhcpd_render.render(text, SUBNET_BLOCK, rendered, ()) if rendered else \
            dhcpd_render.render(text, SUBNET_BLOCK, None, None)
        self._set_text(self.dhcpd_conf, SUBNET_BLOCK, text)

    def _set_hosts(self, hosts):
        rendered = [{"name": h["name"], "mac": h["mac"], "address": h["fixed_address"], "hostname": h.get("hostname")}
                    for h in hosts]
        text = self._text(self.dhcpd_conf)
        text = dhcpd_render.render(text, HOST_BLOCK, (), rendered) if rendered else \
            dhcpd_render.render(text, HOST_BLOCK, None, None)
        self._set_text(self.dhcpd_conf, HOST_BLOCK, text)

    def put_dhcp_config(self, body, wait=True, timeout=None):
        """Write the declaration of body's network into the subnet block (other networks kept);
        set the listen interface when body names one."""
        network = _network(body["subnet"], body["netmask"])
        if network is None:  # the resource validated it; a library bug otherwise
            raise ValueError("bad subnet %r/%r" % (body["subnet"], body["netmask"]))
        inside, _hosts, outside = self._dhcp_parts()
        if any(_network(s["subnet"], s["netmask"]) == network for s in outside["subnets"]):
            raise self._outside("subnet", network, "its `subnet %s netmask %s { ... }` declaration"
                                % (network.network_address, network.netmask))
        entry = {"subnet": str(network.network_address), "netmask": str(network.netmask),
                 "routers": [body["router"]], "range": [body["range_start"], body["range_end"]],
                 "dns": _split_list(body.get("dns")), "domain_name": None}
        kept = [s for s in inside if _network(s["subnet"], s["netmask"]) != network]
        old = next((s for s in inside if _network(s["subnet"], s["netmask"]) == network), None)
        if old is not None:
            entry["domain_name"] = old.get("domain_name")
            kept.insert(inside.index(old), entry)
        else:
            kept.append(entry)
        self._set_subnets(kept)
        listen = body.get("listen_interface")
        if listen:
            state = self.service_state(DHCP_FMRI)[0]
            if state == "unknown":
                raise ZoneweaverError("the host has no %s service, so its listen interface cannot be set" % DHCP_FMRI,
                                      hint="install ISC DHCP (pkg install isc-dhcp)")
            current = self._current_listen()
            if listen != current:
                self._props_before.setdefault(LISTEN_PROPERTY, current)
                self._props[LISTEN_PROPERTY] = listen
        return {}

    def remove_dhcp_subnet(self, subnet, netmask):
        """Take the declaration of that network out of the subnet block (native only: the agent has no delete)."""
        network = _network(subnet, netmask)
        inside, _hosts, outside = self._dhcp_parts()
        if any(_network(s["subnet"], s["netmask"]) == network for s in outside["subnets"]):
            raise self._outside("subnet", network, "its `subnet %s netmask %s { ... }` declaration"
                                % (network.network_address, network.netmask))
        kept = [s for s in inside if _network(s["subnet"], s["netmask"]) != network]
        if len(kept) != len(inside):
            self._set_subnets(kept)
        return {}

    def add_dhcp_host(self, body, wait=True, timeout=None):
        _subnets, inside, outside = self._dhcp_parts()
        if any(h["name"] == body["hostname"] for h in outside["hosts"]):
            raise self._outside("host", body["hostname"], "its `host %s { ... }` declaration" % body["hostname"])
        hosts = [h for h in inside if h["name"] != body["hostname"]]
        hosts.append({"name": body["hostname"], "mac": body["mac"], "fixed_address": body["ip"], "hostname": None})
        self._set_hosts(hosts)
        return {}

    def remove_dhcp_host(self, hostname, wait=True, timeout=None):
        _subnets, inside, outside = self._dhcp_parts()
        if any(h["name"] == hostname for h in outside["hosts"]):
            raise self._outside("host", hostname, "its `host %s { ... }` declaration" % hostname)
        hosts = [h for h in inside if h["name"] != hostname]
        if len(hosts) != len(inside):
            self._set_hosts(hosts)
        return {}

    def dhcp_service(self, action, wait=True, timeout=None):
        """svcadm on dhcp:ipv4. start: enable (clear when in maintenance: enabling leaves it there);
        stop: disable; restart: restart (enable when disabled, clear when in maintenance); refresh."""
        if action not in DHCP_ACTIONS:  # a library bug, not user input: the resources map states to actions
            raise ValueError("unknown DHCP service action %r" % action)
        state = self.service_state(DHCP_FMRI)[0].rstrip("*")
        if state == "unknown":
            raise ZoneweaverError("the host has no %s service" % DHCP_FMRI, hint="install ISC DHCP (pkg install isc-dhcp)")
        verb = {"start": "clear" if state == "maintenance" else "enable", "stop": "disable", "refresh": "refresh",
                "restart": {"maintenance": "clear", "disabled": "enable"}.get(state, "restart")}[action]
        self._svcadm(verb, DHCP_FMRI, DHCP_SERVICE)
        if wait and not self.runner.check_mode:
            self._settle(DHCP_FMRI, action, timeout)
        return {}


def _block_text(lines):
    return "".join(line + "\n" for line in lines or ())


def _subnet_entry(entry):
    """A parsed subnet declaration -> the keys of render/dhcpd.render."""
    network = _network(entry["subnet"], entry["netmask"])
    rendered = {"subnet": str(network), "routers": entry.get("routers") or None, "dns": entry.get("dns") or None,
                "domain_name": entry.get("domain_name")}
    if entry.get("range"):
        rendered["range_start"], rendered["range_end"] = entry["range"][-2:]
    return rendered
