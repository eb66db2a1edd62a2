"""The zoneweaver.illumos.boxvault lookup through ansible-playbook against the BoxVault simulator."""

import pytest

from zoneweaver_sim.boxvault import BoxVaultSimulator
from zw_harness import run_play

VERSIONS = ("2025.8.22", "2025.9.30", "v2025.10.1", "2026.1.0-rc1")


@pytest.fixture()
def bv():
    boxes = [{"org": "STARTcloud", "name": "debian12", "version": v} for v in VERSIONS]
    boxes += [{"org": "STARTcloud", "name": "debian12", "version": "2026.2.0", "architecture": "arm64"},
              {"org": "acme", "name": "secret", "version": "1.0.0", "is_public": False},
              {"org": "acme", "name": "secret", "version": "1.10.0", "is_public": False}]
    with BoxVaultSimulator(boxes=boxes, users={"mark": {"password": "mark-pw", "orgs": ["acme"]}}) as registry:
        registry.token = registry.add_service_account("mark", "acme")
        yield registry


def fact(title, expression, ignore=False):
    out = {"name": title, "ansible.builtin.set_fact": {"value": expression}}
    if ignore:
        out["ignore_errors"] = True
    return out


def lookup(term, **options):
    args = "".join(", %s=%r" % (k, v) for k, v in options.items())
    return "{{ lookup('zoneweaver.illumos.boxvault', %r%s) }}" % (term, args)


def value(run, title):
    return run[title]["ansible_facts"]["value"]


def test_latest_constraints_details_and_tokens(tmp_path, bv):
    url = bv.url
    run = run_play(tmp_path, [
        fact("latest", lookup("STARTcloud/debian12", registry_url=url)),
        fact("constraint", lookup("STARTcloud/debian12", registry_url=url, version=">=2025.9,<2025.10")),
        fact("tilde", lookup("STARTcloud/debian12", registry_url=url, version="~=2025.8")),
        fact("prerelease allowed by exact", lookup("STARTcloud/debian12", registry_url=url, version="2026.1.0-rc1")),
        fact("arm64", lookup("STARTcloud/debian12", registry_url=url, architecture="arm64")),
        fact("details", lookup("STARTcloud/debian12", registry_url=url, version="2025.8.22", details=True)),
        fact("private with token", lookup("acme/secret", registry_url=url, registry_token=bv.token)),
        fact("private with login", lookup("acme/secret", registry_url=url, registry_username="mark",
                                          registry_password="mark-pw", version="<1.10")),
        fact("private anonymous", lookup("acme/secret", registry_url=url), ignore=True),
        fact("wrong token", lookup("acme/secret", registry_url=url, registry_token="f" * 64), ignore=True),
        fact("no match", lookup("STARTcloud/debian12", registry_url=url, version=">=2027"), ignore=True),
        fact("bad term", lookup("debian12", registry_url=url), ignore=True),
    ], env={"BOXVAULT_URL": "", "BOXVAULT_TOKEN": ""})
    # the version as the registry names it ('v' kept: it is part of the download path); the rc is not the latest
    assert value(run, "latest") == "v2025.10.1"
    assert value(run, "constraint") == "2025.9.30"
    assert value(run, "tilde") == "v2025.10.1"
    assert value(run, "prerelease allowed by exact") == "2026.1.0-rc1"
    assert value(run, "arm64") == "2026.2.0"
    details = value(run, "details")
    assert details["version"] == "2025.8.22" and details["checksum_type"] == "SHA256"
    assert details["checksum"] == bv.file_row("STARTcloud", "debian12", "2025.8.22")["checksum"]
    assert value(run, "private with token") == "1.10.0"     # version order, not string order
    assert value(run, "private with login") == "1.0.0"
    for title in ("private anonymous", "wrong token"):
        assert run.outcome(title) == "failed", title
        msg = run[title]["msg"]
        assert "HTTP 401" in msg or "HTTP 403" in msg, msg
    assert "registry_token" in run["private anonymous"]["msg"]
    assert "wrong or expired" in run["wrong token"]["msg"]
    assert "available: 2026.1.0-rc1, v2025.10.1" in run["no match"]["msg"]
    assert "<organization>/<box>" in run["bad term"]["msg"]
    assert bv.token not in run.output and "mark-pw" not in str(run.results)
    assert "f" * 64 not in str(run["wrong token"])


def test_registry_url_from_environment(tmp_path, bv):
    run = run_play(tmp_path, [fact("env", "{{ lookup('zoneweaver.illumos.boxvault', 'acme/secret') }}")],
                   env={"BOXVAULT_URL": bv.url, "BOXVAULT_TOKEN": bv.token})
    assert run.rc == 0, run.output
    assert value(run, "env") == "1.10.0"
