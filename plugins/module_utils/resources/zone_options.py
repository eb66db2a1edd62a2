# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The options of one zone, shared by the zone module and each item of the zones module."""

from __future__ import annotations

ZONE_OPTIONS = {
    "name": {"type": "str", "required": True, "aliases": ["machine_name", "zone_name"]},
    "hostname": {"type": "str"},
    "domain": {"type": "str"},
    "server_id": {"type": "str"},
    "state": {"type": "str", "default": "present", "choices": ["present", "absent", "running", "stopped", "restarted"]},
    "brand": {"type": "str", "choices": ["bhyve", "lx", "lipkg", "sparse", "pkgsrc", "kvm"]},
    "vmtype": {"type": "str", "choices": ["template", "development", "production", "firewall", "other"]},
    "vcpus": {"type": "raw"},
    "ram": {"type": "str"},
    "autoboot": {"type": "bool"},
    "bootrom": {"type": "str"},
    "boot_disk": {"type": "dict", "options": {
        "type": {"type": "str", "choices": ["template", "blank", "image", "none"]},
        "box": {"type": "str"},
        "box_version": {"type": "str"},
        "size": {"type": "str"},
        "path": {"type": "str"},
        "pool": {"type": "str"},
        "dataset": {"type": "str"},
        "sparse": {"type": "bool"},
        "clone_strategy": {"type": "str", "choices": ["clone", "copy", "localize"]},
    }},
    "disks": {"type": "list", "elements": "dict"},
    "nics": {"type": "list", "elements": "dict"},
    "cdroms": {"type": "list", "elements": "str"},
    "cloud_init": {"type": "dict", "options": {
        "enabled": {"type": "raw"},
        "dns_domain": {"type": "str"},
        "resolvers": {"type": "list", "elements": "str"},
        "sshkey": {"type": "str", "no_log": False},
        "password": {"type": "str", "no_log": True},
    }},
    "tags": {"type": "list", "elements": "str"},
    "notes": {"type": "str"},
    "force": {"type": "bool", "default": False},
    "cleanup_disks": {"type": "bool", "default": True},
    "cleanup_networking": {"type": "bool", "default": True},
}
