"""Fault-injection knobs: latency, injected errors, dropped connections (before
the request is applied, or after it, with the answer lost), slow, failing or
hanging tasks.  Read by the HTTP pipeline and the task engine on
every use, so changes apply immediately."""
from __future__ import annotations

import random
import threading

TIMING_DEFAULTS = {
    # poll_interval is the agent's zones.task_poll_interval (2 s on a real host)
    "fast": {"poll_interval": 0.05, "task_duration": 0.05, "list_lag": 0.0},
    "realistic": {"poll_interval": 2.0, "task_duration": 3.0, "list_lag": 10.0},
}


class Knobs:
    FIELDS = ("latency", "error_rate", "drop_rate", "lost_reply_rate", "lose_reply_to", "task_duration",
              "fail_operations", "hang_operations", "list_lag")

    def __init__(self, timing: str = "fast"):
        if timing not in TIMING_DEFAULTS:
            raise ValueError(f"timing must be one of {sorted(TIMING_DEFAULTS)}")
        d = TIMING_DEFAULTS[timing]
        self._lock = threading.Lock()
        self._rng = random.Random()
        self.latency = 0.0
        self.error_rate = 0.0
        self.drop_rate = 0.0
        self.lost_reply_rate = 0.0     # applied, then the connection closes without an answer
        self.lose_reply_to: list[str] = []   # "METHOD /path": the next such request loses its answer (once)
        self.task_duration = d["task_duration"]
        self.fail_operations: dict[str, str] = {}
        self.hang_operations: set[str] = set()
        self.list_lag = d["list_lag"]

    # -- validation on every assignment, so a bad PUT /_sim/knobs is refused
    def __setattr__(self, name, value):
        if name.startswith("_"):
            return object.__setattr__(self, name, value)
        if name not in self.FIELDS:
            raise AttributeError(f"unknown knob {name!r}")
        object.__setattr__(self, name, _validate(name, value))

    def to_dict(self) -> dict:
        lat = self.latency
        return {
            "latency": list(lat) if isinstance(lat, tuple) else lat,
            "error_rate": self.error_rate,
            "drop_rate": self.drop_rate,
            "lost_reply_rate": self.lost_reply_rate,
            "lose_reply_to": list(self.lose_reply_to),
            "task_duration": self.task_duration,
            "fail_operations": dict(self.fail_operations),
            "hang_operations": sorted(self.hang_operations),
            "list_lag": self.list_lag,
        }

    def update(self, values: dict) -> None:
        if not isinstance(values, dict):
            raise ValueError("knobs must be a JSON object")
        unknown = set(values) - set(self.FIELDS)
        if unknown:
            raise ValueError(f"unknown knobs: {sorted(unknown)}")
        checked = {k: _validate(k, v) for k, v in values.items()}   # all-or-nothing
        for k, v in checked.items():
            object.__setattr__(self, k, v)

    def seed(self, value) -> None:
        """Make the sequence of latencies and injected faults reproducible (per request, in order)."""
        with self._lock:
            self._rng.seed(value)

    # -- decisions (one RNG under a lock: cheap and thread safe)
    def sample_latency(self) -> float:
        lat = self.latency
        if isinstance(lat, tuple):
            with self._lock:
                return self._rng.uniform(lat[0], lat[1])
        return lat

    def roll(self, rate: float) -> bool:
        if rate <= 0:
            return False
        with self._lock:
            return self._rng.random() < rate

    def take_lost_reply(self, method: str, path: str) -> bool:
        """True once for each "METHOD /path" entry of lose_reply_to this request matches."""
        wanted = "%s %s" % (method, path)
        with self._lock:
            if wanted not in self.lose_reply_to:
                return False
            remaining = list(self.lose_reply_to)
            remaining.remove(wanted)
            object.__setattr__(self, "lose_reply_to", remaining)
            return True

    def injected_status(self) -> int:
        with self._lock:
            return self._rng.choice((500, 502, 503))


def _num(name, value, lo=0.0, hi=None) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{name} must be a number")
    if value < lo or (hi is not None and value > hi):
        raise ValueError(f"{name} must be between {lo} and {hi}" if hi is not None else f"{name} must be >= {lo}")
    return float(value)


def _validate(name, value):
    if name == "latency":
        if isinstance(value, (list, tuple)):
            if len(value) != 2:
                raise ValueError("latency range must be [min, max]")
            lo, hi = _num(name, value[0]), _num(name, value[1])
            if hi < lo:
                raise ValueError("latency range must be [min, max] with min <= max")
            return (lo, hi)
        return _num(name, value)
    if name in ("error_rate", "drop_rate", "lost_reply_rate"):
        return _num(name, value, 0.0, 1.0)
    if name == "lose_reply_to":
        if value is None:
            return []
        if isinstance(value, str) or not all(isinstance(v, str) and " /" in v for v in value):
            raise ValueError('lose_reply_to must be a list of "METHOD /path" strings')
        return [v.split(" ", 1)[0].upper() + " " + v.split(" ", 1)[1] for v in value]
    if name in ("task_duration", "list_lag"):
        return _num(name, value)
    if name == "fail_operations":
        if value is None:
            return {}
        if isinstance(value, (list, tuple, set)):
            value = {op: f"Simulated failure of {op}" for op in value}
        if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
            raise ValueError("fail_operations must map operation -> error message")
        return {k: str(v) for k, v in value.items()}
    if name == "hang_operations":
        if value is None:
            return set()
        if isinstance(value, str) or not all(isinstance(v, str) for v in value):
            raise ValueError("hang_operations must be a list of operation names")
        return set(value)
    raise AttributeError(name)
