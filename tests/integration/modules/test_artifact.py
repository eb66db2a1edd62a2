"""zoneweaver.illumos.artifact against both simulator generations: upload, URL download, fetch, removal."""

import hashlib
import http.server
import threading

import pytest


def artifact_task(title, check=False, **options):
    task = {"name": title, "zoneweaver.illumos.artifact": options, "register": "out"}
    if check:
        task["check_mode"] = True
    return task


@pytest.fixture()
def file_server(tmp_path):
    """A local HTTP server the simulated agent downloads from."""
    root = tmp_path / "www"
    root.mkdir()

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(root), **kwargs)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, "http://127.0.0.1:%d" % server.server_address[1]
    server.shutdown()
    server.server_close()


def test_upload_idempotent_by_checksum_fetch_and_remove(play, sim, tmp_path):
    iso = tmp_path / "installer.iso"
    iso.write_bytes(b"ISO" * 50000)
    checked = play([artifact_task("check", check=True, src=str(iso))], extra_args=["--diff"])
    assert checked.rc == 0, checked.output
    assert checked["check"]["actions"] == ["upload"] and sim.mutations() == []

    dest = tmp_path / "fetched.iso"
    run = play([artifact_task("upload", src=str(iso)), artifact_task("again", src=str(iso)),
                artifact_task("fetch", filename="installer.iso", dest=str(dest)),
                artifact_task("fetch again", filename="installer.iso", dest=str(dest))])
    assert run.rc == 0, run.output
    uploaded = run["upload"]["artifact"]
    assert run["upload"]["changed"] is True
    assert uploaded["checksum"] == hashlib.sha256(iso.read_bytes()).hexdigest() and uploaded["size"] == 150000
    assert run["upload"]["storage_location"] == "Default ISO Storage"
    assert run["again"]["changed"] is False
    assert run["fetch"]["changed"] is True and dest.read_bytes() == iso.read_bytes()
    assert run["fetch again"]["changed"] is False

    iso.write_bytes(b"NEW" * 1000)
    sim.clear_log()
    changed = play([artifact_task("replace", src=str(iso)),
                    artifact_task("remove check", check=True, filename="installer.iso", state="absent"),
                    artifact_task("remove", filename="installer.iso", state="absent"),
                    artifact_task("remove again", filename="installer.iso", state="absent")])
    assert changed.rc == 0, changed.output
    assert changed["replace"]["actions"] == ["replace"]
    assert changed["replace"]["artifact"]["checksum"] == hashlib.sha256(b"NEW" * 1000).hexdigest()
    assert changed["remove check"]["changed"] is True
    assert changed["remove"]["changed"] is True and changed["remove again"]["changed"] is False


def test_agent_downloads_from_url_with_checksum(play, sim, file_server):
    root, base = file_server
    (root / "disk.img").write_bytes(b"IMG" * 4096)
    good = hashlib.sha256(b"IMG" * 4096).hexdigest()
    run = play([artifact_task("download", url=base + "/disk.img", type="image", checksum="sha256:" + good),
                artifact_task("again", url=base + "/disk.img", type="image", checksum=good),
                dict(artifact_task("wrong sum", url=base + "/disk.img", filename="other.img", type="image",
                                   checksum="0" * 64), ignore_errors=True)])
    assert run["download"]["changed"] is True, run.output
    assert run["download"]["artifact"]["checksum"] == good
    assert run["download"]["artifact"]["source_url"] == base + "/disk.img"
    assert run["again"]["changed"] is False
    assert run.outcome("wrong sum") == "failed"
    assert "Checksum verification failed" in run["wrong sum"]["msg"]


def test_bad_input_is_refused_before_any_request(play, sim, tmp_path):
    local = tmp_path / "a.iso"
    local.write_bytes(b"x")
    bad = [
        ("nothing", {"filename": "a.iso"}, "exactly one of"),
        ("missing src", {"src": str(tmp_path / "nope.iso")}, "not a readable file"),
        ("src and url", {"src": str(local), "url": "http://example.com/a.iso"}, "mutually exclusive"),
        ("bad checksum", {"src": str(local), "checksum": "xyz"}, "checksum"),
        ("wrong checksum", {"src": str(local), "checksum": "0" * 64}, "not the expected"),
        ("bad filename", {"src": str(local), "filename": "../etc/passwd"}, "filename"),
        ("bad url", {"url": "ftp://example.com/a.iso"}, "url"),
        ("unknown location", {"src": str(local), "storage_location": "nowhere"}, "does not exist"),
    ]
    run = play([dict(artifact_task(t, **a), ignore_errors=True) for t, a, _words in bad])
    for title, _args, words in bad:
        assert run.outcome(title) == "failed", title
        assert words in run[title]["msg"], (title, run[title]["msg"])
    assert sim.mutations() == []


def test_disabled_storage_is_reported_in_the_agents_words(play, sim, tmp_path):
    local = tmp_path / "a.iso"
    local.write_bytes(b"x")
    sim.artifact_store["enabled"] = False
    run = play([dict(artifact_task("upload", src=str(local)), ignore_errors=True)])
    assert run.outcome("upload") == "failed"
    assert "Artifact storage is disabled" in run["upload"]["msg"]
    assert sim.mutations() == []
