"""Small helpers shared by the simulator modules (time stamps, ids, sizes)."""
from __future__ import annotations

import re
import time
import uuid
from datetime import datetime, timezone

_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGTPE]?)(?:i?B)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40, "P": 1 << 50, "E": 1 << 60}


def now_iso() -> str:
    """ISO timestamp as Sequelize/JS Date.toISOString() prints it (ms, Z)."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def epoch_ms() -> int:
    return int(time.time() * 1000)


def parse_iso(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        return None


def new_uuid() -> str:
    return str(uuid.uuid4())


def parse_size(value) -> int | None:
    """'20G' / '512M' / 1073741824 -> bytes; None when unparseable."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if not isinstance(value, str):
        return None
    m = _SIZE_RE.match(value)
    if not m:
        return None
    return int(float(m.group(1)) * _UNITS[m.group(2).upper()])


def format_size(nbytes: int) -> str:
    """bytes -> the shortest exact zfs-style size ('20G', '1536M')."""
    for unit in ("E", "P", "T", "G", "M", "K"):
        mult = _UNITS[unit]
        if nbytes >= mult and nbytes % mult == 0:
            return f"{nbytes // mult}{unit}"
    return str(nbytes)


def normalize_size(value) -> str | None:
    n = parse_size(value)
    return None if n is None else format_size(n)
