# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Datalinks and IP configuration through dladm, ipadm and routeadm: the native twin of agent/network.py.

Same method names and row shapes as NetworkAgentBackend, so the resources
(etherstub, vnic, vlan, ip_address, ip_forwarding, network_info) build the
same views whichever backend they drive:
- link rows {link, class, state, over, speed, mtu, macaddress} from
  `dladm show-link`, `show-phys` (speed), `show-phys -m` (MAC) and `show-vnic`;
- VNIC rows {link, over, vid, macaddress, macaddrtype, zone, state, mtu} from
  `dladm show-vnic` plus `show-link` (state, mtu);
- etherstub rows {link, state} and VLAN rows {link, over, vid, state, mtu};
- address rows {addrobj, interface, type, state, addr, ip_version} from
  `ipadm show-addr` (IPv6 colons unescaped properly, so no database fallback is needed);
- forwarding {forwarding: {ipv4, ipv6: {current, persistent}}, interfaces, raw}
  from `routeadm -p` and `ipadm show-ifprop -p forwarding -m ipv4`.

The commands answer from the live system, so there is no list lag: wait()
and settle() do not poll, settle() only re-reads once and insists that the
host agrees with the command that just succeeded. No tasks are started, so
`tasks` stays empty.

Every change has a `check_<operation>` of reads only, run before the change
and (through resources.common.preflight) in check mode, so a change that
would fail is refused before anything is touched: a name held by a link of
another class, a VNIC or VLAN that a zone holds or that carries an IP
interface (dladm would answer "link busy"), an etherstub under an address.
A missing link or IP interface is an error in a real run but only a warning
in check mode, where an earlier task of the same play may be about to
create it.

Choices that follow the agent so both backends leave the same host:
- a VLAN without a name gets the agent's name, <driver><1000*vid+ppa> (or
  vlan<vid>), passed to dladm explicitly;
- create-addr first runs `ipadm create-if` when the interface has no IP;
- deleting an interface's last address also deletes the IP interface
  (`ipadm delete-if`), which is what lets the VNIC under it be removed;
- enable-addr/disable-addr are temporary (-t): ipadm offers nothing else.

Command forms (illumos-native.md 1.5-1.7): options always before operands;
`dladm create-vnic -p` joins properties with ',' and a list value's items
with ',' too (libdladm reads a token without '=' as one more value [mem]).
"""

from __future__ import annotations

import re

from ansible_collections.zoneweaver.illumos.plugins.module_utils import values
from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import ConflictError, InputError, ZoneweaverError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.parsers import dladm as dladm_parser
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.parsers import ipadm as ipadm_parser
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.parsers import routeadm as routeadm_parser
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.parsers.common import output_lines, parsable_rows

VNIC_OVER = ("phys", "etherstub", "aggr")
VLAN_OVER = ("phys", "aggr")
PHYS_SPEED_FIELDS = ("link", "speed")
PHYS_MAC_FIELDS = ("link", "slot", "address")   # `dladm show-phys -m` [mem: field names]
VNIC_LINK_FIELDS = ("link", "speed", "macaddress")
LINKPROP_FIELDS = ("property", "value")
IFPROP_FIELDS = ("ifname", "current", "persistent")
_VLAN_BASE = re.compile(r"^([a-zA-Z]+)(\d+)$")


def vlan_name(link, vid):
    """The agent's name for a VLAN created without one: <driver><1000*vid+ppa> for a
    link named like igb0, else vlan<vid> (so both backends name it alike)."""
    match = _VLAN_BASE.match(link)
    if match:
        return "%s%d" % (match.group(1), 1000 * int(vid) + int(match.group(2)))
    return "vlan%d" % int(vid)


def _fields(fields):
    return ",".join(fields)


def _plural(items):
    return "s" if len(items) > 1 else ""


class HostDisagrees(ZoneweaverError):
    """A change command succeeded but reading the host right after does not show its effect."""


class NetworkNativeBackend:
    """The host's datalinks and IP configuration. `runner` is a CommandRunner; `warn` takes a message."""

    # ip_forwarding: this backend takes the wanted values directly (no agent request shapes).
    direct_forwarding = True

    def __init__(self, runner, warn=None):
        self.runner = runner
        self.warn = warn or (lambda message: None)
        self.tasks = []     # the agent's task ids; none here

    # ------------------------------------------------------------------ waiting (nothing lags)
    def wait(self, answer, timeout):
        return []

    def settle(self, answer, read, present, timeout, what):
        """Read once: the commands are synchronous and the reads live."""
        current = read()
        if (current is not None) != present:
            what = what.split(" in GET ", 1)[0]
            raise HostDisagrees("%s is %s on the host right after the command that should have %s it succeeded"
                                % (what, "missing" if present else "still there", "made" if present else "removed"),
                                hint="read the host with dladm/ipadm; another process may have changed it meanwhile")
        return current

    # ------------------------------------------------------------------ reads
    def _read(self, argv, missing=None):
        return self.runner.read(argv, missing=missing)

    def _show_link(self):
        """{link: {link, class, mtu, state, bridge, over}} of every datalink."""
        result = self._read(["dladm", "show-link", "-p", "-o", _fields(dladm_parser.LINK_FIELDS)])
        return dladm_parser.by_link(dladm_parser.parse_show_link(result.stdout))

    def _show_vnic(self):
        result = self._read(["dladm", "show-vnic", "-p", "-o", _fields(dladm_parser.VNIC_FIELDS)])
        return dladm_parser.parse_show_vnic(result.stdout)

    def _ip_interfaces(self):
        """Names of the IP interfaces (`ipadm show-if`)."""
        return set(ipadm_parser.parse_show_if(self._read(["ipadm", "show-if", "-p", "-o", "ifname"]).stdout))

    def links(self):
        """Every datalink: {link, class, state, over, speed, mtu, macaddress}."""
        links = self._show_link()
        speeds = dladm_parser.by_link(dladm_parser.parse_show_phys(
            self._read(["dladm", "show-phys", "-p", "-o", _fields(PHYS_SPEED_FIELDS)]).stdout, PHYS_SPEED_FIELDS))
        macs = {}
        for row in dladm_parser.parse_fields(
                self._read(["dladm", "show-phys", "-m", "-p", "-o", _fields(PHYS_MAC_FIELDS)]).stdout, PHYS_MAC_FIELDS):
            if row.get("slot") == "primary" and row.get("address"):
                macs[row["link"]] = values.normalize_mac(row["address"], "dladm show-phys -m address")
        vnics = dladm_parser.by_link(dladm_parser.parse_fields(
            self._read(["dladm", "show-vnic", "-p", "-o", _fields(VNIC_LINK_FIELDS)]).stdout, VNIC_LINK_FIELDS))
        rows = []
        for name, link in sorted(links.items()):
            extra = vnics.get(name) or speeds.get(name) or {}
            rows.append({"link": name, "class": link.get("class"), "state": link.get("state"),
                         "over": link.get("over"), "mtu": link.get("mtu"), "speed": extra.get("speed"),
                         "macaddress": (vnics.get(name) or {}).get("macaddress") or macs.get(name)})
        return rows

    def vnics(self):
        rows = self._show_vnic()
        links = self._show_link()
        for row in rows:
            link = links.get(row["link"]) or {}
            row["state"], row["mtu"] = link.get("state"), link.get("mtu")
        return rows

    def vnic_properties(self, name, names=None):
        """{property: current value or None} from `dladm show-linkprop -c`."""
        argv = ["dladm", "show-linkprop", "-c", "-o", _fields(LINKPROP_FIELDS)]
        if names:
            argv += ["-p", ",".join(names)]
        rows = parsable_rows(self._read(argv + [name]).stdout, LINKPROP_FIELDS, "dladm")
        return {row["property"]: row["value"] for row in rows if row.get("property")}

    def etherstubs(self):
        return [{"link": name, "state": link.get("state")} for name, link in sorted(self._show_link().items())
                if link.get("class") == "etherstub"]

    def vlans(self, live=True):
        rows = dladm_parser.parse_show_vlan(
            self._read(["dladm", "show-vlan", "-p", "-o", _fields(dladm_parser.VLAN_FIELDS)]).stdout)
        links = self._show_link()
        for row in rows:
            link = links.get(row["link"]) or {}
            row["state"], row["mtu"] = link.get("state"), link.get("mtu")
        return rows

    def addresses(self, live=True):
        rows = ipadm_parser.parse_show_addr(
            self._read(["ipadm", "show-addr", "-p", "-o", _fields(ipadm_parser.ADDR_FIELDS)]).stdout)
        for row in rows:
            row["ip_version"] = "v6" if ":" in (row.get("addr") or "") else "v4"
        return rows

    def forwarding(self):
        """The agent's GET /network/forwarding shape, from routeadm -p and ipadm show-ifprop."""
        text = self._read(["routeadm", "-p"]).stdout
        parsed = routeadm_parser.parse(text)
        glob = {}
        for family in ("ipv4", "ipv6"):
            entry = parsed.get("%s-forwarding" % family) or {}
            persistent = entry.get("persistent")
            if persistent == "default":
                persistent = entry.get("default")
            glob[family] = {"current": entry.get("current") or "unknown", "persistent": persistent or "unknown"}
        result = self._read(["ipadm", "show-ifprop", "-c", "-o", _fields(IFPROP_FIELDS), "-p", "forwarding",
                             "-m", "ipv4"])
        interfaces = [{"interface": row["ifname"], "current": row["current"], "persistent": row["persistent"]}
                      for row in ipadm_parser.parse_show_ifprop(result.stdout, IFPROP_FIELDS) if row.get("ifname")]
        return {"forwarding": glob, "interfaces": interfaces, "raw": text.strip()}

    # ------------------------------------------------------------------ checks (reads only)
    def _missing(self, msg, hint):
        """A link or interface that is not there: an error, but in check mode only a warning
        (an earlier task of the same check run may be about to create it)."""
        if self.runner.check_mode:
            self.warn("%s (check mode: assuming an earlier task creates it)" % msg)
            return
        raise InputError(msg, hint=hint)

    @staticmethod
    def _name_free(links, name, kind, allowed=()):
        taken = links.get(name)
        if taken is not None and taken.get("class") not in allowed:
            raise ConflictError("cannot create %s %s: the name is taken by a link of class %s"
                                % (kind, name, taken.get("class")),
                                hint="choose another name; datalink names are unique across all link classes")

    def _not_busy(self, name, kind, zone, interfaces):
        if zone:
            raise ConflictError("%s %s is in use by zone %s" % (kind, name, zone),
                                hint="halt the zone (or remove the NIC from its configuration) first")
        if name in interfaces:
            raise ConflictError("%s %s carries an IP interface; dladm refuses to delete it (link busy)" % (kind, name),
                                hint="remove its addresses first (zoneweaver.illumos.ip_address state=absent); "
                                     "the last one takes the IP interface with it")

    def check_create_vnic(self, body):
        links = self._show_link()
        name, over = body["name"], body["link"]
        self._name_free(links, name, "VNIC", allowed=("vnic",))
        parent = links.get(over)
        if parent is None:
            self._missing("link %s, the VNIC's link, does not exist on this host" % over,
                          hint="create the etherstub first, or name a physical link or aggregate (dladm show-link)")
        elif parent.get("class") not in VNIC_OVER:
            raise InputError("VNIC %s cannot go over %s, a link of class %s; a VNIC goes over a physical link, an "
                             "etherstub or an aggregate" % (name, over, parent.get("class")))

    def check_delete_vnic(self, name, vnic_rows=None, interfaces=None):
        rows = vnic_rows if vnic_rows is not None else self._show_vnic()
        row = next((r for r in rows if r.get("link") == name), None)
        if row is None:
            return
        self._not_busy(name, "VNIC", row.get("zone"), interfaces if interfaces is not None else self._ip_interfaces())

    def check_create_etherstub(self, name):
        self._name_free(self._show_link(), name, "etherstub", allowed=("etherstub",))

    def check_delete_etherstub(self, name, force=False):
        """The VNICs over the etherstub (all deletable, or ConflictError)."""
        rows = self._show_vnic()
        over = sorted(r["link"] for r in rows if r.get("over") == name)
        if over and not force:
            raise ConflictError("etherstub %s still carries VNIC%s %s" % (name, _plural(over), ", ".join(over)),
                                hint="remove those VNICs first, or set force: true", vnics=over)
        if over:
            interfaces = self._ip_interfaces()
            for vnic in over:
                self.check_delete_vnic(vnic, rows, interfaces)
        return over

    def check_create_vlan(self, body):
        links = self._show_link()
        name, over = body.get("name") or vlan_name(body["link"], body["vid"]), body["link"]
        self._name_free(links, name, "VLAN", allowed=("vlan",))
        parent = links.get(over)
        if parent is None:
            self._missing("link %s, the VLAN's link, does not exist on this host" % over,
                          hint="name a physical link or an aggregate (dladm show-phys)")
        elif parent.get("class") not in VLAN_OVER:
            raise InputError("VLAN %s cannot go over %s, a link of class %s; a VLAN goes over a physical link or "
                             "an aggregate" % (name, over, parent.get("class")))
        return name

    def check_delete_vlan(self, name):
        if name in self._show_link():
            self._not_busy(name, "VLAN", None, self._ip_interfaces())

    def check_create_address(self, body):
        interface = body["interface"]
        if interface == "lo0":
            return
        link = self._show_link().get(interface)
        if link is None:
            self._missing("datalink %s does not exist on this host" % interface,
                          hint="create the VNIC first (zoneweaver.illumos.vnic), or name an existing link")
            return
        if link.get("class") == "etherstub":
            raise InputError("%s is an etherstub, which carries no IP; put the address on a VNIC over it" % interface)
        zone = next((r.get("zone") for r in self._show_vnic() if r.get("link") == interface), None)
        if zone:
            raise ConflictError("%s is in use by zone %s; its addresses are configured inside the zone" % (interface, zone))

    def check_set_forwarding(self, body):
        wanted = body.get("interfaces") or {}
        if not wanted:
            return
        present = self._ip_interfaces()
        missing = sorted(name for name in wanted if name not in present)
        if missing:
            self._missing("IP interface%s %s: no such IP interface on this host" % (_plural(missing), ", ".join(missing)),
                          hint="give the interface an address first (zoneweaver.illumos.ip_address)")

    # ------------------------------------------------------------------ VNICs
    def create_vnic(self, body):
        self.check_create_vnic(body)
        argv = ["dladm", "create-vnic", "-l", body["link"]]
        mac = body.get("mac_address") or "auto"
        if mac == "factory":
            argv += ["-m", "factory", "-n", str(body["slot"])]
        elif mac != "auto":
            argv += ["-m", mac]
        if body.get("vlan_id") is not None:
            argv += ["-v", str(body["vlan_id"])]
        if body.get("properties"):
            argv += ["-p", ",".join("%s=%s" % (k, v) for k, v in sorted(body["properties"].items()))]
        self.runner.change(argv + [body["name"]])
        return {}

    def delete_vnic(self, name):
        self.check_delete_vnic(name)
        self.runner.change(["dladm", "delete-vnic", name])
        return {}

    def set_vnic_properties(self, name, properties):
        pairs = ",".join("%s=%s" % (k, v) for k, v in sorted(properties.items()))
        self.runner.change(["dladm", "set-linkprop", "-p", pairs, name])
        return {}

    # ------------------------------------------------------------------ etherstubs
    def create_etherstub(self, name):
        self.check_create_etherstub(name)
        self.runner.change(["dladm", "create-etherstub", name])
        return {}

    def delete_etherstub(self, name, force=False):
        """With force, the VNICs over it go first (each checked before anything is deleted)."""
        for vnic in self.check_delete_etherstub(name, force):
            self.runner.change(["dladm", "delete-vnic", vnic])
        self.runner.change(["dladm", "delete-etherstub", name])
        return {}

    # ------------------------------------------------------------------ VLANs
    def create_vlan(self, body):
        name = self.check_create_vlan(body)
        argv = ["dladm", "create-vlan"] + (["-f"] if body.get("force") else [])
        self.runner.change(argv + ["-l", body["link"], "-v", str(body["vid"]), name])
        return {"vlan_name": name}

    def delete_vlan(self, name):
        self.check_delete_vlan(name)
        self.runner.change(["dladm", "delete-vlan", name])
        return {}

    # ------------------------------------------------------------------ IP addresses
    def create_address(self, body):
        self.check_create_address(body)
        interface = body["interface"]
        if interface not in self._ip_interfaces():
            self.runner.change(["ipadm", "create-if", interface])
        argv = ["ipadm", "create-addr", "-T", body["type"]]
        if body["type"] == "static":
            argv += ["-a", "local=%s" % body["address"]]
        self.runner.change(argv + [body["addrobj"]])
        return {}

    def delete_address(self, addrobj, release=False):
        """ipadm delete-addr, then delete-if when it was the interface's last address (as the agent does)."""
        self.runner.change(["ipadm", "delete-addr"] + (["-r"] if release else []) + [addrobj])
        interface = str(addrobj).partition("/")[0]
        if interface == "lo0" or self.runner.check_mode:
            return {}
        left = self._read(["ipadm", "show-addr", "-p", "-o", "addrobj", interface], missing="ipadm")
        if left is not None and not output_lines(left.stdout):
            self.runner.change(["ipadm", "delete-if", interface])
        return {}

    def enable_address(self, addrobj):
        self.runner.change(["ipadm", "enable-addr", "-t", addrobj])
        return {}

    def disable_address(self, addrobj):
        self.runner.change(["ipadm", "disable-addr", "-t", addrobj])
        return {}

    # ------------------------------------------------------------------ forwarding
    def set_forwarding(self, body):
        """body: {ipv4?: bool, ipv6?: bool, interfaces?: {name: bool}} (resources.ip_forwarding.plan, direct)."""
        self.check_set_forwarding(body)
        for family in ("ipv4", "ipv6"):
            if body.get(family) is not None:
                self.runner.change(["routeadm", "-u", "-e" if body[family] else "-d", "%s-forwarding" % family])
        for name, enabled in sorted((body.get("interfaces") or {}).items()):
            self.runner.change(["ipadm", "set-ifprop", "-p", "forwarding=%s" % ("on" if enabled else "off"),
                                "-m", "ipv4", name])
        return {}
