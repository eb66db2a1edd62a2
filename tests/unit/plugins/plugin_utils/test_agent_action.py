"""The controller-side runner of agent modules: what it hands to validation."""

from ansible._internal._datatag._tags import Origin
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.zoneweaver.illumos.plugins.plugin_utils.agent_action import plain_data

ORIGIN = Origin(path="/play.yml", line_num=3)


def test_tagged_values_become_the_plain_values_a_module_would_receive():
    args = {ORIGIN.tag("zones"): [{"name": ORIGIN.tag("web"), "vcpus": ORIGIN.tag(2), "ram": ORIGIN.tag(1.5),
                                   "nics": (ORIGIN.tag("igb0"),), "autoboot": True, "notes": None}]}
    out = plain_data(args)
    assert out == {"zones": [{"name": "web", "vcpus": 2, "ram": 1.5, "nics": ["igb0"], "autoboot": True,
                              "notes": None}]}
    key, = out
    item = out["zones"][0]
    assert [type(v) for v in (key, item["name"], item["vcpus"], item["ram"], item["nics"][0])] == \
        [str, str, int, float, str]
    assert Origin.get_tag(item["name"]) is None


def test_secrets_are_still_found_for_censoring_after_the_tags_are_gone():
    spec = {"api_key": {"type": "str", "no_log": True}, "name": {"type": "str"}}
    validated = ArgumentSpecValidator(spec).validate(plain_data({"api_key": ORIGIN.tag("hw_secret"),
                                                                 "name": ORIGIN.tag("web")}))
    assert not validated.error_messages
    assert "hw_secret" in validated._no_log_values


def test_values_it_does_not_know_are_left_for_validation_to_judge():
    marker = object()
    assert plain_data({"x": marker})["x"] is marker
    assert plain_data(b"raw") == b"raw"
