# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""/etc/dhcpd.conf subnets and hosts, in any layout (illumos-native.md 1.10).

vagrant-zones writes one declaration per line
(`host vm1 { option host-name "vm1"; hardware ethernet ...; fixed-address ...; }`),
the agent writes them over several lines; both are brace blocks of
';'-terminated statements with '#' comments, so this reads tokens, not lines.
Used to see entries outside our managed block (a MAC or address already
given to another host) before adding ours.
"""

from __future__ import annotations

from ansible_collections.zoneweaver.illumos.plugins.module_utils import values
from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import InputError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.errors import ParseError

_PUNCT = "{};,"


def tokenize(text):
    """Words, quoted strings (kept with their quotes) and the punctuation { } ; ,"""
    tokens, index, size = [], 0, len(text)
    while index < size:
        char = text[index]
        if char.isspace():
            index += 1
        elif char == "#":
            end = text.find("\n", index)
            index = size if end < 0 else end
        elif char == '"':
            end = index + 1
            while end < size and text[end] != '"':
                end += 2 if text[end] == "\\" else 1
            if end >= size:
                raise ParseError("dhcpd.conf has an unterminated string", tool="dhcpd", line=text[index:index + 80])
            tokens.append(text[index:end + 1])
            index = end + 1
        elif char in _PUNCT:
            tokens.append(char)
            index += 1
        else:
            end = index
            while end < size and not text[end].isspace() and text[end] not in _PUNCT + '"#':
                end += 1
            tokens.append(text[index:end])
            index = end
    return tokens


def _statements(tokens, start=0, depth=0):
    """-> (list of (words, children|None), next index)."""
    result, words, index = [], [], start
    while index < len(tokens):
        token = tokens[index]
        if token == ";":
            if words:
                result.append((words, None))
            words = []
        elif token == "{":
            children, index = _statements(tokens, index + 1, depth + 1)
            result.append((words, children))
            words = []
            continue
        elif token == "}":
            if depth == 0:
                raise ParseError("dhcpd.conf has an unmatched '}'", tool="dhcpd")
            if words:
                raise ParseError("dhcpd.conf statement %r is missing its ';'" % " ".join(words), tool="dhcpd")
            return result, index + 1
        else:
            words.append(token)
        index += 1
    if depth:
        raise ParseError("dhcpd.conf ends inside a '{' block", tool="dhcpd")
    if words:
        raise ParseError("dhcpd.conf statement %r is missing its ';'" % " ".join(words), tool="dhcpd")
    return result, index


def _unquote(word):
    return word[1:-1] if len(word) >= 2 and word[0] == '"' and word[-1] == '"' else word


def _list(words):
    return [w for w in words if w != ","]


def _host(words, children):
    host = {"name": _unquote(words[1]) if len(words) > 1 else None, "mac": None, "fixed_address": None,
            "hostname": None}
    for stmt, _nested in children:
        if stmt[:2] == ["hardware", "ethernet"] and len(stmt) > 2:
            try:
                host["mac"] = values.normalize_mac(stmt[2])
            except InputError:
                host["mac"] = stmt[2]
        elif stmt[0] == "fixed-address" and len(stmt) > 1:
            host["fixed_address"] = _list(stmt[1:])[0]
        elif stmt[:2] == ["option", "host-name"] and len(stmt) > 2:
            host["hostname"] = _unquote(stmt[2])
    return host


def _subnet(words, children):
    subnet = {"subnet": words[1] if len(words) > 1 else None,
              "netmask": words[3] if len(words) > 3 and words[2] == "netmask" else None,
              "routers": [], "range": None, "dns": [], "domain_name": None}
    for stmt, _nested in children:
        if stmt[:2] == ["option", "routers"]:
            subnet["routers"] = _list(stmt[2:])
        elif stmt[0] == "range" and len(stmt) >= 3:
            subnet["range"] = _list(stmt[1:])[-2:]
        elif stmt[:2] == ["option", "domain-name-servers"]:
            subnet["dns"] = _list(stmt[2:])
        elif stmt[:2] == ["option", "domain-name"] and len(stmt) > 2:
            subnet["domain_name"] = _unquote(stmt[2])
    return subnet


def parse(text):
    """-> {'subnets': [...], 'hosts': [...]}; hosts inside subnets/groups are found too."""
    statements, _end = _statements(tokenize(str(text or "")))
    found = {"subnets": [], "hosts": []}

    def walk(items):
        for words, children in items:
            if children is None or not words:
                continue
            if words[0] == "host":
                found["hosts"].append(_host(words, children))
            else:
                if words[0] == "subnet":
                    found["subnets"].append(_subnet(words, children))
                walk(children)
    walk(statements)
    return found
