"""zoneweaver.illumos.storage_info against both simulator generations, through ansible-playbook."""


def conn(sim, options):
    """The connection is given explicitly so the test does not depend on meta/runtime.yml's action group."""
    return dict({"api_url": sim.url, "api_key": sim.admin_key}, **options)


def info_task(sim, title, ignore=False, **options):
    task = {"name": title, "zoneweaver.illumos.storage_info": conn(sim, options), "register": "out"}
    if ignore:
        task["ignore_errors"] = True
    return task


def test_pools_datasets_filters_and_properties(play, sim):
    run = play([
        {"name": "parent", "zoneweaver.illumos.zfs_dataset": conn(sim, {"name": "rpool/info"})},
        {"name": "volume", "zoneweaver.illumos.zfs_dataset": conn(sim, {
            "name": "rpool/info/vol0", "properties": {"volsize": "1G"}})},
        {"name": "snapshot", "zoneweaver.illumos.zfs_snapshot": conn(sim, {"name": "rpool/info@s1"})},
    ])
    assert run.rc == 0, run.output
    sim.clear_log()
    run = play([
        info_task(sim, "everything"),
        info_task(sim, "volumes under rpool/info", sections=["datasets"], pool="rpool/info", type="volume"),
        info_task(sim, "prefix", sections=["datasets"], name_prefix="rpool/info/"),
        info_task(sim, "snapshots", sections=["datasets"], pool="rpool/info", type="snapshot"),
        info_task(sim, "one dataset", sections=[], dataset="rpool/info/vol0"),
        info_task(sim, "missing dataset", sections=[], dataset="rpool/nothere"),
        info_task(sim, "bad filter", ignore=True, sections=["pools"], type="volume"),
    ])
    missing = play([info_task(sim, "missing pool", ignore=True, sections=["datasets"], pool="nopool")])
    assert run.rc == 0, run.output
    everything = run["everything"]
    assert everything["changed"] is False and everything["generation"] == sim.generation
    pools = {p["name"]: p for p in everything["pools"]}
    assert "rpool" in pools and isinstance(pools["rpool"]["size"], int)
    names = [d["name"] for d in everything["datasets"]]
    assert "rpool/info" in names and "rpool/info/vol0" in names and "rpool/info@s1" not in names
    vol = next(d for d in everything["datasets"] if d["name"] == "rpool/info/vol0")
    assert vol["type"] == "volume" and isinstance(vol["used"], int) and vol["mountpoint"] is None
    assert [d["name"] for d in run["volumes under rpool/info"]["datasets"]] == ["rpool/info/vol0"]
    assert "pools" not in run["volumes under rpool/info"]
    assert [d["name"] for d in run["prefix"]["datasets"]] == ["rpool/info/vol0"]
    assert [d["name"] for d in run["snapshots"]["datasets"]] == ["rpool/info@s1"]
    one = run["one dataset"]
    assert one["dataset"]["name"] == "rpool/info/vol0" and one["dataset"]["type"] == "volume"
    assert one["dataset"]["properties"]["volsize"] == {"value": str(1024 ** 3), "source": "local"}
    assert "datasets" not in one and "pools" not in one
    assert run["missing dataset"]["dataset"] == {}
    assert "leaves out" in run["bad filter"]["msg"]

    assert "cannot list the datasets under nopool" in missing["missing pool"]["msg"]
    assert "does not exist" in missing["missing pool"]["msg"]

    reads = [e for e in sim.log if e["path"] != "/status" and e["query"].get("pool") != "nopool"]
    assert not [e for e in reads if e["method"] != "GET"]
    # one request per section: 2 + 1 + 1 + 1 + 1 + 1, and none for the refused filter
    assert len(reads) == 7, [(e["path"], e["query"]) for e in reads]
