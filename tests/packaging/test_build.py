"""The collection as users get it: the Galaxy tarball, installed on its own, and its execution environment.

Builds the tarball with `ansible-galaxy collection build`, installs it offline into an
empty collections path, and runs a module from that copy (and only that copy) against
a simulated agent. Then checks what ansible-builder makes of the collection's
execution-environment files.
"""

import json
import os
import subprocess
import sys
import tarfile

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)
KEY = "hw_PACKAGINGTESTKEY01.packaging-admin-key"

# Development-only trees and files that must never reach users (galaxy.yml build_ignore).
EXCLUDED = ("tests", "simulator", "bench", "tools", "requirements", ".build", ".venv311", ".venv313",
            "extensions/molecule", "playbooks/demo", "docs/sphinx", "Makefile", "pytest.ini", ".ansible-lint",
            ".ci", ".git", ".gitignore", ".pytest_cache", ".hypothesis")


def clean_env(tmp_path, collections_path):
    """An environment that finds collections in collections_path only (not the checkout's .build/)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "ZONEWEAVER_"))}
    config = tmp_path / "ansible.cfg"
    config.write_text("[defaults]\nhost_key_checking = false\n")
    env.update({"ANSIBLE_CONFIG": str(config), "ANSIBLE_COLLECTIONS_PATH": str(collections_path),
                "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH": "false", "ANSIBLE_HOME": str(tmp_path / "home"),
                "ANSIBLE_LOCAL_TEMP": str(tmp_path / "tmp"), "ANSIBLE_NOCOLOR": "1",
                "PATH": BIN + os.pathsep + env.get("PATH", "")})
    return env


def run(command, env, cwd, timeout=300):
    proc = subprocess.run(command, env=env, cwd=str(cwd), capture_output=True, text=True, timeout=timeout,
                          check=False)
    tail = proc.stdout[-3000:] + "\n" + proc.stderr[-3000:]
    assert proc.returncode == 0, "%s failed (%d):\n%s" % (command, proc.returncode, tail)
    return proc.stdout


@pytest.fixture(scope="module")
def tarball(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    env = clean_env(out, out / "none")
    run([os.path.join(BIN, "ansible-galaxy"), "collection", "build", "--output-path", str(out), ROOT], env, out)
    built = [p for p in os.listdir(out) if p.endswith(".tar.gz")]
    assert built == ["zoneweaver-illumos-%s.tar.gz" % yaml.safe_load(open(os.path.join(ROOT, "galaxy.yml")))["version"]]
    return out / built[0]


@pytest.fixture(scope="module")
def installed(tarball, tmp_path_factory):
    """The tarball installed offline into an empty collections path; returns that path."""
    base = tmp_path_factory.mktemp("install")
    collections = base / "collections"
    run([os.path.join(BIN, "ansible-galaxy"), "collection", "install", "--offline", "-p", str(collections),
         str(tarball)], clean_env(base, collections), base)
    return collections


def test_tarball_holds_the_collection_and_no_development_trees(tarball):
    with tarfile.open(tarball) as archive:
        members = archive.getnames()
    top = {name.split("/")[0] for name in members}
    assert {"MANIFEST.json", "FILES.json", "README.md", "LICENSE", "meta", "plugins", "roles", "docs",
            "requirements.txt", "bindep.txt", "execution-environment.yml"} <= top
    for needed in ("meta/runtime.yml", "meta/execution-environment.yml", "plugins/modules/zone.py",
                   "plugins/inventory/zones.py", "plugins/connection/zlogin.py",
                   "plugins/module_utils/agent/client.py", "roles/zone/meta/argument_specs.yml"):
        assert needed in members, needed
    leaked = [name for name in members for path in EXCLUDED if name == path or name.startswith(path + "/")]
    assert not leaked, leaked
    assert not [name for name in members if "__pycache__" in name or name.endswith(".pyc")]


def test_installed_tarball_runs_a_module_on_its_own(installed, tmp_path):
    from zoneweaver_sim import Simulator
    from zoneweaver_sim.fleet import seed_zones

    copy = installed / "ansible_collections" / "zoneweaver" / "illumos"
    assert (copy / "MANIFEST.json").is_file() and not os.path.islink(copy)
    assert not (copy / "tests").exists() and not (copy / "simulator").exists()
    env = clean_env(tmp_path, installed)
    listed = run([os.path.join(BIN, "ansible-galaxy"), "collection", "list", "zoneweaver.illumos", "--format",
                  "json"], env, tmp_path)
    assert list(json.loads(listed)) == [str(installed / "ansible_collections")]
    with Simulator(timing="fast", admin_key=KEY) as sim:
        zone = seed_zones(sim, 1)[0]
        env.update({"ZONEWEAVER_URL": sim.url, "ZONEWEAVER_API_KEY": KEY})
        out = run([os.path.join(BIN, "ansible"), "localhost", "-i", "localhost,", "-c", "local",
                   "-m", "zoneweaver.illumos.zone_info", "-a", "name=%s" % zone, "-o"], env, tmp_path)
    assert "SUCCESS" in out and zone in out, out
    assert KEY not in out


def test_execution_environment_definition_builds_a_context(tmp_path):
    context = tmp_path / "context"
    run([os.path.join(BIN, "ansible-builder"), "create", "--file", os.path.join(ROOT, "execution-environment.yml"),
         "--context", str(context), "--output-filename", "Containerfile"], clean_env(tmp_path, tmp_path), ROOT)
    containerfile = (context / "Containerfile").read_text()
    assert "COPY _build/requirements.txt requirements.txt" in containerfile
    assert "COPY _build/bindep.txt bindep.txt" in containerfile
    assert "--user-pip=requirements.txt" in containerfile and "--user-bindep=bindep.txt" in containerfile
    assert "requests" in (context / "_build" / "requirements.txt").read_text()
    assert "openssh" in (context / "_build" / "bindep.txt").read_text()
    galaxy = yaml.safe_load((context / "_build" / "requirements.yml").read_text())
    assert [c["name"] for c in galaxy["collections"]] == ["zoneweaver.illumos"]


def test_ansible_builder_finds_the_requirements_in_the_installed_collection(installed, tmp_path):
    # The script ansible-builder runs inside the image to collect every installed collection's needs.
    import ansible_builder
    script = os.path.join(os.path.dirname(ansible_builder.__file__), "_target_scripts", "introspect.py")
    out = run([sys.executable, script, "introspect", str(installed)], clean_env(tmp_path, installed), tmp_path)
    found = yaml.safe_load(out)
    assert "requests>=2.28  # from collection zoneweaver.illumos" in found["python"], out
    assert "openssh-clients [platform:rpm]  # from collection zoneweaver.illumos" in found["system"], out
    assert "openssh-client [platform:dpkg]  # from collection zoneweaver.illumos" in found["system"], out
