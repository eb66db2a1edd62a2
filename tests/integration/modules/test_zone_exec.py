"""zoneweaver.illumos.zone_exec: guest-agent exec on 0.3.9, a clear refusal on 0.2."""

ZONE = "0001--web01.example.com"
RUNNING = {"name": "create", "zoneweaver.illumos.zone": {"name": ZONE, "state": "running", "vcpus": 1, "ram": "1G",
                                                         "boot_disk": {"type": "blank", "size": "10G"},
                                                         "nics": [{"global_nic": "igb0"}]}}


def exec_task(name, check=False, **options):
    task = {"name": name, "zoneweaver.illumos.zone_exec": dict({"name": ZONE}, **options), "register": "out"}
    if check:
        task["check_mode"] = True
    return task


def exec_calls(sim):
    return [e for e in sim.log if "/guest/exec" in e["path"]]


def test_runs_commands_and_reports_output(play, sim):
    if sim.generation == "0.2":
        run = play([RUNNING, dict(exec_task("hostname", argv=["hostname"]), ignore_errors=True)])
        assert run.outcome("hostname") == "failed"
        assert "offers no guest-agent exec" in run["hostname"]["msg"]
        assert "0.3.9" in run["hostname"]["msg"]
        assert exec_calls(sim) == [], "asked a 0.2 agent for an endpoint it does not have"
        return
    script = "echo to-out; echo to-err >&2; exit 3"
    run = play([RUNNING,
                exec_task("hostname", argv=["hostname"]),
                exec_task("string command", command="echo 'hello world'"),
                dict(exec_task("failing", argv=["/bin/sh", "-c", script]), ignore_errors=True),
                dict(exec_task("relaxed", argv=["/bin/sh", "-c", "exit 1"]), failed_when="out.rc not in [0, 1]"),
                dict(exec_task("told changed", argv=["echo", "created"]), changed_when="'created' in out.stdout")])
    assert run.rc == 0, run.output
    assert run["hostname"]["stdout"] == "web01\n" and run["hostname"]["rc"] == 0
    assert run["hostname"]["changed"] is False, "zone_exec reported a change on its own"
    assert run["string command"]["stdout_lines"] == ["hello world"]
    assert run["string command"]["cmd"] == ["echo", "hello world"]
    assert run.outcome("failing") == "failed"
    failing = run["failing"]
    assert failing["rc"] == 3 and failing["stdout"] == "to-out\n" and failing["stderr_lines"] == ["to-err"]
    assert "non-zero return code 3" in failing["msg"]
    assert run.outcome("relaxed") == "ok" and run["relaxed"]["rc"] == 1
    assert run["told changed"]["changed"] is True


def test_check_mode_skips_without_any_request(play, sim):
    run = play([RUNNING, exec_task("checked", check=True, argv=["hostname"])])
    assert run.rc == 0, run.output
    assert run.outcome("checked") == "skipped"
    assert "check mode" in run["checked"]["msg"]
    assert exec_calls(sim) == []


def test_timeout_and_unknown_program(play, sim):
    if sim.generation == "0.2":
        return
    run = play([RUNNING,
                dict(exec_task("slow", argv=["sleep", "30"], exec_timeout=1), ignore_errors=True),
                dict(exec_task("missing", argv=["/usr/bin/nosuchprogram"]), ignore_errors=True)])
    assert run.outcome("slow") == "failed"
    assert "still running" in run["slow"]["msg"] and "exec_timeout=1" in run["slow"]["msg"]
    assert run.outcome("missing") == "failed"
    assert "nosuchprogram" in run["missing"]["msg"]


def test_bad_input_is_refused_before_any_request(play, sim):
    bad = [
        ("both", {"name": ZONE, "argv": ["true"], "command": "true"}, "mutually exclusive"),
        ("neither", {"name": ZONE}, "one of"),
        ("empty", {"name": ZONE, "command": "   "}, "empty"),
        ("bad quoting", {"name": ZONE, "command": "echo 'unterminated"}, "quoting"),
        ("bad zone", {"name": "web;reboot", "argv": ["true"]}, "zone name"),
        ("bad timeout", {"name": ZONE, "argv": ["true"], "exec_timeout": 0}, "exec_timeout"),
    ]
    run = play([{"name": n, "zoneweaver.illumos.zone_exec": a, "ignore_errors": True} for n, a, _words in bad])
    for name, _args, words in bad:
        assert run.outcome(name) == "failed", name
        assert words in run[name]["msg"], (name, run[name]["msg"])
    assert sim.log == [] or all(e["method"] == "GET" for e in sim.log)
