"""zoneweaver.illumos.provisioning_recipe and provisioning_profile against both simulator generations."""

RECIPE = {"name": "debian-dhcp", "os_family": "linux", "shell_prompt": ":~#",
          "steps": [{"type": "wait", "pattern": "login:"}, {"type": "send", "text": "root\n"}]}


def recipe_task(title, check=False, **options):
    task = {"name": title, "zoneweaver.illumos.provisioning_recipe": options, "register": "out"}
    if check:
        task["check_mode"] = True
    return task


def profile_task(title, check=False, **options):
    task = {"name": title, "zoneweaver.illumos.provisioning_profile": options, "register": "out"}
    if check:
        task["check_mode"] = True
    return task


def test_recipe_lifecycle(play, sim):
    checked = play([recipe_task("check", check=True, **RECIPE)], extra_args=["--diff"])
    assert checked.rc == 0, checked.output
    assert checked["check"]["changed"] is True and checked["check"]["actions"] == ["create"]
    assert sim.mutations() == []
    run = play([recipe_task("create", **RECIPE), recipe_task("again", **RECIPE),
                recipe_task("change check", check=True, **dict(RECIPE, timeout_seconds=600)),
                recipe_task("change", **dict(RECIPE, timeout_seconds=600)),
                recipe_task("change again", **dict(RECIPE, timeout_seconds=600)),
                recipe_task("only name", name="debian-dhcp"),
                recipe_task("remove", name="debian-dhcp", state="absent"),
                recipe_task("remove again", name="debian-dhcp", state="absent")], extra_args=["--diff"])
    assert run.rc == 0, run.output
    created = run["create"]
    assert created["changed"] is True and created["recipe"]["id"] and created["recipe"]["brand"] == "bhyve"
    assert created["recipe"]["steps"] == RECIPE["steps"]
    assert run["again"]["changed"] is False
    assert run["change check"]["diff"] == {"before": {"timeout_seconds": 300}, "after": {"timeout_seconds": 600}}
    assert run["change"]["changed"] is True and run["change"]["recipe"]["timeout_seconds"] == 600
    puts = [m for m in sim.mutations() if m["method"] == "PUT"]
    assert len(puts) == 1 and puts[0]["body"] == {"timeout_seconds": 600}, "an update sends only what differs"
    assert run["change again"]["changed"] is False and run["only name"]["changed"] is False
    assert run["remove"]["changed"] is True and run["remove again"]["changed"] is False


def test_recipe_bad_input(play, sim):
    bad = [
        ("missing steps", {"name": "x", "os_family": "linux"}, "needs steps"),
        ("bad family", {"name": "x", "os_family": "beos", "steps": [{"type": "wait"}]}, "os_family"),
        ("bad step", {"name": "x", "os_family": "linux", "steps": [{}]}, "steps[0]"),
        ("bad name", {"name": "x;y", "os_family": "linux", "steps": [{"type": "wait"}]}, "recipe name"),
    ]
    run = play([dict(recipe_task(t, **a), ignore_errors=True) for t, a, _words in bad])
    for title, _args, words in bad:
        assert run.outcome(title) == "failed", title
        assert words in run[title]["msg"], (title, run[title]["msg"])
    assert sim.mutations() == []


def test_profiles_on_0_2_only(play, sim):
    secret = "Pr0file-Secret-Pass"
    profile = {"name": "debian-web", "recipe": "debian-dhcp", "description": "web servers",
               "default_credentials": {"username": "vagrant", "password": secret},
               "default_provisioners": [{"type": "shell", "inline": "true"}]}
    if sim.generation != "0.2":
        run = play([dict(profile_task("profile", **profile), ignore_errors=True)])
        assert run.outcome("profile") == "failed"
        assert "exist only in the 0.2 generation" in run["profile"]["msg"]
        assert sim.mutations() == []
        return
    run = play([recipe_task("recipe", **RECIPE),
                profile_task("check", check=True, **profile),
                profile_task("create", **profile), profile_task("again", **profile),
                profile_task("change", **{**profile, "description": "all web servers"}),
                dict(profile_task("unknown recipe", **{**profile, "recipe": "nope"}), ignore_errors=True),
                profile_task("remove", name="debian-web", state="absent")], extra_args=["--diff", "-v"])
    assert run.rc == 0, run.output
    assert run["check"]["changed"] is True
    created = run["create"]
    assert created["changed"] is True and created["profile"]["recipe_id"] == run["recipe"]["recipe"]["id"]
    assert created["profile"]["default_credentials"] == {"username": "********", "password": "********"}
    assert run["again"]["changed"] is False
    assert run["change"]["changed"] is True
    assert run.outcome("unknown recipe") == "failed" and "does not exist" in run["unknown recipe"]["msg"]
    assert run["remove"]["changed"] is True
    assert secret not in run.output
