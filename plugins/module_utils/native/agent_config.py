# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Zoneweaver Agent's config.yaml: checks of the settings and their rendering as YAML text.

Pure functions (no Ansible, no I/O), so they are unit-tested directly.

check_settings() looks at the sections the collection's role manages (server
ports, ssl, database, api_keys, template_sources, provisioning.network,
host_monitoring.intervals), the values that would keep the agent from
starting or would be silently wrong; other sections pass as they are.

render_yaml() writes block YAML in the order given, every string as a
double-quoted scalar (JSON string syntax is valid YAML), so no value can
turn into another type or break the structure, and PyYAML is not needed on
the host.
"""

from __future__ import annotations

import ipaddress
import json
import re

HEADER = "# Zoneweaver Agent configuration, managed by Ansible (zoneweaver.illumos). Local edits are replaced.\n"
DIALECTS = ("sqlite", "postgres", "mysql", "mariadb")
# Keys whose values are credentials: masked in diffs, never returned.
SECRET_KEY_RE = re.compile(r"(token|password|secret|api_key|apikey)$", re.IGNORECASE)
PLAIN_KEY_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
MASK = "********"


def _section(settings, *path):
    value = settings
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _port_errors(settings, errors):
    server = _section(settings, "server")
    if server is None:
        return
    if not isinstance(server, dict):
        errors.append("server must be a mapping")
        return
    ports = {}
    for key in ("http_port", "https_port"):
        if key in server:
            value = server[key]
            if not _is_int(value) or not 1 <= value <= 65535:
                errors.append("server.%s must be a TCP port number (1-65535), not %r" % (key, value))
            else:
                ports[key] = value
    if len(ports) == 2 and ports["http_port"] == ports["https_port"]:
        errors.append("server.http_port and server.https_port must differ (both are %d)" % ports["http_port"])


def _absolute(value):
    return isinstance(value, str) and value.startswith("/")


def _ssl_errors(settings, errors):
    tls = _section(settings, "ssl")
    if tls is None:
        return
    for key in ("enabled", "generate_ssl"):
        if key in tls and not isinstance(tls[key], bool):
            errors.append("ssl.%s must be true or false, not %r" % (key, tls[key]))
    for key in ("cert_path", "key_path"):
        if key in tls and not _absolute(tls[key]):
            errors.append("ssl.%s must be an absolute path, not %r" % (key, tls[key]))
    if tls.get("enabled") is True and tls.get("generate_ssl") is False:
        missing = [k for k in ("cert_path", "key_path") if not tls.get(k)]
        if missing:
            errors.append("ssl: with generate_ssl false the agent needs %s" % " and ".join(missing))


def _database_errors(settings, errors):
    database = _section(settings, "database")
    if database is None:
        return
    dialect = database.get("dialect", "sqlite")
    if dialect not in DIALECTS:
        errors.append("database.dialect must be one of %s, not %r" % (", ".join(DIALECTS), dialect))
    elif dialect == "sqlite":
        if "storage" in database and not _absolute(database["storage"]):
            errors.append("database.storage must be an absolute path to the SQLite file, not %r" % database["storage"])
    else:
        if not database.get("host"):
            errors.append("database.host is needed with database.dialect %s" % dialect)
        if "port" in database and (not _is_int(database["port"]) or not 1 <= database["port"] <= 65535):
            errors.append("database.port must be a TCP port number, not %r" % database["port"])


def _template_errors(settings, errors):
    sources = _section(settings, "template_sources", "sources")
    if sources is None:
        return
    if not isinstance(sources, list):
        errors.append("template_sources.sources must be a list")
        return
    names, defaults = set(), 0
    for index, source in enumerate(sources):
        where = "template_sources.sources[%d]" % index
        if not isinstance(source, dict):
            errors.append("%s must be a mapping" % where)
            continue
        name = source.get("name")
        if not isinstance(name, str) or not name.strip():
            errors.append("%s.name must be a non-empty string" % where)
        elif name in names:
            errors.append("%s.name %r is used twice" % (where, name))
        else:
            names.add(name)
        url = source.get("url")
        if not isinstance(url, str) or not re.match(r"^https?://[^\s/]+", url):
            errors.append("%s.url must be an http:// or https:// URL, not %r" % (where, url))
        if source.get("default") is True:
            defaults += 1
    if defaults > 1:
        errors.append("template_sources.sources: only one source may be the default (%d are)" % defaults)


def _network_errors(settings, errors):
    network = _section(settings, "provisioning", "network")
    if network is None:
        return
    subnet = None
    if "subnet" in network:
        try:
            subnet = ipaddress.ip_network(str(network["subnet"]), strict=True)
        except ValueError as exc:
            errors.append("provisioning.network.subnet: %s" % exc)
    addresses = {}
    for key in ("host_ip", "dhcp_range_start", "dhcp_range_end"):
        if key not in network:
            continue
        try:
            addresses[key] = ipaddress.ip_address(str(network[key]))
        except ValueError:
            errors.append("provisioning.network.%s must be an IP address, not %r" % (key, network[key]))
            continue
        if subnet is not None and addresses[key] not in subnet:
            errors.append("provisioning.network.%s %s is outside the subnet %s" % (key, network[key], subnet))
    if "netmask" in network and subnet is not None and str(network["netmask"]) != str(subnet.netmask):
        errors.append("provisioning.network.netmask %s does not match the subnet %s (netmask %s)"
                      % (network["netmask"], subnet, subnet.netmask))
    start, end = addresses.get("dhcp_range_start"), addresses.get("dhcp_range_end")
    if start is not None and end is not None and start > end:
        errors.append("provisioning.network: dhcp_range_start %s is after dhcp_range_end %s" % (start, end))
    host = addresses.get("host_ip")
    if host is not None and start is not None and end is not None and start <= host <= end:
        errors.append("provisioning.network.host_ip %s lies inside the DHCP range" % host)


def _interval_errors(settings, errors):
    intervals = _section(settings, "host_monitoring", "intervals")
    if intervals is None:
        return
    if not isinstance(intervals, dict):
        errors.append("host_monitoring.intervals must be a mapping")
        return
    for key, value in intervals.items():
        if not _is_int(value) or value < 1:
            errors.append("host_monitoring.intervals.%s must be a whole number of seconds >= 1, not %r" % (key, value))


def check_settings(settings):
    """The list of problems of `settings` (empty when the agent can use them)."""
    if not isinstance(settings, dict):
        return ["the settings must be a mapping"]
    errors = []
    for section in ("server", "ssl", "database", "api_keys", "template_sources", "provisioning", "host_monitoring"):
        if section in settings and not isinstance(settings[section], dict):
            errors.append("%s must be a mapping, not %r" % (section, type(settings[section]).__name__))
    if errors:
        return errors
    keys = _section(settings, "api_keys") or {}
    for key in ("bootstrap_enabled", "bootstrap_auto_disable"):
        if key in keys and not isinstance(keys[key], bool):
            errors.append("api_keys.%s must be true or false, not %r" % (key, keys[key]))
    for check in (_port_errors, _ssl_errors, _database_errors, _template_errors, _network_errors, _interval_errors):
        check(settings, errors)
    return errors


def secret_values(settings):
    """Every non-empty value under a credential key (auth_token, password, ...), for masking."""
    found = []
    if isinstance(settings, dict):
        for key, value in settings.items():
            if SECRET_KEY_RE.search(str(key)) and isinstance(value, (str, int)) and not isinstance(value, bool) and value != "":
                found.append(str(value))
            else:
                found += secret_values(value)
    elif isinstance(settings, list):
        for item in settings:
            found += secret_values(item)
    return found


def mask_text(text):
    """`text` (rendered or hand-written YAML) with the value of every credential key replaced by MASK."""
    if text is None:
        return None
    pattern = re.compile(r"^(\s*(?:-\s+)?[\"']?[A-Za-z0-9_]*(?:token|password|secret|api_key|apikey)[\"']?\s*:\s*)(\S.*)$",
                         re.IGNORECASE | re.MULTILINE)
    return pattern.sub(lambda m: m.group(1) + '"%s"' % MASK, text)


def _scalar(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    return json.dumps(str(value), ensure_ascii=False)


def _key(key):
    key = str(key)
    return key if PLAIN_KEY_RE.match(key) and key.lower() not in ("true", "false", "null", "yes", "no", "on", "off") \
        else json.dumps(key, ensure_ascii=False)


def _lines(value, indent):
    pad = " " * indent
    out = []
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, (dict, list)) and item:
                out.append("%s%s:" % (pad, _key(key)))
                out += _lines(item, indent + 2)
            else:
                out.append("%s%s: %s" % (pad, _key(key), "{}" if item == {} else "[]" if item == [] else _scalar(item)))
    else:
        for item in value:
            if isinstance(item, (dict, list)) and item:
                inner = _lines(item, indent + 2)
                out.append("%s- %s" % (pad, inner[0][indent + 2:]))
                out += inner[1:]
            else:
                out.append("%s- %s" % (pad, "{}" if item == {} else "[]" if item == [] else _scalar(item)))
    return out


def render_yaml(settings):
    """config.yaml text for `settings` (a mapping), with the managed-file header."""
    return HEADER + "\n".join(_lines(settings, 0)) + "\n"
