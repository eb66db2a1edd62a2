"""zoneweaver.illumos.zones: options, groups, unsafe data, failures, cache, and the
pure helpers of module_utils/resources/zone_inventory.py (no ansible-inventory process)."""

import copy
import os

import pytest
import yaml

from ansible.errors import AnsibleError, AnsibleParserError
from ansible.inventory.data import InventoryData
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import inventory_loader

from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import EndpointMissingError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources import zone_inventory as zi

KEY = "hw_AAAAAAAAAAAAAAAA.unit-test-secret"


def row(name, status="running", brand="bhyve", tags=("web",), notes=None, address="10.0.0.5/24",
        mac="02:08:20:0a:0b:0c", vcpus="2"):
    config = {"zonename": name, "brand": brand, "autoboot": "true", "ram": "2G", "vcpus": vcpus,
              "net": [{"physical": "vnice3_0001_0", "global-nic": "igb0", "mac-addr": mac,
                       "allowed-address": address}]}
    return {"id": 1, "name": name, "zone_id": name, "host": "omni1", "status": status, "brand": brand,
            "vnc_port": None, "is_orphaned": False, "server_id": name[:4], "vm_type": "production",
            "notes": notes, "tags": list(tags), "configuration": config}


def agent(label="omni1", rows=(), url="https://omni1.example.com:5001", **extra):
    data = {"agent": label, "agent_url": url, "agent_host": zi.host_of(url), "noun": "machines",
            "rows": [copy.deepcopy(r) for r in rows], "dhcp_hosts": None, "nat_rules": None}
    data.update(extra)
    return data


def canned(*agents):
    return {"schema": 1, "agents": list(agents), "details": [], "complete": True}


@pytest.fixture
def warnings(monkeypatch):
    seen = []
    from ansible.utils.display import Display
    monkeypatch.setattr(Display, "warning", lambda self, msg, *a, **k: seen.append(msg))
    return seen


class Run:
    def __init__(self, tmp_path, monkeypatch):
        self.tmp_path = tmp_path
        self.monkeypatch = monkeypatch
        self.fetches = 0

    def plugin(self):
        return inventory_loader.get("zoneweaver.illumos.zones")

    def write(self, config, name="test.zoneweaver.yml"):
        path = self.tmp_path / name
        path.write_text(yaml.safe_dump(dict({"plugin": "zoneweaver.illumos.zones"}, **config)))
        return str(path)

    def __call__(self, config, data=None, cache=True, name="test.zoneweaver.yml"):
        """Parse `config`; with `data`, the agents are not asked (canned answers)."""
        path = self.write(config, name)
        plugin = self.plugin()
        if data is not None:
            def fetch(targets, sources):
                self.fetches += 1
                return copy.deepcopy(data)
            self.monkeypatch.setattr(plugin, "_fetch", fetch)
        inventory = InventoryData()
        plugin.parse(inventory, DataLoader(), path, cache=cache)
        if getattr(plugin, "_cache", None) is not None:
            plugin.update_cache_if_changed()
        self.last = plugin
        return inventory


@pytest.fixture
def run(tmp_path, monkeypatch):
    return Run(tmp_path, monkeypatch)


def groups_of(inventory, host):
    return sorted(g.name for g in inventory.get_host(host).get_groups() if g.name != "all")


# --------------------------------------------------------------------------- verify_file / options


@pytest.mark.parametrize("name,ok", [("a.zoneweaver.yml", True), ("zoneweaver.yaml", True), ("my.zones.yml", True),
                                     ("zones.yaml", True), ("zones.yml.bak", False), ("inventory.yml", False),
                                     ("zoneweaver.json", False)])
def test_verify_file_accepts_only_its_suffixes(run, tmp_path, name, ok):
    path = tmp_path / name
    path.write_text("plugin: zoneweaver.illumos.zones\n")
    assert run.plugin().verify_file(str(path)) is ok


def test_missing_file_is_not_verified(run, tmp_path):
    assert run.plugin().verify_file(str(tmp_path / "absent.zoneweaver.yml")) is False


def sources(run, config):
    plugin = run.plugin()
    plugin.loader = DataLoader()
    plugin._read_config_data(run.write(config))
    return plugin._sources()


def agent_targets(run, config):
    return sources(run, config)[0]


def hw_sources(run, config):
    return sources(run, config)[1]


def test_agent_labels_default_to_host_then_host_and_port(run):
    targets, hws = sources(run, {"agents": [
        {"url": "https://a.example.com:5001", "api_key": KEY},
        {"url": "http://127.0.0.1:5001", "api_key": KEY},
        {"url": "http://127.0.0.1:5002/", "api_key": KEY},
        {"url": "https://c.example.com:5001", "api_key": KEY, "name": "omni-c"}]})
    assert [t.label for t in targets] == ["a.example.com", "127.0.0.1_5001", "127.0.0.1_5002", "omni-c"]
    assert targets[2].url == "http://127.0.0.1:5002"
    assert hws == []


def test_api_key_from_environment_and_templates(run, monkeypatch):
    monkeypatch.setenv("OMNI2_KEY", "hw_BBBBBBBBBBBBBBBB.from-env")
    targets = agent_targets(run, {"agents": [
        {"url": "https://a:5001", "api_key": "{{ 'hw_CCCCCCCCCCCCCCCC' ~ '.templated' }}"},
        {"url": "https://b:5001", "api_key_env": "OMNI2_KEY"}]})
    assert targets[0].client_factory().api_key == "hw_CCCCCCCCCCCCCCCC.templated"
    assert targets[1].client_factory().api_key == "hw_BBBBBBBBBBBBBBBB.from-env"


def test_agent_without_key_is_a_source_failure_not_a_config_error(run, warnings):
    targets = agent_targets(run, {"agents": [{"url": "https://a:5001", "api_key_env": "ZW_UNSET_VARIABLE_X"}]})
    assert targets[0].error == "no API key (set api_key or api_key_env)"
    assert any("ZW_UNSET_VARIABLE_X is not set" in w for w in warnings)


@pytest.mark.parametrize("config,message", [
    ({}, "no source"),
    ({"agents": [{"api_key": KEY}]}, "needs a url"),
    ({"agents": [{"url": "https://a:5001", "apikey": KEY}]}, "unknown key(s) apikey"),
    ({"agents": [{"url": "https://a:5001", "api_key": KEY, "api_key_env": "X"}]}, "not both"),
    ({"agents": ["https://a:5001"]}, "must be a dictionary"),
    ({"agents": [{"url": "ftp://a", "api_key": KEY}]}, "http:// or https://"),
    ({"hyperweaver": [{"url": "https://hw:3443", "username": "u"}]}, "username and password, or a token"),
])
def test_bad_configuration_is_refused_before_any_request(run, config, message, monkeypatch):
    monkeypatch.delenv("ZONEWEAVER_URL", raising=False)
    with pytest.raises(AnsibleParserError) as info:
        sources(run, config)
    assert message in str(info.value)


def test_single_agent_from_environment(run, monkeypatch):
    monkeypatch.setenv("ZONEWEAVER_URL", "https://envhost:5001")
    monkeypatch.setenv("ZONEWEAVER_API_KEY", KEY)
    targets = agent_targets(run, {})
    assert [(t.label, t.url) for t in targets] == [("envhost", "https://envhost:5001")]
    assert targets[0].client_factory().api_key == KEY


def test_hyperweaver_entries_keep_their_agent_selection(run, monkeypatch):
    monkeypatch.setenv("HW_PW", "secret")
    hws = hw_sources(run, {"hyperweaver": [{"url": "https://hw:3443/", "username": "ops", "password_env": "HW_PW",
                                            "agents": ["omni1", 3]}]})
    assert hws[0].client.url == "https://hw:3443" and hws[0].client.username == "ops"
    assert hws[0].only == ["omni1", "3"]


# --------------------------------------------------------------------------- hosts, groups, vars


def test_groups_per_agent_state_brand_and_tag_with_sanitised_names(run):
    data = canned(agent("omni-1.lab", [row("0001--web.example.com", tags=["web-tier", "a.b"]),
                                       row("0002--db.example.com", status="installed", brand="lx", tags=[])]))
    inventory = run({"agents": [{"url": "https://x:5001", "api_key": KEY}]}, data)
    assert groups_of(inventory, "0001--web.example.com") == [
        "zoneweaver_agent_omni_1_lab", "zoneweaver_brand_bhyve", "zoneweaver_status_running",
        "zoneweaver_tag_a_b", "zoneweaver_tag_web_tier"]
    assert groups_of(inventory, "0002--db.example.com") == [
        "zoneweaver_agent_omni_1_lab", "zoneweaver_brand_lx", "zoneweaver_status_installed"]


def test_group_and_facts_prefix(run):
    data = canned(agent("omni1", [row("0001--web.example.com")]))
    inventory = run({"agents": [{"url": "https://x:5001", "api_key": KEY}], "group_prefix": "zw_",
                     "facts_prefix": "z_"}, data)
    host = inventory.get_host("0001--web.example.com")
    assert "zw_agent_omni1" in groups_of(inventory, host.name)
    assert host.vars["z_status"] == "running" and "zoneweaver_status" not in host.vars
    assert inventory.groups["zw_agent_omni1"].vars["z_agent_url"] == "https://omni1.example.com:5001"


def test_host_vars_and_ansible_host(run):
    data = canned(agent("omni1", [row("0001--web.example.com"), row("0002--x.example.com", address=None)]))
    inventory = run({"agents": [{"url": "https://x:5001", "api_key": KEY}]}, data)
    web = inventory.get_host("0001--web.example.com").vars
    assert web["ansible_host"] == "10.0.0.5"
    assert web["zoneweaver_vcpus"] == 2 and web["zoneweaver_ram"] == "2G"
    assert web["zoneweaver_tags"] == ["web"] and web["zoneweaver_addresses"] == ["10.0.0.5"]
    # the default set of host variables leaves out the costly and rarely used facts
    assert not {"zoneweaver_nics", "zoneweaver_server_id", "zoneweaver_notes", "zoneweaver_vm_type"} & set(web)
    assert "ansible_host" not in inventory.get_host("0002--x.example.com").vars
    agent_vars = inventory.groups["zoneweaver_agent_omni1"].vars
    assert agent_vars["zoneweaver_agent"] == "omni1" and agent_vars["zoneweaver_agent_host"] == "omni1.example.com"


def test_host_facts_chooses_the_host_variables_and_constructed_sees_all_facts(run):
    data = canned(agent("omni1", [row("0001--web.example.com")]))
    config = {"agents": [{"url": "https://x:5001", "api_key": KEY}]}
    everything = run(dict(config, host_facts=["all"]), data).get_host("0001--web.example.com").vars
    assert everything["zoneweaver_server_id"] == "0001"
    assert everything["zoneweaver_nics"][0]["mac_address"] == "02:08:20:0a:0b:0c"
    inventory = run(dict(config, host_facts=["name"], compose={"mac": "zoneweaver_nics[0].mac_address"},
                         keyed_groups=[{"key": "zoneweaver_vm_type", "prefix": "vmtype"}]), data)
    web = inventory.get_host("0001--web.example.com")
    assert web.vars["zoneweaver_name"] == "0001--web.example.com" and "zoneweaver_status" not in web.vars
    assert web.vars["mac"] == "02:08:20:0a:0b:0c" and web.vars["ansible_host"] == "10.0.0.5"
    assert "vmtype_production" in groups_of(inventory, web.name)


def test_constructed_compose_groups_keyed_groups_see_agent_vars(run):
    data = canned(agent("omni1", [row("0001--web.example.com", vcpus="4"), row("0002--db.example.com")]))
    inventory = run({"agents": [{"url": "https://x:5001", "api_key": KEY}],
                     "compose": {"ansible_host": "zoneweaver_name ~ '.internal'", "jump": "zoneweaver_agent_host"},
                     "groups": {"big": "zoneweaver_vcpus >= 4"},
                     "keyed_groups": [{"key": "zoneweaver_agent", "prefix": "on"}]}, data)
    web = inventory.get_host("0001--web.example.com")
    assert web.vars["ansible_host"] == "0001--web.example.com.internal"
    assert web.vars["jump"] == "omni1.example.com"
    assert "big" in groups_of(inventory, web.name) and "big" not in groups_of(inventory, "0002--db.example.com")
    assert "on_omni1" in groups_of(inventory, "0002--db.example.com")


def test_status_brand_tag_options_and_jinja_filters(run):
    rows = [row("0001--a.example.com"), row("0002--b.example.com", status="installed"),
            row("0003--c.example.com", brand="lx"), row("0004--d.example.com", tags=["db"]),
            row("0005--e.example.com", vcpus="8")]
    config = {"agents": [{"url": "https://x:5001", "api_key": KEY}]}
    assert sorted(run(dict(config, status=["running"]), canned(agent("o", rows))).hosts) == [
        "0001--a.example.com", "0003--c.example.com", "0004--d.example.com", "0005--e.example.com"]
    assert sorted(run(dict(config, brands=["lx"]), canned(agent("o", rows))).hosts) == ["0003--c.example.com"]
    assert sorted(run(dict(config, tags=["db", "nope"]), canned(agent("o", rows))).hosts) == ["0004--d.example.com"]
    assert sorted(run(dict(config, filters=["zoneweaver_vcpus > 4"]), canned(agent("o", rows))).hosts) == [
        "0005--e.example.com"]
    assert sorted(run(dict(config, filters=["'web' in tags", "status == 'running'", "brand != 'lx'"]),
                      canned(agent("o", rows))).hosts) == ["0001--a.example.com", "0005--e.example.com"]


def test_failing_filter_skips_the_zone_or_fails_with_strict(run):
    config = {"agents": [{"url": "https://x:5001", "api_key": KEY}], "filters": ["zoneweaver_nope.deeper"]}
    assert run(config, canned(agent("o", [row("0001--a.example.com")]))).hosts == {}
    with pytest.raises(AnsibleError, match="filter"):
        run(dict(config, strict=True), canned(agent("o", [row("0001--a.example.com")])))


def test_hostname_template_and_duplicates(run, warnings):
    data = canned(agent("omni1", [row("0001--web.example.com")]), agent("omni2", [row("0001--web.example.com")],
                                                                        url="https://omni2:5001"))
    config = {"agents": [{"url": "https://x:5001", "api_key": KEY}]}
    inventory = run(dict(config, hostname="{{ name | regex_replace('^[0-9]+--', '') }}"), data)
    assert list(inventory.hosts) == ["web.example.com"]
    assert any("skipped" in w and "omni2" in w and "hostname" in w for w in warnings)
    inventory = run(dict(config, hostname="{{ name }}@{{ agent }}"), data)
    assert sorted(inventory.hosts) == ["0001--web.example.com@omni1", "0001--web.example.com@omni2"]


def test_use_zlogin_only_for_native_zones(run):
    data = canned(agent("omni1", [row("0001--vm.example.com"), row("0002--sparse.example.com", brand="sparse")]))
    inventory = run({"agents": [{"url": "https://x:5001", "api_key": KEY}], "use_zlogin": True}, data)
    vm = inventory.get_host("0001--vm.example.com").vars
    native = inventory.get_host("0002--sparse.example.com").vars
    assert "ansible_connection" not in vm and vm["ansible_host"] == "10.0.0.5"
    assert native["ansible_connection"] == "zoneweaver.illumos.zlogin"
    assert native["ansible_host"] == "omni1.example.com" and native["ansible_zlogin_zone"] == "0002--sparse.example.com"


def test_compose_overrides_the_reachability_vars(run):
    data = canned(agent("omni1", [row("0001--vm.example.com")]))
    inventory = run({"agents": [{"url": "https://x:5001", "api_key": KEY}],
                     "compose": {"ansible_host": "'override.example.com'"}}, data)
    assert inventory.get_host("0001--vm.example.com").vars["ansible_host"] == "override.example.com"


def test_resolve_addresses_uses_dhcp_and_nat_rdr(run):
    rows = [row("0001--nat.example.com"), row("0002--dhcp.example.com", address=None, mac="2:8:20:0:0:2")]
    data = canned(agent("omni1", rows, dhcp_hosts=[{"hostname": "dhcp", "mac": "02:08:20:00:00:02",
                                                    "ip": "10.190.190.12"}],
                        nat_rules=[{"type": "rdr", "raw_rule": "rdr igb0 0/0 port 2201 -> 10.0.0.5 port 22 tcp"}]))
    inventory = run({"agents": [{"url": "https://x:5001", "api_key": KEY}], "resolve_addresses": True}, data)
    nat = inventory.get_host("0001--nat.example.com").vars
    assert (nat["ansible_host"], nat["ansible_port"]) == ("omni1.example.com", 2201)
    assert nat["zoneweaver_ssh_forward"] == {"host": "omni1.example.com", "port": 2201}
    dhcp = inventory.get_host("0002--dhcp.example.com").vars
    assert dhcp["ansible_host"] == "10.190.190.12" and dhcp["zoneweaver_dhcp_address"] == "10.190.190.12"


# --------------------------------------------------------------------------- unsafe data


def test_plugin_declares_its_data_untrusted(run):
    assert run.plugin().trusted_by_default is False


def test_agent_data_is_never_templated(run):
    evil = "{{ 7 * 6 }}{{ lookup('ansible.builtin.pipe', 'id') }}"
    data = canned(agent("omni1", [row("0001--web.example.com", notes=evil, tags=["{{ 1 + 1 }}"])]))
    inventory = run({"agents": [{"url": "https://x:5001", "api_key": KEY}],
                     "compose": {"copy": "zoneweaver_notes", "first_tag": "zoneweaver_tags[0]",
                                 "joined": "zoneweaver_notes ~ '!'"},
                     "hostname": "{{ name }}"}, data)
    host = inventory.get_host("0001--web.example.com")
    assert host.vars["copy"] == evil
    assert host.vars["first_tag"] == "{{ 1 + 1 }}"
    assert host.vars["joined"] == evil + "!"


def test_template_in_a_zone_name_does_not_run_through_hostname(run):
    data = canned(agent("omni1", [row("{{ 6 * 7 }}")]))
    inventory = run({"agents": [{"url": "https://x:5001", "api_key": KEY}], "hostname": "{{ name }}"}, data)
    assert list(inventory.hosts) == ["{{ 6 * 7 }}"]


# --------------------------------------------------------------------------- failures


def test_unreachable_agent_warns_without_its_key_and_is_left_out(run, warnings):
    inventory = run({"agents": [{"url": "http://127.0.0.1:1", "api_key": KEY, "name": "dead"}], "timeout": 2})
    assert inventory.hosts == {}
    [warning] = [w for w in warnings if "dead" in w]
    assert "skipped agent 'dead' (http://127.0.0.1:1)" in warning and "cannot reach" in warning
    assert KEY not in warning and "unit-test-secret" not in warning


def test_strict_sources_turns_the_warning_into_an_error(run):
    with pytest.raises(AnsibleError) as info:
        run({"agents": [{"url": "http://127.0.0.1:1", "api_key": KEY, "name": "dead"}], "strict_sources": True,
             "timeout": 2})
    assert "strict_sources" in str(info.value) and "'dead'" in str(info.value)
    assert "unit-test-secret" not in str(info.value)


def test_agent_without_key_is_reported(run, warnings):
    run({"agents": [{"url": "https://a:5001", "name": "nokey"}]})
    assert any("nokey" in w and "no API key" in w for w in warnings)


# --------------------------------------------------------------------------- cache


def cache_config(tmp_path, **extra):
    config = {"agents": [{"url": "https://x:5001", "api_key": KEY}], "cache": True,
              "cache_plugin": "ansible.builtin.jsonfile", "cache_connection": str(tmp_path / "cache")}
    config.update(extra)
    return config


def test_cache_is_read_then_flushed(run, tmp_path):
    data = canned(agent("omni1", [row("0001--web.example.com")]))
    config = cache_config(tmp_path)
    assert list(run(config, data).hosts) == ["0001--web.example.com"] and run.fetches == 1
    assert list(run(config, data).hosts) == ["0001--web.example.com"] and run.fetches == 1   # from the cache
    run(config, data, cache=False)                                                           # --flush-cache
    assert run.fetches == 2
    cached = os.listdir(tmp_path / "cache")
    assert len(cached) == 1 and KEY not in (tmp_path / "cache" / cached[0]).read_text()


def test_cache_is_keyed_per_file_and_invalidated_by_changed_options(run, tmp_path):
    data = canned(agent("omni1", [row("0001--web.example.com")]))
    run(cache_config(tmp_path), data, name="one.zoneweaver.yml")
    run(cache_config(tmp_path), data, name="two.zoneweaver.yml")
    assert run.fetches == 2
    run(cache_config(tmp_path, want_details=True), data, name="two.zoneweaver.yml")
    assert run.fetches == 3


def test_incomplete_answers_are_not_cached_and_void_the_entry(run, tmp_path):
    complete = canned(agent("omni1", [row("0001--web.example.com")]))
    partial = dict(complete, complete=False)
    run(cache_config(tmp_path), partial)
    run(cache_config(tmp_path), partial)
    assert run.fetches == 2
    run(cache_config(tmp_path), complete)
    run(cache_config(tmp_path), complete)
    assert run.fetches == 3                      # the complete answer is cached
    run(cache_config(tmp_path), partial, cache=False)   # --flush-cache, and a source fails
    assert list(run(cache_config(tmp_path), complete).hosts) == ["0001--web.example.com"]
    assert run.fetches == 5                      # the old entry was voided: every source is asked again


# --------------------------------------------------------------------------- zone_inventory helpers


class FakeClient:
    url = "http://fake"

    def __init__(self, answers):
        self.answers = answers
        self.asked = []

    def get(self, path, params=None):
        self.asked.append(path)
        answer = self.answers[path]
        if isinstance(answer, Exception):
            raise answer
        return answer


def test_list_rows_asks_machines_once_or_falls_back_to_zones():
    modern = FakeClient({"/machines": {"machines": [row("0001--a.example.com")], "total": 1}})
    assert zi.list_rows(modern)[1] == "machines" and modern.asked == ["/machines"]
    old = FakeClient({"/machines": EndpointMissingError("Cannot GET /machines", status=404),
                      "/zones": {"zones": [row("0001--a.example.com"), {"no": "name"}], "total": 2}})
    rows, noun = zi.list_rows(old)
    assert noun == "zones" and len(rows) == 1 and old.asked == ["/machines", "/zones"]
    known = FakeClient({"/zones": {"zones": [], "total": 0}})
    assert zi.list_rows(known, "zones") == ([], "zones") and known.asked == ["/zones"]


def test_list_rows_refuses_what_is_not_an_agent():
    with pytest.raises(Exception, match="did not answer like a Zoneweaver Agent"):
        zi.list_rows(FakeClient({"/machines": "<!doctype html><html></html>"}))


def test_zone_facts_tolerate_odd_configurations():
    odd = row("0001--a.example.com", mac="not-a-mac")
    facts = zi.zone_facts(odd, "machines")
    assert facts["name"] == "0001--a.example.com" and facts["status"] == "running" and "facts_error" in facts


def test_detail_facts_add_live_state():
    detail = {"machine_info": row("0001--a.example.com"), "configuration": row("0001--a.example.com")["configuration"],
              "system_status": "running", "pending_tasks": [{"id": "t1", "operation": "stop", "status": "pending",
                                                             "output": "x"}],
              "pending_changes": None}
    facts = zi.zone_facts(row("0001--a.example.com"), "machines", detail)
    assert facts["system_status"] == "running" and facts["addresses"] == ["10.0.0.5"]
    assert facts["pending_tasks"] == [{"id": "t1", "operation": "stop", "status": "pending"}]
    assert set(zi.DETAIL_FACTS) <= set(facts)


def test_ssh_forward_parses_ipnat_rdr_rules():
    rules = [{"raw_rule": "map igb0 10.190.190.0/24 -> 0/32 portmap tcp/udp auto"},
             {"raw_rule": "rdr igb0 0/0 port 2222 -> 10.190.190.10 port 22 tcp"},
             {"rule": "rdr igb0 192.168.1.5/32 port 8022 -> 10.190.190.11 port 22"},
             {"raw_rule": "rdr igb0 192.0.2.20/32 -> 10.190.190.20"},        # the agent API's portless form
             {"raw_rule": "rdr igb0 0/0 -> 10.190.190.21"},
             {"raw_rule": "rdr igb0 192.0.2.0/24 -> 10.190.190.22"},         # a whole network: no single address
             {"raw_rule": "rdr igb0 0/0 port 80 -> 10.190.190.23 port 80 tcp"}]

    def forward(address):
        return zi.ssh_forward(address, rules, "omni1.example.com")
    assert forward("10.190.190.10") == ("omni1.example.com", 2222)
    assert forward("10.190.190.11") == ("192.168.1.5", 8022)
    assert forward("10.190.190.20") == ("192.0.2.20", None)
    assert forward("10.190.190.21") == ("omni1.example.com", None)
    assert forward("10.190.190.22") is None
    assert forward("10.190.190.23") is None                               # not ssh
    assert forward("10.190.190.99") is None


def test_dhcp_address_matches_mac_before_hostname():
    facts = {"name": "0001--web.example.com", "nics": [{"mac_address": "02:08:20:00:00:09"}]}
    hosts = [{"hostname": "web", "mac": "02:08:20:00:00:01", "ip": "10.0.0.1"},
             {"hostname": "other", "mac": "2:8:20:0:0:9", "ip": "10.0.0.9"}]
    assert zi.dhcp_address(facts, hosts) == "10.0.0.9"
    assert zi.dhcp_address(facts, hosts[:1]) == "10.0.0.1"
    assert zi.dhcp_address(facts, [{"hostname": "x", "mac": "bad", "ip": "1.2.3.4"}]) is None


# --------------------------------------------------------------------------- concurrency


def test_every_thread_gets_its_own_client_and_session():
    import threading
    agent_source = zi.DirectAgent("http://127.0.0.1:1", api_key=KEY)
    seen = []

    def grab():
        seen.append((agent_source.client(), agent_source.client()))

    threads = [threading.Thread(target=grab) for index in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(first is second for first, second in seen)            # reused within a thread
    sessions = {id(first._session) for first, second in seen}
    assert len(sessions) == 3                                        # never shared between threads
    agent_source.close()


class SlowClient(FakeClient):
    def get(self, path, params=None):
        import time
        time.sleep(0.3)
        return super().get(path, params)


def test_agents_are_read_at_the_same_time_within_max_workers():
    import time
    targets = []
    for index in range(8):
        target = zi.Target("a%d" % index, "http://a%d" % index, "a%d" % index)
        client = SlowClient({"/machines": {"machines": [row("%04d--z.example.com" % index)], "total": 1}})
        target.client_factory = lambda client=client: client
        targets.append(target)
    started = time.monotonic()
    with zi.Collector(max_workers=8) as collector:
        results, failures = collector.collect(targets)
    assert time.monotonic() - started < 0.9 and not failures
    assert [r["target"].label for r in results] == ["a%d" % i for i in range(8)]   # stable order
    started = time.monotonic()
    with zi.Collector(max_workers=2) as collector:
        collector.collect(targets)
    assert time.monotonic() - started >= 1.2                         # bounded: 4 waves of 2
