# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Apply a zonecfg command script to a config dict, the way zonecfg would.

The lexer follows zonecfg_lex.l (see zonecfg_syntax): commands end at ';'
or newline, quoted values have no escapes, unquoted keywords are keywords.
Uses: proving that rendered scripts mean exactly what was planned (tests),
computing the config a change script leads to (diff mode's "after"), and a
fake zonecfg for the simulator. Only the commands our renderers write and
export prints are supported: create, set, clear, add, select, remove, end,
cancel, commit, verify, exit.
"""

from __future__ import annotations

import copy

from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.errors import ParseError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.zonecfg_syntax import KEYWORDS, LIST_PROPS

_PUNCT = "=()[],"


class Token:
    """A lexer token: `quoted` values are never keywords."""

    def __init__(self, text, quoted=False, punct=False):
        self.text = text
        self.quoted = quoted
        self.punct = punct

    def __repr__(self):
        return "Token(%r%s)" % (self.text, ", quoted" if self.quoted else "")


def _error(msg, line=None):
    return ParseError("zonecfg script: %s" % msg, tool="zonecfg", line=line)


def tokenize(script):
    """Script text -> list of commands, each a list of Tokens."""
    commands, current, depth = [], [], 0
    index, size = 0, len(script)
    while index < size:
        char = script[index]
        if char in ";\n":
            if current:
                commands.append(current)
            current, depth = [], 0
            index += 1
        elif char in " \t":
            index += 1
        elif char == "#" and not current:
            end = script.find("\n", index)
            index = size if end < 0 else end
        elif char == '"':
            end = index + 1
            while end < size and script[end] not in '"\n':
                end += 1
            if end >= size or script[end] != '"':
                raise _error("unterminated quoted value", script[index:end])
            current.append(Token(script[index + 1:end], quoted=True))
            index = end + 1
        elif char in _PUNCT and (char != "," or depth):
            depth += 1 if char in "([" else -1 if char in ")]" else 0
            current.append(Token(char, punct=True))
            index += 1
        else:
            stop = ' \t\n";=[]()' + ("," if depth else "")
            end = index
            while end < size and script[end] not in stop:
                end += 1
            current.append(Token(script[index:end]))
            index = end
    if current:
        commands.append(current)
    return commands


def _value(tokens, line):
    """One value token (quoted, or bare and not a keyword)."""
    if len(tokens) != 1 or tokens[0].punct:
        raise _error("expected one value", line)
    token = tokens[0]
    if not token.quoted and token.text in KEYWORDS:
        raise _error("syntax error at '%s' (a keyword where a value belongs)" % token.text, line)
    return token.text


def _complex(tokens, line):
    """'(' k '=' v (',' k '=' v)* ')' -> dict."""
    if len(tokens) < 5 or tokens[0].text != "(" or tokens[-1].text != ")":
        raise _error("expected (name=value,...)", line)
    result, inner = {}, tokens[1:-1]
    for start in range(0, len(inner), 4):
        chunk = inner[start:start + 4]
        if len(chunk) < 3 or chunk[1].text != "=" or (len(chunk) == 4 and chunk[3].text != ","):
            raise _error("expected (name=value,...)", line)
        result[chunk[0].text] = _value([chunk[2]], line)
    return result


def _pairs(tokens, line):
    """k=v k=v ... (select/remove filters)."""
    if len(tokens) % 3:
        raise _error("expected property=value filters", line)
    filters = {}
    for start in range(0, len(tokens), 3):
        key, equal, value = tokens[start:start + 3]
        if equal.text != "=":
            raise _error("expected property=value filters", line)
        filters[key.text] = _value([value], line)
    return filters


def _matching(config, rtype, filters, line):
    found = [r for r in config.get(rtype) or () if all(r.get(k) == v for k, v in filters.items())]
    if not found:
        raise _error("No such %s resource" % rtype, line)
    if len(found) > 1:
        raise _error("more than one %s resource matches" % rtype, line)
    return found[0]


def apply(script, config=None):
    """The config after running `script` on (a copy of) `config`."""
    config = copy.deepcopy(config or {})
    rtype, resource, selected = None, None, None
    for tokens in tokenize(script):
        line = " ".join(t.text for t in tokens)
        word, args = tokens[0].text, tokens[1:]
        if word == "create":
            config = {}
        elif word in ("commit", "verify", "exit"):
            continue
        elif word == "set":
            if len(args) < 3 or args[1].text != "=":
                raise _error("expected set property=value", line)
            (resource if rtype else config)[args[0].text] = _value(args[2:], line)
        elif word == "clear":
            (resource if rtype else config).pop(args[0].text, None)
        elif word == "add" and rtype is None:
            rtype, resource, selected = args[0].text, {}, None
        elif word == "add":
            prop = args[0].text
            value = _complex(args[1:], line) if LIST_PROPS.get(rtype, {}).get(prop) else _value(args[1:], line)
            resource.setdefault(prop, []).append(value)
        elif word == "select":
            if rtype is not None:
                raise _error("select inside a resource", line)
            rtype = args[0].text
            selected = _matching(config, rtype, _pairs(args[1:], line), line)
            resource = copy.deepcopy(selected)
        elif word == "remove" and rtype is None:
            target = _matching(config, args[0].text, _pairs(args[1:], line), line)
            config[args[0].text] = [r for r in config[args[0].text] if r is not target]
            if not config[args[0].text]:
                del config[args[0].text]
        elif word == "remove":
            items, value = resource.get(args[0].text, []), _value(args[1:], line)
            if value not in items:
                raise _error("no %s %r to remove" % (args[0].text, value), line)
            items.remove(value)
        elif word in ("end", "cancel"):
            if rtype is None:
                raise _error("%s outside a resource" % word, line)
            if word == "end":
                items = config.setdefault(rtype, [])
                if selected is not None:
                    items[[id(r) for r in items].index(id(selected))] = resource
                else:
                    items.append(resource)
            rtype, resource, selected = None, None, None
        else:
            raise _error("unknown command %r" % word, line)
    if rtype is not None:
        raise _error("script ended inside a %s resource" % rtype)
    return config
