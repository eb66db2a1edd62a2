"""TLS against an HTTPS simulator with its own certificate authority."""

from zoneweaver_sim import Simulator
from zw_harness import admin_key_for, run_play


def test_tls_refused_by_default_trusted_with_ca_path_and_warned_without_verification(tmp_path):
    key = admin_key_for("0.3.9")
    with Simulator(generation="0.3.9", timing="fast", tls=True, admin_key=key) as sim:
        assert sim.url.startswith("https://127.0.0.1:")
        tasks = [
            {"name": "default verification", "zoneweaver.illumos.zone_info": {}, "ignore_errors": True},
            {"name": "trusted with ca_path", "zoneweaver.illumos.zone_info": {"ca_path": sim.ca_path}},
            {"name": "verification off", "zoneweaver.illumos.zone_info": {"validate_certs": False}},
        ]
        run = run_play(tmp_path, tasks, module_defaults={
            "group/zoneweaver.illumos.agent": {"api_url": sim.url, "api_key": key}})
    refused = run["default verification"]
    assert run.outcome("default verification") == "failed"
    assert "TLS verification failed" in refused["msg"] and "ca_path" in refused["msg"]
    assert run.outcome("trusted with ca_path") == "ok"
    assert "warnings" not in run["trusted with ca_path"]
    assert run.outcome("verification off") == "ok"
    assert any("validate_certs is false" in w for w in run["verification off"]["warnings"])
