"""`zonecfg`: zone configurations on the simulated host (illumos-native.md 1.2, 1.3, 2).

    zonecfg -z ZONE export | info [resource]
    zonecfg -z ZONE -f FILE|-            a command file (stdin with '-')
    zonecfg -z ZONE 'cmd; cmd; ...'      commands as arguments (joined with spaces)
    zonecfg -z ZONE delete -F

Host zones keep their config the way `zadm show` prints it (the agent face
serves it as is): global properties, resources as lists, bhyve attributes
flattened to top-level keys, `bootdisk` as {path, size, sparse}. Commands
work on the zonecfg form (attributes as `attr` resources) and convert at
the edges. Export is OmniOS style: resource properties always quoted,
global properties bare unless they need quotes.

A command file commits at its end, all or nothing: the first error stops it
with exit code 1 and nothing is saved [mem]. Error texts carry the ones the
reference quotes [src]; the others are marked [mem].
"""
from __future__ import annotations

import copy
import re

from ..util import format_size, now_iso

TOOL = "zonecfg"

GLOBALS = ("zonename", "zonepath", "brand", "autoboot", "bootargs", "pool", "limitpriv", "scheduling-class",
           "ip-type", "hostid", "fs-allowed")
RESOURCES = ("fs", "net", "device", "capped-memory", "rctl", "attr", "dataset", "dedicated-cpu", "capped-cpu",
             "admin", "security-flags")
SINGLE = ("capped-memory", "dedicated-cpu", "capped-cpu", "security-flags")   # at most one of each
PROPS = {
    "fs": ("dir", "special", "raw", "type"),
    "net": ("address", "allowed-address", "physical", "mac-addr", "vlan-id", "global-nic", "defrouter"),
    "device": ("match",),
    "capped-memory": ("physical", "swap", "locked"),
    "rctl": ("name",),
    "attr": ("name", "type", "value"),
    "dataset": ("name",),
    "dedicated-cpu": ("ncpus", "importance"),
    "capped-cpu": ("ncpus",),
    "admin": ("user", "auths"),
    "security-flags": ("default", "lower", "upper"),
}
LISTS = {"fs": {"options": None}, "net": {"property": ("name", "value")}, "device": {"property": ("name", "value")},
         "rctl": {"value": ("priv", "limit", "action")}}
REQUIRED = {"fs": ("dir", "special", "type"), "net": ("physical",), "device": ("match",), "rctl": ("name",),
            "attr": ("name", "type", "value"), "dataset": ("name",), "admin": ("user", "auths")}
KEY_PROP = {"fs": "dir", "net": "physical", "device": "match", "rctl": "name", "attr": "name", "dataset": "name",
            "admin": "user"}
ATTR_TYPES = ("boolean", "int", "string", "uint")
# bootdisk keys that zadm adds from zfs; they are not part of the attr value
_ZADM_DISK_KEYS = ("path", "size", "sparse", "blocksize")
# Words the lexer returns as keywords, never as values (zonecfg_lex.l).
KEYWORDS = frozenset((
    "add", "cancel", "clear", "commit", "create", "delete", "end", "exit", "export", "help", "info", "remove",
    "revert", "select", "set", "verify", "net", "fs", "device", "rctl", "attr", "zonename", "dataset",
    "dedicated-cpu", "capped-cpu", "capped-memory", "zonepath", "brand", "autoboot", "pool", "limitpriv",
    "bootargs", "type", "value", "options", "address", "physical", "dir", "special", "raw", "name", "match",
    "priv", "limit", "action", "ncpus", "locked", "swap", "importance", "scheduling-class", "ip-type", "hostid",
    "user", "auths", "fs-allowed", "default", "lower", "upper", "allowed-address", "defrouter", "global-nic",
    "mac-addr", "vlan-id", "property", "admin", "security-flags",
))
READ_VERBS = frozenset(("export", "info", "verify", "help", "exit", "quit", "end", "cancel", "revert"))
POWERED = ("ready", "running", "shutting_down", "down", "mounted")


class ZonecfgError(Exception):
    pass


# --------------------------------------------------------------------------- lexer

class Token:
    def __init__(self, text: str, quoted: bool = False, punct: bool = False):
        self.text, self.quoted, self.punct = text, quoted, punct


def tokenize(script: str) -> list[tuple[int, list[Token]]]:
    """Script -> [(line number, tokens)], commands split at ';' and newlines."""
    commands, current, line, start_line, depth = [], [], 1, 1, 0
    i, n = 0, len(script)
    while i < n:
        c = script[i]
        if c in ";\n":
            if current:
                commands.append((start_line, current))
            current, depth = [], 0
            if c == "\n":
                line += 1
            i += 1
            start_line = line
        elif c in " \t\r":
            i += 1
        elif c == "#" and not current:
            j = script.find("\n", i)
            i = n if j < 0 else j
        elif c == '"':
            j = i + 1
            while j < n and script[j] not in '"\n':
                j += 1
            if j >= n or script[j] != '"':
                raise ZonecfgError(f"On line {line}:\nsyntax error: unterminated quoted string")
            current.append(Token(script[i + 1:j], quoted=True))
            i = j + 1
        elif c in "=()[]" or (c == "," and depth):
            depth += 1 if c in "([" else -1 if c in ")]" else 0
            current.append(Token(c, punct=True))
            i += 1
        else:
            stop = ' \t\r\n";=[]()' + ("," if depth else "")
            j = i
            while j < n and script[j] not in stop:
                j += 1
            current.append(Token(script[i:j]))
            i = j
    if current:
        commands.append((start_line, current))
    return commands


# --------------------------------------------------------------------------- forms

def _disk_value(value) -> str:
    if isinstance(value, dict):
        extra = [f"{k}={v}" for k, v in value.items() if k not in _ZADM_DISK_KEYS and v not in (None, "")]
        return ",".join([str(value.get("path") or "")] + extra)
    return str(value)


def _complex(text: str, keys) -> dict:
    """'(priv=privileged,limit=10,action=deny)' -> dict (agent-stored rctl values)."""
    out = {}
    for part in str(text).strip().strip("()").split(","):
        k, sep, v = part.partition("=")
        if sep:
            out[k.strip()] = v.strip().strip('"')
    return {k: out[k] for k in keys if k in out} or out


def to_zonecfg(flat: dict) -> dict:
    """zadm-style host config -> zonecfg form (globals + resource lists, attrs as `attr`)."""
    cfg: dict = {}
    attrs: list[dict] = []
    for key, value in flat.items():
        if key in GLOBALS:
            if value not in (None, ""):
                cfg[key] = str(value)
        elif key == "attr":
            attrs.extend(copy.deepcopy(a) for a in value or () if isinstance(a, dict))
        elif key in RESOURCES:
            items = [value] if isinstance(value, dict) else list(value or ())
            res = []
            for item in items:
                item = copy.deepcopy(item)
                if key == "rctl" and isinstance(item.get("value"), str):
                    item["value"] = [_complex(item["value"], LISTS["rctl"]["value"])]
                if key == "fs" and isinstance(item.get("options"), str):
                    item["options"] = [o for o in item["options"].strip("[]").split(",") if o]
                res.append({k: v for k, v in item.items() if v not in (None, "")})
            if res:
                cfg[key] = res
        elif value not in (None, ""):
            attrs.append({"name": key, "type": "string",
                          "value": _disk_value(value) if key == "bootdisk" else str(value)})
    if attrs:
        cfg["attr"] = attrs
    return cfg


def to_flat(cfg: dict, name: str, st) -> dict:
    """zonecfg form -> zadm-style host config (the inverse of to_zonecfg)."""
    flat = {"zonename": name}
    for key in GLOBALS[1:]:
        if cfg.get(key) not in (None, ""):
            flat[key] = cfg[key]
    for key in RESOURCES:
        if key == "attr" or not cfg.get(key):
            continue
        flat[key] = copy.deepcopy(cfg[key][0]) if key in SINGLE else copy.deepcopy(cfg[key])
    extra = []
    for attr in cfg.get("attr") or ():
        aname = attr.get("name")
        if attr.get("type") == "string" and aname not in flat and aname not in GLOBALS + RESOURCES + ("attr",):
            flat[aname] = _bootdisk(attr["value"], st) if aname == "bootdisk" else attr["value"]
        else:
            extra.append(copy.deepcopy(attr))
    if extra:
        flat["attr"] = extra
    return flat


def _bootdisk(value: str, st) -> dict:
    """zadm shows bootdisk with the zvol's size and sparseness read from zfs."""
    path, *options = value.split(",")
    disk = {"path": path}
    ds = st.datasets.get(path)
    if ds is not None and ds.get("type") == "volume" and ds.get("volsize"):
        disk["size"] = format_size(int(ds["volsize"]))
        refres = str(ds.get("properties", {}).get("refreservation", "none"))
        disk["sparse"] = "true" if refres in ("none", "0") else "false"
    for option in options:
        k, sep, v = option.partition("=")
        if sep:
            disk[k] = v
    return disk


# --------------------------------------------------------------------------- printing

_BARE = re.compile(r'^[^\s";=\[\]()#,]+$')


def _bare_or_quoted(value: str) -> str:
    return value if _BARE.match(value) and value not in KEYWORDS else f'"{value}"'


def _ordered(keys, known):
    return [k for k in known if k in keys] + sorted(k for k in keys if k not in known)


def export_text(cfg: dict) -> str:
    """`zonecfg export` (OmniOS): create -b, globals bare, resources quoted."""
    lines = ["create -b"]
    for key in GLOBALS[1:]:
        if cfg.get(key) not in (None, ""):
            lines.append(f"set {key}={_bare_or_quoted(cfg[key])}")
    for rtype in _ordered([k for k in cfg if k in RESOURCES], RESOURCES):
        for res in cfg[rtype]:
            lines.append(f"add {rtype}")
            lists = LISTS.get(rtype, {})
            for prop in _ordered([k for k in res if k not in lists], PROPS.get(rtype, ())):
                lines.append(f'set {prop}="{res[prop]}"')
            for prop, keys in lists.items():
                for item in res.get(prop) or ():
                    if keys is None:
                        lines.append(f"add {prop} {_bare_or_quoted(str(item))}")
                    else:
                        parts = [f'{k}="{item[k]}"' if k == "value" else f"{k}={item[k]}" for k in keys if k in item]
                        lines.append(f"add {prop} ({','.join(parts)})")
            lines.append("end")
    return "\n".join(lines) + "\n"


def info_text(cfg: dict, name: str, only: str | None = None) -> str:
    """`zonecfg info`: `key: value` lines, resources as tab-indented blocks."""
    lines = []
    if only is None:
        lines.append(f"zonename: {name}")
        for key in GLOBALS[1:]:
            value = cfg.get(key, "")
            if key == "brand" and not value:
                continue
            lines.append(f"{key}: {value}")
    for rtype in _ordered([k for k in cfg if k in RESOURCES], RESOURCES):
        if only is not None and rtype != only:
            continue
        for res in cfg[rtype]:
            lines.append(f"{rtype}:")
            lists = LISTS.get(rtype, {})
            for prop in _ordered([k for k in PROPS.get(rtype, ()) if k in res or rtype in ("net", "fs")]
                                 + [k for k in res if k not in lists and k not in PROPS.get(rtype, ())],
                                 PROPS.get(rtype, ())):
                if prop in res:
                    value = res[prop]
                    lines.append(f"\t{prop}: {_bare_or_quoted(value) if ' ' in value else value}")
                else:
                    lines.append(f"\t{prop} not specified")
            for prop, keys in lists.items():
                items = res.get(prop) or []
                if keys is None:
                    lines.append(f"\t{prop}: [{','.join(items)}]")
                else:
                    for item in items:
                        parts = [f'{k}="{item[k]}"' if k == "value" and rtype != "rctl" else f"{k}={item[k]}"
                                 for k in keys if k in item]
                        lines.append(f"\t{prop}: ({','.join(parts)})")
    return "\n".join(lines) + ("\n" if lines else "")


# --------------------------------------------------------------------------- discovery (the agent face)

def server_id_of(name: str) -> str | None:
    prefix, sep, _rest = name.partition("--")
    return prefix if sep and prefix.isdigit() else None


def discover(sim, name: str) -> None:
    """What the agent's discovery pass does for a zone it did not create:
    a DB row (auto_discovered) so GET /machines lists it."""
    st = sim.state
    hz = st.host_zones.get(name)
    row = st.machines.get(name)
    now = now_iso()
    if hz is None:
        if row is not None and not row.get("is_orphaned"):
            row["is_orphaned"] = True      # vanished from the host: the row stays, orphaned
            row["updatedAt"] = now
            st.dirty = True
        return
    if row is not None:
        row.update(is_orphaned=False, status=hz["state"], brand=hz["config"].get("brand") or row.get("brand"),
                   last_seen=now, updatedAt=now)
        st.dirty = True
        return
    st.machines[name] = {
        "id": st.next_id("zone"), "name": name, "zone_id": hz.get("uuid") or name, "host": sim.hostname,
        "status": hz["state"], "brand": hz["config"].get("brand") or "ipkg", "vnc_port": None, "is_orphaned": False,
        "auto_discovered": True, "last_seen": now, "server_id": server_id_of(name), "vm_type": "production",
        "notes": None, "tags": None, "document": {}, "createdAt": now, "updatedAt": now}
    st.dirty = True


# --------------------------------------------------------------------------- the interpreter

class Session:
    """One zonecfg run against one zone: a working copy, committed at the end."""

    def __init__(self, inv, name: str):
        self.inv = inv
        self.name = name
        self.st = inv.state
        hz = self.st.host_zones.get(name)
        self.exists = hz is not None
        self.state = hz["state"] if hz else None
        self.cfg = to_zonecfg(hz["config"]) if hz else None
        self.dirty = False
        self.deleted = False
        self.scope = None       # (rtype, resource dict, index of the selected resource or None)

    # -- helpers
    def _need_zone(self, creating_hint=True):
        if self.cfg is None:
            hint = "\nUse 'create' to begin configuring a new zone." if creating_hint else ""
            raise ZonecfgError(f"{self.name}: No such zone configured{hint}")   # [tool] + [mem] for the hint

    @property
    def installed(self) -> bool:
        return self.state not in (None, "configured", "incomplete")

    @staticmethod
    def _value(tokens: list[Token]) -> str:
        if len(tokens) != 1 or tokens[0].punct:
            raise ZonecfgError("syntax error: expected one value")
        tok = tokens[0]
        if not tok.quoted and tok.text in KEYWORDS:
            raise ZonecfgError(f"syntax error at '{tok.text}'")
        return tok.text

    @staticmethod
    def _pairs(tokens: list[Token]) -> dict:
        if len(tokens) % 3:
            raise ZonecfgError("syntax error: expected property=value")
        out = {}
        for i in range(0, len(tokens), 3):
            key, eq, value = tokens[i:i + 3]
            if eq.text != "=" or not eq.punct:
                raise ZonecfgError("syntax error: expected property=value")
            out[key.text] = Session._value([value])
        return out

    @staticmethod
    def _complex(tokens: list[Token], keys) -> dict:
        if len(tokens) < 5 or tokens[0].text != "(" or tokens[-1].text != ")":
            raise ZonecfgError("syntax error: expected (name=value,...)")
        inner, out = tokens[1:-1], {}
        for i in range(0, len(inner), 4):
            chunk = inner[i:i + 4]
            if len(chunk) < 3 or chunk[1].text != "=" or (len(chunk) == 4 and chunk[3].text != ","):
                raise ZonecfgError("syntax error: expected (name=value,...)")
            if chunk[0].text not in keys:
                raise ZonecfgError(f"unknown property '{chunk[0].text}'")
            out[chunk[0].text] = Session._value([chunk[2]])
        return {k: out[k] for k in keys if k in out}

    def _matches(self, rtype: str, filters: dict) -> list[int]:
        for key in filters:
            if key not in PROPS.get(rtype, ()):
                raise ZonecfgError(f"{key}: invalid property for resource type {rtype}")   # [mem]
        return [i for i, r in enumerate(self.cfg.get(rtype) or ())
                if all(r.get(k) == v for k, v in filters.items())]

    # -- commands
    def run(self, tokens: list[Token]) -> None:
        verb, args = tokens[0].text, tokens[1:]
        handler = getattr(self, "cmd_" + verb.replace("-", "_"), None)
        if handler is None or tokens[0].quoted:
            raise ZonecfgError(f"syntax error at '{verb}'")
        if self.deleted and verb not in ("exit", "quit"):
            raise ZonecfgError(f"{self.name}: No such zone configured")
        if self.scope is not None and verb not in ("set", "clear", "add", "remove", "end", "cancel", "info"):
            raise ZonecfgError(f"{verb}: not allowed while a {self.scope[0]} resource is being edited "
                               "(end or cancel it first)")   # [mem]
        handler(args)

    def cmd_create(self, args):
        flags = [a.text for a in args]
        force, blank = "-F" in flags, "-b" in flags
        template = flags[flags.index("-t") + 1] if "-t" in flags and flags.index("-t") + 1 < len(flags) else None
        if self.installed:
            raise ZonecfgError(f"Zone {self.name} already installed; create not allowed.")   # [src]
        if self.cfg is not None and not force:
            raise ZonecfgError(f"Zone {self.name} already exists; use 'create -F' to overwrite it.")   # [mem]
        if blank or template == "SYSblank":
            self.cfg = {}
        elif template in (None, "SYSdefault", "default"):
            self.cfg = {"brand": "ipkg", "autoboot": "false", "ip-type": "exclusive"}   # OmniOS SYSdefault [mem]
        else:
            raise ZonecfgError(f"create: template '{template}' does not exist")   # [mem]
        self.dirty = True

    def cmd_set(self, args):
        self._need_zone()
        if len(args) < 3 or args[1].text != "=":
            raise ZonecfgError("syntax error: expected set property=value")
        prop, value = args[0].text, self._value(args[2:])
        if self.scope is None:
            if prop not in GLOBALS or prop == "zonename":
                raise ZonecfgError(f"{prop}: unknown property" if prop not in GLOBALS
                                   else "zonename: renaming zones is not supported by zoneweaver-sim")
            if prop in ("zonepath", "brand") and self.installed:
                raise ZonecfgError(f"Zone {self.name} already installed; set {prop} not allowed.")   # [src]
            if prop == "autoboot" and value not in ("true", "false"):
                raise ZonecfgError(f"autoboot: invalid value '{value}' (true or false)")
            if prop == "ip-type" and value not in ("exclusive", "shared"):
                raise ZonecfgError(f"ip-type: invalid value '{value}' (exclusive or shared)")
            self.cfg[prop] = value
        else:
            rtype, res, _idx = self.scope
            if prop not in PROPS.get(rtype, ()):
                raise ZonecfgError(f"{prop}: invalid property for resource type {rtype}")   # [mem]
            if rtype == "attr" and prop == "type" and value not in ATTR_TYPES:
                raise ZonecfgError(f"type: invalid attribute type '{value}'")
            res[prop] = value
        self.dirty = True

    def cmd_clear(self, args):
        self._need_zone()
        prop = args[0].text if args else ""
        target = self.cfg if self.scope is None else self.scope[1]
        target.pop(prop, None)
        self.dirty = True

    def cmd_add(self, args):
        self._need_zone()
        if not args:
            raise ZonecfgError("add: resource type expected")
        if self.scope is None:
            rtype = args[0].text
            if rtype not in RESOURCES or len(args) != 1:
                raise ZonecfgError(f"add: unknown resource type '{rtype}'")
            if rtype in SINGLE and self.cfg.get(rtype):
                raise ZonecfgError(f"A {rtype} resource already exists.")   # [mem]
            self.scope = (rtype, {}, None)
            return
        rtype, res, _idx = self.scope
        prop = args[0].text
        keys = LISTS.get(rtype, {})
        if prop not in keys:
            raise ZonecfgError(f"add: {prop} is not a list property of {rtype}")   # [mem]
        value = self._value(args[1:]) if keys[prop] is None else self._complex(args[1:], keys[prop])
        res.setdefault(prop, []).append(value)
        self.dirty = True

    def cmd_select(self, args):
        self._need_zone()
        if not args or args[0].text not in RESOURCES:
            raise ZonecfgError("select: resource type expected")
        rtype = args[0].text
        found = self._matches(rtype, self._pairs(args[1:]))
        if not found:
            raise ZonecfgError(f"{rtype}: No such resource with that id")   # [mem]
        if len(found) > 1:
            raise ZonecfgError(f"{rtype}: More than one resource matches the given filters")   # [mem]
        self.scope = (rtype, copy.deepcopy(self.cfg[rtype][found[0]]), found[0])

    def cmd_remove(self, args):
        self._need_zone()
        if self.scope is not None:
            rtype, res, _idx = self.scope
            prop = args[0].text if args else ""
            keys = LISTS.get(rtype, {})
            if prop not in keys:
                raise ZonecfgError(f"remove: {prop} is not a list property of {rtype}")
            value = self._value(args[1:]) if keys[prop] is None else self._complex(args[1:], keys[prop])
            if value not in res.get(prop, []):
                raise ZonecfgError(f"{prop}: no such value")   # [mem]
            res[prop].remove(value)
            if not res[prop]:
                del res[prop]
            self.dirty = True
            return
        force = bool(args) and args[0].text == "-F"
        args = args[1:] if force else args
        if not args or args[0].text not in RESOURCES:
            raise ZonecfgError("remove: resource type expected")
        rtype, filters = args[0].text, self._pairs(args[1:])
        if not filters and not force and rtype not in SINGLE:
            raise ZonecfgError(f"remove: use 'remove -F {rtype}' to remove all {rtype} resources "
                               "when not interactive")   # [mem]
        found = self._matches(rtype, filters)
        if not found:
            raise ZonecfgError(f"{rtype}: No such resource with that id")   # [mem]
        if len(found) > 1 and filters and not force:
            raise ZonecfgError(f"{rtype}: More than one resource matches the given filters")   # [mem]
        self.cfg[rtype] = [r for i, r in enumerate(self.cfg[rtype]) if i not in found]
        if not self.cfg[rtype]:
            del self.cfg[rtype]
        self.dirty = True

    def cmd_end(self, args):
        if self.scope is None:
            raise ZonecfgError("end: no resource is being edited")   # [mem]
        rtype, res, idx = self.scope
        for prop in REQUIRED.get(rtype, ()):
            if res.get(prop) in (None, ""):
                raise ZonecfgError(f"{prop} not specified")   # [mem]
        key = KEY_PROP.get(rtype)
        items = self.cfg.setdefault(rtype, [])
        if key:
            for i, other in enumerate(items):
                if i != idx and other.get(key) == res.get(key):
                    raise ZonecfgError(f"Could not add {rtype} resource: {key} '{res.get(key)}' "
                                       "already exists")   # [mem]
        if idx is None:
            items.append(res)
        else:
            items[idx] = res
        self.scope = None
        self.dirty = True

    def cmd_cancel(self, args):
        if self.scope is None:
            raise ZonecfgError("cancel: no resource is being edited")
        self.scope = None

    def cmd_delete(self, args):
        self._need_zone(creating_hint=False)
        if "-F" not in [a.text for a in args]:
            raise ZonecfgError(f"delete: use 'delete -F' to delete zone {self.name} when not interactive")   # [mem]
        if self.installed:
            raise ZonecfgError(f"Zone {self.name} not in configured state; delete not allowed.")   # [src]
        self.st.host_zones.pop(self.name, None)
        self.st.dirty = True
        discover(self.inv.sim, self.name)
        self.deleted, self.dirty, self.cfg = True, False, None

    def cmd_export(self, args):
        self._need_zone(creating_hint=False)
        self.inv.out(export_text(self.cfg).rstrip("\n"))

    def cmd_info(self, args):
        self._need_zone(creating_hint=False)
        text = info_text(self.cfg, self.name, args[0].text if args else None)
        if text:
            self.inv.out(text.rstrip("\n"))

    def cmd_verify(self, args):
        self._need_zone(creating_hint=False)
        self.verify()

    def cmd_commit(self, args):
        self.commit()

    def cmd_exit(self, args):
        pass

    cmd_quit = cmd_exit

    def cmd_revert(self, args):
        hz = self.st.host_zones.get(self.name)
        self.cfg = to_zonecfg(hz["config"]) if hz else None
        self.dirty, self.scope = False, None

    def cmd_help(self, args):
        pass

    # -- commit
    def verify(self):
        if not self.cfg.get("zonepath"):
            raise ZonecfgError("zonepath cannot be empty.")   # [mem]
        if self.cfg.get("brand") == "bhyve" and self.cfg.get("ip-type", "exclusive") != "exclusive":
            raise ZonecfgError("bhyve zones must use ip-type=exclusive")   # [mem]

    def commit(self):
        if self.scope is not None:
            raise ZonecfgError(f"the {self.scope[0]} resource was not ended; nothing was saved")   # [mem]
        if not self.dirty or self.deleted:
            return
        self.verify()
        self.cfg.setdefault("brand", "ipkg")
        flat = to_flat(self.cfg, self.name, self.st)
        hz = self.st.host_zones.get(self.name)
        if hz is None:
            self.st.host_zones[self.name] = {"state": "configured", "config": flat, "uuid": None}
        else:
            hz["config"] = flat
        self.st.dirty = True
        discover(self.inv.sim, self.name)
        self.dirty = False


def _parse_args(argv: list[str]) -> tuple[str | None, str | None, list[str]]:
    """-> (zone, command file, subcommand words)."""
    zone, path, i = None, None, 0
    while i < len(argv) and argv[i].startswith("-") and argv[i] != "-":
        flag = argv[i]
        if flag in ("-z", "-f", "-R") and i + 1 < len(argv):
            if flag == "-z":
                zone = argv[i + 1]
            elif flag == "-f":
                path = argv[i + 1]
            i += 2
        elif flag == "--":
            i += 1
            break
        else:
            raise ZonecfgError(f"zonecfg: illegal option -- {flag.lstrip('-')}\n"
                               "usage: zonecfg -z zone [-f command_file | subcommand]")
    return zone, path, argv[i:]


def _script(inv, path: str | None, words: list[str]) -> tuple[str, bool]:
    if path is None:
        return " ".join(words), False
    if path in ("-", "/dev/stdin"):
        return inv.stdin, True
    if path in inv.files:
        return inv.files[path], True
    raise ZonecfgError(f"zonecfg: could not open file {path}: No such file or directory")   # [mem]


def is_mutating(inv) -> bool:
    try:
        _zone, path, words = _parse_args(inv.argv)
        text, _from_file = _script(inv, path, words)
        verbs = {tokens[0].text for _line, tokens in tokenize(text) if tokens}
    except ZonecfgError:
        return False
    return bool(verbs - READ_VERBS)


def run(inv):
    try:
        zone, path, words = _parse_args(inv.argv)
        if not zone:
            raise ZonecfgError("zonecfg: zone name required\nusage: zonecfg -z zone [-f command_file | subcommand]")
        if zone == "global":
            raise ZonecfgError("zonecfg: the global zone cannot be configured by zoneweaver-sim")
        text, from_file = _script(inv, path, words)
        commands = tokenize(text)
    except ZonecfgError as exc:
        inv.fail(str(exc), rc=1 if "usage" not in str(exc) else 2)
    if not commands:
        if path is None:
            inv.fail("zonecfg: interactive mode is not supported by zoneweaver-sim; give -f FILE or a subcommand", 2)
        return 0
    session = Session(inv, zone)
    for lineno, tokens in commands:
        try:
            session.run(tokens)
        except ZonecfgError as exc:
            inv.fail(f"On line {lineno}:\n{exc}" if from_file else str(exc))
    try:
        session.commit()
    except ZonecfgError as exc:
        inv.fail(str(exc))
    return 0
