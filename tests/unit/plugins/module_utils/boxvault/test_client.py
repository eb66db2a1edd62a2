"""BoxVaultClient against the BoxVault simulator: credentials, the Vagrant fallback, secrets."""

import pytest

from ansible_collections.zoneweaver.illumos.plugins.module_utils.boxvault.client import (
    VAGRANT_USER_AGENT, BoxVaultClient)
from ansible_collections.zoneweaver.illumos.plugins.module_utils.boxvault.errors import (
    RegistryAuthError, RegistryError, RegistryNotFoundError)
from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import InputError


def test_anonymous_discover_and_public_box(bv):
    client = BoxVaultClient(bv.url)
    names = sorted(b["name"] for b in client.catalog())
    assert "secret" not in names and "debian12" in names
    box = client.box_catalog("STARTcloud", "debian12")
    assert box["source"] == "api"
    assert [v["version"] for v in box["versions"]] == ["2025.10.1", "2025.9.30", "2025.8.22"]
    arch = box["versions"][0]["providers"][0]["architectures"][0]
    assert arch["checksum_type"] == "SHA256" and len(arch["checksum"]) == 64 and arch["size"] > 300_000
    facts = client.resolve("STARTcloud", "debian12", ">=2025.1,<2025.10")
    assert facts["version"] == "2025.9.30" and facts["size"] == bv.file_row("STARTcloud", "debian12", "2025.9.30")["fileSize"]


def test_anonymous_private_box_is_refused_with_a_hint(bv):
    with pytest.raises(RegistryAuthError) as info:
        BoxVaultClient(bv.url).box_catalog("acme", "secret")
    assert info.value.status == 403 and "private" in str(info.value) and "registry_token" in str(info.value)


def test_service_account_falls_back_to_vagrant_metadata(bv):
    client = BoxVaultClient(bv.url, token=bv.sa_token)
    assert "secret" in [b["name"] for b in client.catalog()]        # discover accepts the raw Bearer
    bv.clear_log()
    facts = client.resolve("acme", "secret", "latest")
    assert facts["version"] == "1.1.0" and facts["source"] == "vagrant"
    assert facts["size"] == bv.file_row("acme", "secret", "1.1.0")["fileSize"]       # from file/info
    assert facts["checksum"] == bv.file_row("acme", "secret", "1.1.0")["checksum"]
    log = bv.log
    assert [e["status"] for e in log] == [403, 200, 200]
    assert log[0]["user_agent"] != VAGRANT_USER_AGENT                # API detail with a plain UA
    assert log[1]["path"] == "/acme/secret" and log[1]["user_agent"] == VAGRANT_USER_AGENT
    assert log[2]["path"].endswith("/file/info") and log[2]["user_agent"] == VAGRANT_USER_AGENT


def test_never_a_vagrant_user_agent_on_two_segment_api_paths(bv):
    client = BoxVaultClient(bv.url, token=bv.sa_token)
    client.catalog()
    client.box_catalog("acme", "secret")
    for entry in bv.log:
        segments = [s for s in entry["path"].split("/") if s]
        if segments[0] == "api" and len(segments) == 2:
            assert entry["user_agent"] != VAGRANT_USER_AGENT, entry
    with pytest.raises(ValueError):
        client.request("GET", "/api/discover", vagrant=True)


def test_user_login_sends_the_jwt_as_x_access_token(bv):
    client = BoxVaultClient(bv.url, username="mark", password="mark-password")
    box = client.box_catalog("acme", "secret")
    assert box["source"] == "api" and [v["version"] for v in box["versions"]] == ["1.1.0", "1.0.0"]
    assert [v["versionNumber"] for v in client.versions("acme", "secret")] == ["1.0.0", "1.1.0"]
    login, *reads = bv.log
    assert login["path"] == "/api/auth/signin" and login["body"]["password"] == "********"
    assert all(e["auth"] == "x-access-token" for e in reads)
    assert client._jwt in client.secrets and "mark-password" in client.secrets


def test_wrong_password_and_wrong_token_never_show_the_secret(bv):
    with pytest.raises(RegistryAuthError) as info:
        BoxVaultClient(bv.url, username="mark", password="not-the-password").box_catalog("acme", "secret")
    assert "Invalid Password" in str(info.value) and "not-the-password" not in str(info.value)
    wrong = "f" * 64
    with pytest.raises(RegistryAuthError) as info:
        BoxVaultClient(bv.url, token=wrong).box_catalog("acme", "secret")
    assert info.value.status == 401 and "Invalid or expired service account token" in str(info.value)
    assert wrong not in str(info.value) and "registry_token" in str(info.value)


def test_member_of_another_org_is_refused(bv):
    with pytest.raises(RegistryAuthError) as info:
        BoxVaultClient(bv.url, username="eve", password="eve-password").box_catalog("acme", "secret")
    assert info.value.status == 403


def test_file_info_never_returns_the_download_token(bv):
    info = BoxVaultClient(bv.url, token=bv.sa_token).file_info("acme", "secret", "1.0.0", "zone", "amd64")
    assert "token=" not in info["downloadUrl"] and info["downloadUrl"].endswith("/file/download")


def test_not_found_and_no_match(bv):
    client = BoxVaultClient(bv.url)
    with pytest.raises(RegistryNotFoundError):
        client.box_catalog("STARTcloud", "nope")
    with pytest.raises(RegistryNotFoundError) as info:
        client.resolve("STARTcloud", "debian12", ">=2030")
    assert "2025.10.1" in str(info.value)
    with pytest.raises(RegistryNotFoundError):
        client.resolve("STARTcloud", "debian12", "latest", architecture="arm64")


def test_html_answer_is_not_mistaken_for_boxvault(bv):
    client = BoxVaultClient(bv.url)
    with pytest.raises(RegistryError) as info:
        client.request("GET", "/some/where/else")
    assert "HTML" in str(info.value) and "registry_url" in str(info.value)


def test_bad_options():
    with pytest.raises(InputError):
        BoxVaultClient("ftp://x")
    with pytest.raises(InputError):
        BoxVaultClient("http://x", token="t", username="u", password="p")
    with pytest.raises(InputError):
        BoxVaultClient("http://x", username="u")
    assert BoxVaultClient("http://x/api/").url == "http://x"
