"""TemplateNativeBackend: reading template datasets and their user properties from `zfs list`."""

from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.runner import CommandRunner
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.templates import (
    LIST_FIELDS, TemplateNativeBackend)

BASE = "rpool/templates"
DS = BASE + "/STARTcloud/debian12/2025.8.22"


def row(name, kind="volume", **props):
    values = {"name": name, "type": kind, "volsize": "21474836480" if kind == "volume" else "-", "used": "1024",
              "creation": "1767225600"}
    for field in LIST_FIELDS:
        if field.startswith("zoneweaver:"):
            values[field] = props.get(field.split(":", 1)[1], "-")
    return "\t".join(values.get(f, "-") for f in LIST_FIELDS)


LISTING = "\n".join([
    row(BASE, "filesystem"), row(BASE + "/STARTcloud", "filesystem"),
    row(BASE + "/STARTcloud/debian12", "filesystem"),
    row(DS, organization="STARTcloud", box="debian12", version="2025.8.22", provider="zone", architecture="amd64",
        sha256="ab" * 32, checksum="SHA512:" + "cd" * 64, size="734003200", source="https://bv.example.com",
        downloaded_at="2026-11-22T10:00:00Z", brand="bhyve"),
    row(DS + "@ready", "snapshot"),
    row(BASE + "/STARTcloud/debian12/2025.9.30", organization="STARTcloud", box="debian12", version="2025.9.30",
        provider="zone", architecture="amd64"),
    row(BASE + "/STARTcloud/debian12/2025.9.30.partial-0a1b2c3d"),
    row(BASE + "/STARTcloud/debian12/handmade"),
]) + "\n"


def backend(listing=LISTING, rc=0):
    calls = []

    def run(argv, **kwargs):
        calls.append(argv)
        if argv[:2] == ["zfs", "list"]:
            return rc, listing, "" if rc == 0 else "cannot open 'rpool/templates': dataset does not exist\n"
        return 0, "", ""

    return TemplateNativeBackend(CommandRunner(run), BASE), calls


def test_scan_reads_templates_partials_and_foreign_datasets():
    tb, calls = backend()
    templates, partials, others = tb.scan()
    assert calls[0][:5] == ["zfs", "list", "-H", "-p", "-o"] and calls[0][-1] == BASE
    assert [t["version"] for t in templates] == ["2025.8.22", "2025.9.30"]
    ready = templates[0]
    assert ready["ready"] is True and ready["dataset_path"] == DS and ready["id"] == DS
    assert (ready["provider"], ready["architecture"], ready["size"]) == ("zone", "amd64", 734003200)
    assert ready["checksum"] == "ab" * 32 and ready["registry_checksum"] == "SHA512:" + "cd" * 64
    assert ready["metadata"] == {"brand": "bhyve"} and ready["volsize"] == 21474836480
    assert templates[1]["ready"] is False, "no @ready snapshot: an import that did not finish"
    assert partials == [BASE + "/STARTcloud/debian12/2025.9.30.partial-0a1b2c3d"]
    assert [o["name"] for o in others] == [BASE + "/STARTcloud/debian12/handmade"]


def test_find_narrows_to_one_version():
    tb, _calls = backend()
    templates, partials, others = tb.find("STARTcloud", "debian12", "2025.9.30")
    assert [t["version"] for t in templates] == ["2025.9.30"] and len(partials) == 1 and others == []


def test_missing_base_is_no_templates():
    tb, _calls = backend(listing="", rc=1)
    assert tb.list() == []


def test_parents_created_once_and_reported_for_undo():
    calls = []

    def run(argv, **kwargs):
        calls.append(argv)
        if argv[:2] == ["zfs", "list"]:
            return 1, "rpool/templates\n", "cannot open 'rpool/templates/acme': dataset does not exist\n"
        return 0, "", ""

    tb = TemplateNativeBackend(CommandRunner(run), BASE)
    created = tb._ensure_parents(BASE + "/acme/runner/1.0.0")
    assert created == [BASE + "/acme", BASE + "/acme/runner"]
    assert calls[-1] == ["zfs", "create", "-p", BASE + "/acme/runner"]


def test_parents_seen_by_the_scan_are_not_listed_again():
    tb, calls = backend()
    tb.find("STARTcloud", "debian12", "2025.10.1")
    assert tb._ensure_parents(BASE + "/STARTcloud/debian12/2025.10.1") == []
    assert len(calls) == 1, "the parents were looked up again: %r" % calls[1:]
