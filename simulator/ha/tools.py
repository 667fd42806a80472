"""Small helpers shared by the HA stack (pve-ha-manager's PVE::HA::Tools).

Models the LRM exit codes, service id parsing, node priority lists, counting
fenced/active services and Debian-style version comparison for the group
migration check. Leaves out: the JSON schema plumbing of the real module.
"""

from __future__ import annotations

import re
from typing import Any

SUCCESS = 0
ERROR = 1
ETRY_AGAIN = 2
EUNKNOWN_SERVICE_TYPE = 3
EUNKNOWN_SERVICE = 4
EINVALID_PARAMETER = 5
EWRONG_NODE = 6
EUNKNOWN_COMMAND = 7
IGNORED = 8

SID_RE = re.compile(r"^(vm|ct|fa):([1-9][0-9]*)$")
NODE_PRIORITY_RE = re.compile(r"^([a-zA-Z0-9]([a-zA-Z0-9\-]*[a-zA-Z0-9])?)(?::(\d+))?$")


class HAError(Exception):
    """An error the real code would `die` with; the message is what it prints."""


def parse_sid(sid: str) -> tuple[str, str]:
    """Split `vm:100` into (`vm`, `100`)."""
    match = re.match(r"^(\S+):(\S+)$", sid)
    if not match:
        raise HAError(f"unable to parse service id '{sid}'")
    return match.group(1), match.group(2)


def parse_node_list(value: str) -> dict[str, int]:
    """Parse `node1:2,node2` into {node: priority} (missing priority = 0)."""
    nodes: dict[str, int] = {}
    for entry in re.split(r"[\s,;]+", value.strip()):
        if not entry:
            continue
        match = NODE_PRIORITY_RE.match(entry)
        if not match:
            raise HAError(f"invalid format - value '{entry}' does not look like a valid node name")
        nodes[match.group(1)] = int(match.group(3) or 0)
    return nodes


def format_node_list(nodes: dict[str, int]) -> str:
    return ",".join(f"{n}:{p}" if p else n for n, p in sorted(nodes.items()))


def count_fenced_services(ss: dict[str, Any] | None, node: str) -> int:
    count = 0
    for sd in (ss or {}).values():
        if sd.get("node") == node and sd.get("state") == "fence":
            count += 1
    return count


def count_active_services(ss: dict[str, Any] | None, node: str) -> int:
    count = 0
    for sd in (ss or {}).values():
        if sd.get("node") != node:
            continue
        if sd.get("state") in ("stopped", "freeze", "error", None):
            continue
        count += 1
    return count


def _version_key(part: str) -> list[tuple[int, Any]]:
    """Debian ordering for one version part: `~` sorts before everything."""
    key: list[tuple[int, Any]] = []
    for piece in re.findall(r"\d+|~|[^\d~]+", part):
        if piece == "~":
            key.append((-1, 0))
        elif piece.isdigit():
            key.append((1, int(piece)))
        else:
            key.append((0, piece))
    key.append((0, ""))
    return key


def has_min_version(version: str, minimum: str) -> bool:
    """True if `version` >= `minimum` in Debian version order (`9.0.0~16` < `9.0.0`)."""
    def split(v: str) -> list[list[tuple[int, Any]]]:
        return [_version_key(p) for p in re.split(r"[.\-]", v)]

    a, b = split(version), split(minimum)
    for x, y in zip(a, b, strict=False):
        if x != y:
            return _cmp_keys(x, y) > 0
    return len(a) >= len(b)


def _cmp_keys(x: list[tuple[int, Any]], y: list[tuple[int, Any]]) -> int:
    for (kx, vx), (ky, vy) in zip(x, y, strict=False):
        if kx != ky:
            return kx - ky
        if vx != vy:
            return -1 if vx < vy else 1
    return len(x) - len(y)


def as_int(value: Any, default: int = 0) -> int:
    """Perl-style numeric view of a config value (`"3"` -> 3)."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return default
