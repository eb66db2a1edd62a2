# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""`svccfg -s FMRI listprop [pattern]` (illumos-native.md 1.10, 1.11).

Lines are `NAME  TYPE  VALUE...` with padded columns: a property group has no
value column (`config  application`), a property's values follow its type,
string types quoted one by one (`config/listen_ifnames  astring  "a" "b"`),
others bare (`config/port  count  5001`). A property without values ends
after its type.
"""

from __future__ import annotations

import shlex

from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.errors import ParseError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.parsers.common import output_lines

STRING_TYPES = frozenset(("astring", "ustring", "fmri", "host", "hostname", "net_address", "net_address_v4",
                          "net_address_v6", "uri"))
# Every SMF property type svccfg knows (scf_type_t; not in the project's reference, from svccfg(8)
# [mem]): any other word is refused before a command runs.
PROPERTY_TYPES = STRING_TYPES | frozenset(("boolean", "count", "integer", "time", "opaque"))


def parse_listprop(text):
    """-> {name: {"type": type, "values": [str, ...]}} of the properties (property groups left out)."""
    props = {}
    for line in output_lines(text):
        parts = line.split(None, 2)
        if len(parts) < 2:
            raise ParseError("svccfg listprop printed a line without a type", tool="svccfg", line=line)
        name, ptype = parts[0], parts[1]
        if "/" not in name:
            continue    # a property group
        raw = parts[2] if len(parts) == 3 else ""
        if ptype in STRING_TYPES:
            try:
                values = shlex.split(raw)
            except ValueError as exc:
                raise ParseError("svccfg listprop printed an unbalanced quote: %s" % exc, tool="svccfg", line=line)
        else:
            values = raw.split()
        props[name] = {"type": ptype, "values": values}
    return props


def setprop_value(ptype, values):
    """The value words of `svccfg setprop NAME = TYPE: VALUE`: strings quoted (svccfg lexes them again),
    several values as a parenthesised list."""
    def word(value):
        text = str(value)
        if ptype in STRING_TYPES:
            return '"%s"' % text.replace("\\", "\\\\").replace('"', '\\"')
        return text
    if len(values) == 1:
        return word(values[0])
    return "(" + " ".join(word(v) for v in values) + ")"
