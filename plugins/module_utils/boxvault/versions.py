# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Box versions: names, ordering and selectors.

BoxVault stores a version under any name matching ``^[0-9a-zA-Z-._]+$``
(no leading ``-`` or ``.``, no ``..``) and strips a leading ``v`` in its Vagrant
metadata. Versions are ordered as versions, never as strings (``2025.10.1`` is
newer than ``2025.9.30``; the agent's own sort gets this wrong for non-numeric
parts, hyperweaver-boxvault.md 3.3):

- a leading ``v``/``V`` before a digit is ignored (``v1.0`` equals ``1.0``);
- the release is the leading run of dot-separated numbers, compared
  numerically, trailing zeros ignored (``1.0`` equals ``1.0.0``);
- what follows the release is a pre-release (``-rc1``, ``a2``, ``.beta.3``,
  ``-dev``), ordered before the release itself, unless it is a purely numeric
  revision or ``post``/``rev``/``r``/``p`` + number (``-1``, ``.post2``), which is a
  post-release, ordered after it; ``+build`` metadata is ignored for ordering;
- names that do not start with a digit are not versions; they sort below all
  versions and are only ever chosen by an exact selector.

Selectors: an exact name (``2025.8.22``), ``latest``, or comma-separated
constraints: ``==``, ``!=``, ``>=``, ``<=``, ``>``, ``<``, ``~=`` (compatible release:
``~=2025.8`` means ``>=2025.8,<2026``) and ``==2025.*`` / ``!=2025.*`` prefix
matches; a bare version inside a constraint list means ``==``. ``latest`` and
constraints prefer final releases and fall back to pre-releases only when no
final release matches, or when a constraint names a pre-release itself.
"""

from __future__ import annotations

import re

from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import InputError

# BoxVault's rule for version, provider and architecture names (2.3).
NAME_RE = re.compile(r"^(?!.*\.\.)[0-9a-zA-Z_][0-9a-zA-Z\-._]*$")
# BoxVault's rule for organisation and box names.
ORG_BOX_RE = re.compile(r"^[A-Za-z0-9.\-]+$")

_RELEASE_RE = re.compile(r"^(\d+(?:\.\d+)*)(.*)$")
_POST_WORDS = frozenset(("post", "rev", "r", "p"))
_CLAUSE_RE = re.compile(r"^\s*(==|!=|>=|<=|~=|>|<|=)?\s*([vV]?[0-9][0-9A-Za-z.\-_+]*?)(\.\*)?\s*$")
_OPERATOR_CHARS = set("<>=!~,")


def strip_v(name):
    """'v1.0' -> '1.0', as BoxVault's Vagrant metadata shows it; other names unchanged."""
    text = str(name)
    if len(text) > 1 and text[0] in "vV" and text[1].isdigit():
        return text[1:]
    return text


def check_name(value, what, rule_re=NAME_RE):
    """Refuse a name BoxVault (and the agent's shell commands) would not take."""
    text = "" if value is None else str(value)
    if not text or not rule_re.match(text):
        if rule_re is ORG_BOX_RE:
            rule = "letters, digits, '.' and '-'"
        else:
            rule = "letters, digits, '-', '.' and '_', not starting with '-' or '.', without '..'"
        raise InputError("invalid %s %r: %s" % (what, text, rule))
    return text


def written_release(name):
    """The leading numbers of a version as written: 'v2025.8.0-rc1' -> (2025, 8, 0)."""
    match = _RELEASE_RE.match(strip_v(str(name).strip()))
    return tuple(int(p) for p in match.group(1).split(".")) if match else ()


class Version:
    """One version name with a total, numeric-aware order."""

    __slots__ = ("name", "release", "phase", "pre", "valid", "key")

    def __init__(self, name):
        self.name = str(name)
        text = strip_v(self.name.strip())
        text = text.split("+", 1)[0]
        match = _RELEASE_RE.match(text)
        if not match:
            self.valid = False
            self.release = ()
            self.phase = 0
            self.pre = ()
            self.key = (0, (), 0, ((1, 0, text.lower()),))
            return
        self.valid = True
        release = [int(part) for part in match.group(1).split(".")]
        while len(release) > 1 and release[-1] == 0:
            release.pop()
        self.release = tuple(release)
        rest = match.group(2)
        words = re.findall(r"\d+|[A-Za-z]+", rest)
        if not words:
            self.phase = 0
        elif words[0].isdigit() or words[0].lower() in _POST_WORDS:
            self.phase = 1
        else:
            self.phase = -1
        self.pre = tuple((0, int(w), "") if w.isdigit() else (1, 0, w.lower()) for w in words)
        self.key = (1, self.release, self.phase, self.pre)

    @property
    def is_prerelease(self):
        return self.valid and self.phase < 0

    def __eq__(self, other):
        return isinstance(other, Version) and self.key == other.key

    def __lt__(self, other):
        return self.key < other.key

    def __le__(self, other):
        return self.key <= other.key

    def __gt__(self, other):
        return self.key > other.key

    def __ge__(self, other):
        return self.key >= other.key

    def __hash__(self):
        return hash(self.key)

    def __repr__(self):
        return "Version(%r)" % self.name


def sort_versions(names, reverse=False):
    """Names in version order (oldest first unless reverse)."""
    return sorted(names, key=lambda n: Version(n).key, reverse=reverse)


class _Clause:
    def __init__(self, operator, version, prefix):
        self.operator = operator
        self.version = Version(version)
        self.prefix = prefix
        # the release parts as written: '2025.0.*' and '~=2025.8.0' must not be shortened
        self.written = written_release(version)
        self.prefix_release = self.written if prefix else ()
        self.text = "%s%s%s" % (operator, version, ".*" if prefix else "")

    def matches(self, candidate):
        op, want = self.operator, self.version
        if self.prefix:
            release = candidate.release + (0,) * (len(self.prefix_release) - len(candidate.release))
            same = candidate.valid and release[:len(self.prefix_release)] == self.prefix_release
            return same if op == "==" else not same
        if op == "==":
            return candidate == want
        if op == "!=":
            return candidate != want
        if not candidate.valid:
            return False
        if op == ">=":
            return candidate >= want
        if op == "<=":
            return candidate <= want
        if op == ">":
            return candidate > want
        if op == "<":
            return candidate < want
        if op == "~=":
            upper = list(self.written[:-1])
            upper[-1] += 1
            return candidate >= want and candidate.release < tuple(upper)
        raise AssertionError(op)


class Selector:
    """What the user asked for: exact, latest, or constraints."""

    def __init__(self, text=None):
        raw = "" if text is None else str(text).strip()
        self.text = raw or "latest"
        self.clauses = []
        if not raw or raw.lower() == "latest":
            self.kind = "latest"
        elif _OPERATOR_CHARS & set(raw):
            self.kind = "constraint"
            for part in raw.split(","):
                if not part.strip():
                    raise InputError("invalid version constraint %r: empty clause" % raw,
                                     hint="write constraints like '>=2025.1,<2026' or '~=2025.8'")
                match = _CLAUSE_RE.match(part)
                if not match:
                    raise InputError("invalid version constraint %r: cannot read %r" % (raw, part.strip()),
                                     hint="operators are ==, !=, >=, <=, >, <, ~= followed by a version such as 2025.8.22")
                operator, version, star = match.groups()
                operator = "==" if operator in (None, "=") else operator
                if star and operator not in ("==", "!="):
                    raise InputError("invalid version constraint %r: '.*' only goes with == or !=" % raw)
                if operator == "~=" and len(written_release(version)) < 2:
                    raise InputError("invalid version constraint %r: ~= needs at least two components, e.g. ~=2025.8"
                                     % raw)
                self.clauses.append(_Clause(operator, version, bool(star)))
        else:
            self.kind = "exact"
            check_name(raw, "version")

    @property
    def names_prerelease(self):
        return any(c.version.is_prerelease for c in self.clauses)

    def matches(self, name):
        """Does this version name satisfy the selector (ignoring the pre-release preference)?"""
        candidate = Version(name)
        if self.kind == "exact":
            return name == self.text or strip_v(name) == strip_v(self.text)
        if self.kind == "latest":
            return candidate.valid
        return all(c.matches(candidate) for c in self.clauses)

    def select(self, names):
        """The best version name among `names`, or None.

        exact: that name (BoxVault's stored name wins over a 'v'-stripped match);
        latest / constraint: the newest match, final releases first.
        """
        names = [str(n) for n in names]
        if self.kind == "exact":
            if self.text in names:
                return self.text
            same = [n for n in names if strip_v(n) == strip_v(self.text)]
            return same[0] if same else None
        matching = [n for n in names if self.matches(n)]
        if not matching:
            return None
        if not self.names_prerelease:
            finals = [n for n in matching if not Version(n).is_prerelease]
            matching = finals or matching
        return sort_versions(matching, reverse=True)[0]

    def __repr__(self):
        return "Selector(%r)" % self.text
