"""The BoxVault face: discovery, detail, the auth matrix, the Vagrant UA quirk, Range downloads."""
from __future__ import annotations

import base64
import hashlib
import io
import tarfile

import pytest
import requests

from zoneweaver_sim.boxvault import MALICIOUS_KINDS, BoxVaultSimulator, build_box, build_malicious_box

VAGRANT = {"User-Agent": "Vagrant/2.4.1"}
DL = "/api/organization/{org}/box/{box}/version/{v}/provider/zone/architecture/amd64/file/download"


@pytest.fixture
def bv():
    sim = BoxVaultSimulator(
        boxes=[{"org": "STARTcloud", "name": "debian12", "version": "1.0.0", "description": "Debian 12"},
               {"org": "STARTcloud", "name": "debian12", "version": "v1.1"},
               {"org": "STARTcloud", "name": "draft", "version": "0.1", "published": False, "owner": "mark"},
               {"org": "STARTcloud", "name": "nosum", "version": "1.0", "checksum_type": None},
               {"org": "acme", "name": "secret", "version": "2.0.0", "is_public": False, "zss_size": 50_000}],
        users={"mark": {"password": "pw", "orgs": ["acme", "STARTcloud"]},
               "eve": {"password": "pw2", "orgs": ["other"]},
               "new": {"password": "pw3", "orgs": ["acme"], "verified": False}})
    with sim:
        sim.token = sim.add_service_account("mark", "acme")
        yield sim


def get(bv, path, **kw):
    return requests.get(bv.url + path, timeout=10, **kw)


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def jwt(bv, user="mark", password="pw"):
    r = requests.post(bv.url + "/api/auth/signin", json={"username": user, "password": password, "stayLoggedIn": True})
    assert r.status_code == 200, r.text
    return r.json()["accessToken"]


def test_discover_shape_and_visibility(bv):
    boxes = get(bv, "/api/discover").json()
    assert sorted(b["name"] for b in boxes) == ["debian12", "nosum"]
    box = next(b for b in boxes if b["name"] == "debian12")
    assert box["organization"]["name"] == "STARTcloud" and box["isPublic"] is True
    f = box["versions"][0]["providers"][0]["architectures"][0]["files"][0]
    assert f["fileName"] == "vagrant.box" and f["checksumType"] == "SHA256" and len(f["checksum"]) == 64
    assert get(bv, "/discover").json() == boxes
    mine = get(bv, "/api/discover", headers={"x-access-token": jwt(bv)}).json()
    assert {"secret", "draft"} <= {b["name"] for b in mine}      # member orgs, own unpublished box
    sa = get(bv, "/api/discover", headers=bearer(bv.token)).json()
    assert "secret" in {b["name"] for b in sa} and "draft" not in {b["name"] for b in sa}   # scoped to acme


def test_private_box_matrix(bv):
    path = "/api/organization/acme/box/secret"
    assert get(bv, path).status_code == 403
    assert get(bv, path).json() == {"message": "Unauthorized access to private box."}
    assert get(bv, path, headers=bearer(bv.token)).status_code == 403             # raw SA: not on detail
    assert get(bv, path, headers={"x-access-token": jwt(bv)}).status_code == 200
    assert get(bv, path, headers={"x-access-token": jwt(bv, "eve", "pw2")}).status_code == 403
    versions = path + "/version"
    assert get(bv, versions, headers={"x-access-token": "garbage.jwt.value"}).status_code == 401
    assert get(bv, versions, headers=bearer(bv.token)).status_code == 403
    assert get(bv, versions, headers={"x-access-token": jwt(bv)}).json()[0]["versionNumber"] == "2.0.0"
    info = path + "/version/2.0.0/provider/zone/architecture/amd64/file/info"
    assert get(bv, info, headers=bearer(bv.token)).status_code == 403
    assert get(bv, info, headers=dict(bearer(bv.token), **VAGRANT)).status_code == 200   # SA + Vagrant UA
    assert get(bv, "/api/organization/acme/box", headers=bearer(bv.token)).json()[0]["name"] == "secret"
    other = bv.add_service_account("mark", "STARTcloud")
    assert get(bv, "/api/organization/acme/box", headers=bearer(other)).json() == []   # SA of another org


def test_file_info_and_download_token(bv):
    info = get(bv, "/api/organization/acme/box/secret/version/2.0.0/provider/zone/architecture/amd64/file/info",
               headers={"x-access-token": jwt(bv)}).json()
    assert info["fileSize"] == bv.file_row("acme", "secret", "2.0.0")["fileSize"]
    assert info["downloadUrl"].startswith(bv.url + "/api/organization/acme/box/secret/") and "?token=" in info["downloadUrl"]
    r = requests.get(info["downloadUrl"], timeout=10)
    assert r.status_code == 200 and r.content == bv.file_row("acme", "secret", "2.0.0")["data"]
    wrong = info["downloadUrl"].replace("/2.0.0/", "/9.9.9/")
    bv.add_box("acme", "secret", "9.9.9", is_public=False)
    assert requests.get(wrong, timeout=10).status_code == 403
    assert any(e["query"].get("token") == "********" for e in bv.log), "the download token is masked in the log"


def test_download_credentials(bv):
    path = DL.format(org="acme", box="secret", v="2.0.0")
    assert get(bv, path).json() == {"message": "No download token provided."}
    assert get(bv, path, headers=bearer(bv.token)).status_code == 200
    sa_user = next(r["username"] for r in bv.service_accounts.values())
    basic = base64.b64encode(f"{sa_user}:{bv.token}".encode()).decode()
    assert get(bv, path, headers={"Authorization": f"Basic {basic}"}).status_code == 200
    assert get(bv, path, headers={"x-access-token": jwt(bv, "eve", "pw2")}).status_code == 403
    assert bv.file_row("acme", "secret", "2.0.0")["downloadCount"] == 2   # refused requests do not count


def test_range_and_if_range(bv):
    path = DL.format(org="STARTcloud", box="debian12", v="1.0.0")
    data = bv.file_row("STARTcloud", "debian12", "1.0.0")["data"]
    full = get(bv, path)
    assert full.headers["Accept-Ranges"] == "bytes" and full.content == data
    etag, modified = full.headers["ETag"], full.headers["Last-Modified"]
    part = get(bv, path, headers={"Range": "bytes=100-"})
    assert part.status_code == 206 and part.content == data[100:]
    assert part.headers["Content-Range"] == f"bytes 100-{len(data) - 1}/{len(data)}"
    assert get(bv, path, headers={"Range": "bytes=10-19"}).content == data[10:20]
    assert get(bv, path, headers={"Range": "bytes=-5"}).content == data[-5:]
    assert get(bv, path, headers={"Range": "bytes=100-", "If-Range": etag}).status_code == 206
    assert get(bv, path, headers={"Range": "bytes=100-", "If-Range": modified}).status_code == 206
    assert get(bv, path, headers={"Range": "bytes=100-", "If-Range": 'W/"other"'}).status_code == 200
    bad = get(bv, path, headers={"Range": f"bytes={len(data)}-"})
    assert bad.status_code == 416 and bad.headers["Content-Range"] == f"bytes */{len(data)}"
    head = requests.head(bv.url + path, timeout=10)
    assert head.status_code == 200 and int(head.headers["Content-Length"]) == len(data)
    bv.set_file_data("STARTcloud", "debian12", "1.0.0", data[::-1])
    assert get(bv, path, headers={"Range": "bytes=100-", "If-Range": etag}).status_code == 200   # changed file


def test_drop_after_bytes_cuts_once(bv):
    path = DL.format(org="STARTcloud", box="debian12", v="1.0.0")
    bv.drop_after_bytes = 1000
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        get(bv, path).content
    assert bv.drop_after_bytes is None
    assert len(get(bv, path).content) == bv.file_row("STARTcloud", "debian12", "1.0.0")["fileSize"]
    assert [e.get("dropped_after") for e in bv.downloads()] == [1000, None]


def test_vagrant_metadata_and_ua_quirk(bv):
    meta = get(bv, "/STARTcloud/debian12", headers=VAGRANT).json()
    assert meta["name"] == "STARTcloud/debian12" and meta["description"] == "Debian 12"
    assert [v["version"] for v in meta["versions"]] == ["1.0.0", "1.1"]          # 'v' stripped
    prov = meta["versions"][0]["providers"][0]
    assert prov["checksum_type"] == "sha256" and prov["architecture"] == "amd64" and prov["default_architecture"]
    assert prov["url"] == f"{bv.url}/STARTcloud/boxes/debian12/versions/1.0.0/providers/zone/amd64/vagrant.box"
    assert requests.get(prov["url"], headers=VAGRANT, timeout=10).content == \
        bv.file_row("STARTcloud", "debian12", "1.0.0")["data"]
    broken = meta["versions"][1]["providers"][0]["url"]                           # stored as v1.1
    assert requests.get(broken, headers=VAGRANT, timeout=10).status_code == 404
    for path in ("/STARTcloud/boxes/debian12", "/api/v2/vagrant/STARTcloud/debian12",
                 "/api/organization/STARTcloud/box/debian12/metadata"):
        assert get(bv, path, headers=VAGRANT).json() == meta
    nosum = get(bv, "/STARTcloud/nosum", headers=VAGRANT).json()["versions"][0]["providers"][0]
    assert nosum["checksum"] == "" and nosum["checksum_type"] == "sha256"
    html = get(bv, "/STARTcloud/debian12")
    assert html.status_code == 200 and "text/html" in html.headers["Content-Type"]      # the SPA without Vagrant UA
    assert requests.head(bv.url + "/nobody/nothing", headers=VAGRANT, timeout=10).status_code == 200
    quirk = get(bv, "/api/discover", headers=VAGRANT)
    assert quirk.status_code == 404 and "api" in quirk.json()["message"]      # read as org "api", box "discover"


def test_vagrant_bearer_must_be_a_service_account(bv):
    for token in (jwt(bv), "f" * 64):
        r = get(bv, "/STARTcloud/debian12", headers=dict(bearer(token), **VAGRANT))
        assert r.status_code == 401 and r.json() == {"message": "Invalid or expired service account token."}
    assert get(bv, "/acme/secret", headers=VAGRANT).status_code == 403
    assert get(bv, "/acme/secret", headers=dict(bearer(bv.token), **VAGRANT)).status_code == 200
    assert get(bv, "/acme/nope", headers=dict(bearer(bv.token), **VAGRANT)).status_code == 404


def test_signin(bv):
    r = requests.post(bv.url + "/api/auth/signin", json={"username": "mark", "password": "pw"})
    body = r.json()
    assert body["roles"] == ["ROLE_USER"] and body["isServiceAccount"] is False and body["accessToken"].count(".") == 2
    assert requests.post(bv.url + "/api/auth/signin", json={"username": "mark", "password": "x"}).json() == \
        {"accessToken": None, "message": "Invalid Password!"}
    assert requests.post(bv.url + "/api/auth/signin", json={"username": "who", "password": "x"}).status_code == 404
    assert requests.post(bv.url + "/api/auth/signin", json={"username": "new", "password": "pw3"}).status_code == 403
    sa = next(r for r in bv.service_accounts.values())
    r = requests.post(bv.url + "/api/auth/signin", json={"username": sa["username"], "password": bv.token})
    assert r.status_code == 200 and r.json()["isServiceAccount"] is True
    assert bv.log[0]["body"]["password"] == "********"


def test_service_account_creation(bv):
    token = jwt(bv)
    r = requests.post(bv.url + "/api/service-accounts", headers={"x-access-token": token},
                      json={"description": "ci", "expirationDays": 30, "organizationId": bv.orgs["acme"]["id"]})
    assert r.status_code == 201 and len(r.json()["token"]) == 64 and r.json()["username"].startswith("mark-")
    assert get(bv, "/api/organization/acme/box", headers=bearer(r.json()["token"])).json()[0]["name"] == "secret"


def test_unknown_org_and_spa_fallback(bv):
    assert get(bv, "/api/organization/nobody/box").status_code == 404
    assert get(bv, "/api/organization/STARTcloud/box/nothing").status_code == 404
    assert "text/html" in get(bv, "/anything/else/here").headers["Content-Type"]
    assert requests.delete(bv.url + "/api/nothing", timeout=10).status_code == 404


def test_organizations_discover(bv):
    bv.add_org("STARTcloud", access_mode="public")
    orgs = get(bv, "/api/organizations/discover").json()
    assert [o["name"] for o in orgs] == ["STARTcloud"] and orgs[0]["publicBoxCount"] == 3


def test_build_box_is_a_real_box():
    data = build_box(zss_size=1234, brand="lipkg")
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        assert tar.getnames() == ["box.zss", "metadata.json", "info.json", "Vagrantfile"]
        assert tar.getmember("box.zss").size == 1234
        assert b'"brand": "lipkg"' in tar.extractfile("metadata.json").read()
    assert build_box(zss_size=10, seed=1) == build_box(zss_size=10, seed=1)


@pytest.mark.parametrize("kind", MALICIOUS_KINDS)
def test_malicious_builders(kind):
    data = build_malicious_box(kind, bomb_size=1 << 20)
    if kind == "not_gzip":
        assert data[:2] != b"\x1f\x8b"
        return
    if kind == "truncated":
        assert data[:2] == b"\x1f\x8b"
        with pytest.raises(EOFError), tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
            tar.getnames()
        return
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        names = tar.getnames()
    expected = {"absolute": "/tmp/zoneweaver-owned", "dotdot": "../../zoneweaver-escape", "symlink": "passwd",
                "symlink_relative": "sub/up", "hardlink": "shadow", "device": "null0", "fifo": "pipe0",
                "bomb": "padding.bin", "zss_symlink": "box.zss"}
    if kind in expected:
        assert expected[kind] in names
    if kind == "duplicate":
        assert names.count("metadata.json") == 2
    if kind == "no_zss":
        assert "box.zss" not in names


def test_checksum_types(bv):
    bv.add_box("STARTcloud", "md5", "1.0", checksum_type="MD5")
    row = bv.file_row("STARTcloud", "md5", "1.0")
    assert row["checksumType"] == "MD5" and row["checksum"] == hashlib.md5(row["data"]).hexdigest()
    bv.add_box("STARTcloud", "wrong", "1.0", checksum="0" * 64)
    assert bv.file_row("STARTcloud", "wrong", "1.0")["checksum"] == "0" * 64
    assert bv.file_row("STARTcloud", "nosum", "1.0")["checksumType"] == "NULL"


def test_large_box_served_from_disk_with_ranges(tmp_path):
    """A box built streaming to a file and served from disk: ranges, resume and digests agree."""
    import urllib.request
    from zoneweaver_sim.boxvault import BoxVaultSimulator, build_box_file
    built = build_box_file(str(tmp_path / "large.box"), 3 << 20, seed=7)
    with tarfile.open(built["path"], mode="r:gz") as tar:
        member = tar.getmember("box.zss")
        assert member.size == 3 << 20
        assert hashlib.sha256(tar.extractfile(member).read()).hexdigest() == built["zss_sha256"]
    with BoxVaultSimulator(boxes=[{"org": "o", "name": "large", "version": "1.0.0", "path": built["path"]}]) as bv:
        row = bv.file_row("o", "large", "1.0.0")
        assert row["data"] is None and row["fileSize"] == built["size"] and row["checksum"] == built["sha256"]
        url = bv.url + "/api/organization/o/box/large/version/1.0.0/provider/zone/architecture/amd64/file/download"
        with urllib.request.urlopen(url) as answer:
            whole = answer.read()
        assert hashlib.sha256(whole).hexdigest() == built["sha256"]
        request = urllib.request.Request(url, headers={"Range": "bytes=1000-"})
        with urllib.request.urlopen(request) as answer:
            assert answer.status == 206
            assert answer.headers["Content-Range"] == "bytes 1000-%d/%d" % (built["size"] - 1, built["size"])
            assert answer.read() == whole[1000:]
