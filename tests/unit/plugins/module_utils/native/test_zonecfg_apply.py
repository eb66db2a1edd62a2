"""The zonecfg interpreter follows zonecfg's lexer: ';'/newline end commands, no escapes, keywords."""

import pathlib

import pytest

from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.errors import ParseError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.parsers.zonecfg import parse_export
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.zonecfg_apply import apply, tokenize

OMNIOS_EXPORT = (pathlib.Path(__file__).parent / "fixtures" / "zonecfg_export_omnios.txt").read_text()


def test_semicolons_split_commands_like_newlines():
    one_line = 'create -b; set zonepath=/z; add attr; set name="ram"; set type="string"; set value="2G"; end'
    assert apply(one_line) == {"zonepath": "/z", "attr": [{"name": "ram", "type": "string", "value": "2G"}]}


def test_quoted_semicolon_is_data():
    config = apply('create -b\nadd attr\nset name="extra"\nset value="a; end; add net"\nend\n')
    assert config == {"attr": [{"name": "extra", "value": "a; end; add net"}]}


def test_unquoted_keyword_value_is_a_syntax_error():
    with pytest.raises(ParseError):
        apply("create -b\nset pool=default\n")
    assert apply('create -b\nset pool="default"\n') == {"pool": "default"}


def test_unquoted_equals_in_value_is_a_syntax_error():
    # How illumos-gate exports vcpus topologies; zonecfg cannot read that back.
    with pytest.raises(ParseError):
        apply("create -b\nadd attr\nset name=vcpus\nset value=sockets=1,cores=2\nend\n")


def test_unterminated_quote():
    with pytest.raises(ParseError):
        apply('create -b\nset zonepath="/z\n')


def test_omnios_export_applies_to_the_parsed_config():
    assert apply(OMNIOS_EXPORT) == parse_export(OMNIOS_EXPORT)


def test_select_and_remove():
    base = apply(OMNIOS_EXPORT)
    after = apply('select net physical="vnice3_0001_0"; set vlan-id="20"; end; remove attr name="extra"', base)
    assert after["net"][0]["vlan-id"] == "20"
    assert "extra" not in {a["name"] for a in after["attr"]}
    with pytest.raises(ParseError):
        apply('select net physical="nope0"; end', base)
    with pytest.raises(ParseError):
        apply('remove attr name="nope"', base)


def test_cancel_and_comments():
    assert apply("# comment; add net\ncreate -b\nadd net\nset physical=x0\ncancel\n") == {}


def test_tokens():
    commands = tokenize('add property (name=netif,value="a,b")')
    assert [t.text for t in commands[0]] == ["add", "property", "(", "name", "=", "netif", ",", "value", "=", "a,b",
                                             ")"]
