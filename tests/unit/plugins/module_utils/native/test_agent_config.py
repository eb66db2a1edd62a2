"""The agent's config.yaml: checks, rendering, masking of credentials."""

import pytest
import yaml

from ansible_collections.zoneweaver.illumos.plugins.module_utils.native import agent_config

GOOD = {
    "server": {"http_port": 5000, "https_port": 5001},
    "ssl": {"enabled": True, "generate_ssl": True, "cert_path": "/etc/zw/ssl/c.crt", "key_path": "/etc/zw/ssl/k.key"},
    "database": {"dialect": "sqlite", "storage": "/var/lib/zoneweaver-agent/database/database.sqlite"},
    "api_keys": {"bootstrap_enabled": True},
    "template_sources": {"enabled": True, "local_storage_path": "rpool/templates", "sources": [
        {"name": "Default Registry", "url": "https://boxvault.example.com", "auth_token": "tok-123", "default": True},
        {"name": "lab", "url": "http://10.0.0.2:3000", "enabled": False}]},
    "provisioning": {"network": {"subnet": "10.190.190.0/24", "host_ip": "10.190.190.1", "netmask": "255.255.255.0",
                                 "dhcp_range_start": "10.190.190.10", "dhcp_range_end": "10.190.190.254"}},
    "host_monitoring": {"enabled": True, "intervals": {"network_config": 10, "storage": 300}},
    "zones": {"prefix_zone_names": True},
}


def test_good_settings_pass():
    assert agent_config.check_settings(GOOD) == []


def changed(path, value):
    settings = yaml.safe_load(yaml.safe_dump(GOOD))
    target = settings
    for key in path[:-1]:
        target = target[key] if not isinstance(key, int) else target[key]
    target[path[-1]] = value
    return settings


@pytest.mark.parametrize("path,value,message", [
    (("server", "https_port"), 70000, "server.https_port must be a TCP port number (1-65535), not 70000"),
    (("server", "http_port"), "5000", "server.http_port must be a TCP port number"),
    (("server", "http_port"), True, "server.http_port must be a TCP port number"),
    (("server", "http_port"), 5001, "must differ (both are 5001)"),
    (("ssl", "enabled"), "yes", "ssl.enabled must be true or false"),
    (("ssl", "cert_path"), "ssl/c.crt", "ssl.cert_path must be an absolute path"),
    (("database", "dialect"), "mongo", "database.dialect must be one of"),
    (("database", "storage"), "db.sqlite", "database.storage must be an absolute path"),
    (("template_sources", "sources", 1, "url"), "boxvault.example.com", "sources[1].url must be an http:// or https://"),
    (("template_sources", "sources", 1, "name"), "Default Registry", "is used twice"),
    (("template_sources", "sources", 1, "default"), True, "only one source may be the default"),
    (("provisioning", "network", "host_ip"), "10.0.0.1", "host_ip 10.0.0.1 is outside the subnet"),
    (("provisioning", "network", "subnet"), "10.190.190.1/24", "provisioning.network.subnet"),
    (("provisioning", "network", "netmask"), "255.255.0.0", "does not match the subnet"),
    (("provisioning", "network", "dhcp_range_end"), "10.190.190.5", "is after dhcp_range_end"),
    (("provisioning", "network", "host_ip"), "10.190.190.20", "lies inside the DHCP range"),
    (("host_monitoring", "intervals", "storage"), 0, "host_monitoring.intervals.storage must be a whole number"),
    (("api_keys", "bootstrap_enabled"), "true", "api_keys.bootstrap_enabled must be true or false"),
])
def test_bad_values_are_named(path, value, message):
    problems = agent_config.check_settings(changed(path, value))
    assert any(message in p for p in problems), problems


def test_other_dialects_need_a_host():
    assert agent_config.check_settings({"database": {"dialect": "postgres"}}) == [
        "database.host is needed with database.dialect postgres"]
    assert agent_config.check_settings({"database": {"dialect": "postgres", "host": "db", "port": 5432}}) == []
    assert agent_config.check_settings({"server": [5000]}) == ["server must be a mapping, not 'list'"]
    assert agent_config.check_settings("x") == ["the settings must be a mapping"]


def test_render_reads_back_to_the_same_settings():
    tricky = dict(GOOD, extra={"yes": "no", "on": True, "text": "a: b # c\n\"quoted\" é", "empty": {}, "none": [],
                               "nested": [[1, 2], {"a": [{"b": None}]}], "version": "0.3.10", "float": 1.5})
    text = agent_config.render_yaml(tricky)
    assert text.startswith("# Zoneweaver Agent configuration, managed by Ansible")
    assert yaml.safe_load(text) == tricky
    assert agent_config.render_yaml(tricky) == text          # stable: the same settings give the same text


def test_secrets_are_found_and_masked():
    assert agent_config.secret_values(GOOD) == ["tok-123"]
    text = agent_config.render_yaml(dict(GOOD, database={"dialect": "mysql", "host": "db", "password": "pw!"}))
    masked = agent_config.mask_text(text)
    assert "tok-123" not in masked and "pw!" not in masked
    assert 'auth_token: "********"' in masked and 'password: "********"' in masked
    hand_written = "template_sources:\n  sources:\n    - name: x\n      auth_token: old-secret\n"
    assert "old-secret" not in agent_config.mask_text(hand_written)
    assert agent_config.mask_text(None) is None
