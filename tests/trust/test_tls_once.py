"""TLS, what tests/integration/modules/test_tls.py leaves out: with validate_certs false a task
that sends many requests (detection, list, create, task polls, re-read) warns exactly once, and
no per-request urllib3 warning reaches the output; the refusal says how to trust the certificate
and names the URL, for a mutating module too, before anything is sent."""

from trust_harness import run_trust, write_play
from worlds import world

WARNING = "validate_certs is false"


def test_unverified_tls_warns_once_per_task_and_refusal_explains(tmp_path):
    with world("0.3.9", tls=True) as w:
        sim = w.sim
        assert sim.url.startswith("https://")
        tasks = [
            {"name": "refused", "zoneweaver.illumos.etherstub": {"name": "tls0"}, "ignore_errors": True},
            {"name": "create unverified", "zoneweaver.illumos.etherstub": {"name": "tls0", "validate_certs": False}},
            {"name": "zone unverified", "zoneweaver.illumos.zone": {
                "name": "0001--tls.example.com", "state": "present", "boot_disk": {"type": "blank", "size": "1G"},
                "validate_certs": False}},
            {"name": "trusted", "zoneweaver.illumos.etherstub": {"name": "tls0", "ca_path": sim.ca_path}},
        ]
        playbook = write_play(tmp_path, tasks, module_defaults={
            "group/zoneweaver.illumos.agent": {"api_url": sim.url, "api_key": sim.admin_key}})
        run = run_trust(tmp_path, playbook)
        assert run.rc == 0, run.output[-4000:]
        refused = run.entry("refused")
        assert refused["outcome"] == "failed"
        message = refused["result"]["msg"]
        assert "TLS verification failed" in message and sim.url in message and "ca_path" in message, message
        assert run["create unverified"]["changed"] is True
        for name in ("create unverified", "zone unverified"):
            warnings = run[name].get("warnings", [])
            assert len([x for x in warnings if WARNING in x]) == 1, warnings
        assert "warnings" not in run["trusted"] and run["trusted"]["changed"] is False
        assert "InsecureRequestWarning" not in run.output and "Unverified HTTPS request" not in run.output
        # the refused task sent nothing that changes the host
        posts = [e for e in sim.log if e["method"] == "POST"]
        assert len(posts) == 2, posts      # the etherstub and the zone, both by the unverified tasks
