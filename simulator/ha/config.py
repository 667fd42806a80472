"""HA configuration files: groups.cfg, rules.cfg and resources (section config).

Models parsing and writing `/etc/pve/ha/groups.cfg` and `rules.cfg` in the
section-config format, rule defaults, the migration of HA groups to
node-affinity rules (PVE 9), and the resource property defaults.
Errors name the file and line. Leaves out: `fence.cfg` and the JSON-schema
validation of comments and other free text.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from .tools import HAError, parse_node_list

RULE_TYPES = ("node-affinity", "resource-affinity")
_HEADER_RE = re.compile(r"^(\S+):\s*(\S+)\s*$")
_PROP_RE = re.compile(r"^\s+(\S+)(?:\s+(.*?))?\s*$")
_SID_RE = re.compile(r"^(vm|ct|fa):[1-9][0-9]*$")


class ConfigError(HAError):
    """A malformed config file; the message names the file and line."""


def digest(raw: str) -> str:
    return hashlib.sha1(raw.encode()).hexdigest()  # noqa: S324 - a change marker, as PVE's digest


def parse_sections(filename: str, raw: str, types: tuple[str, ...]) -> list[tuple[str, str, dict[str, str], int]]:
    """Split section-config text into (type, id, {key: value}, line number)."""
    sections: list[tuple[str, str, dict[str, str], int]] = []
    current: tuple[str, str, dict[str, str], int] | None = None
    for lineno, line in enumerate(raw.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            current = None if not line.strip() else current
            continue
        header = _HEADER_RE.match(line)
        if header and not line[0].isspace():
            kind, ident = header.groups()
            if kind not in types:
                raise ConfigError(f"{filename} line {lineno}: unknown section type '{kind}'")
            current = (kind, ident, {}, lineno)
            sections.append(current)
            continue
        prop = _PROP_RE.match(line)
        if not prop or current is None:
            raise ConfigError(f"{filename} line {lineno}: unable to parse '{line.strip()}'")
        key, value = prop.group(1), prop.group(2) or ""
        if key in current[2]:
            raise ConfigError(f"{filename} line {lineno}: duplicate property '{key}'")
        current[2][key] = value
    return sections


def _bool(filename: str, lineno: int, key: str, value: str) -> int:
    if value in ("1", "yes", "on", "true"):
        return 1
    if value in ("0", "no", "off", "false"):
        return 0
    raise ConfigError(f"{filename} line {lineno}: property '{key}': type check ('boolean') failed - got '{value}'")


def _nodes(filename: str, lineno: int, value: str) -> dict[str, int]:
    try:
        nodes = parse_node_list(value)
    except HAError as err:
        raise ConfigError(f"{filename} line {lineno}: property 'nodes': {err}") from err
    if not nodes:
        raise ConfigError(f"{filename} line {lineno}: property 'nodes' is missing")
    return nodes


def parse_groups(filename: str, raw: str) -> dict[str, Any]:
    """groups.cfg -> {"ids": {group: {nodes: {n: prio}, restricted, nofailback, comment}}, "digest"}."""
    ids: dict[str, Any] = {}
    for _kind, group, props, lineno in parse_sections(filename, raw, ("group",)):
        unknown = set(props) - {"nodes", "restricted", "nofailback", "comment"}
        if unknown:
            raise ConfigError(f"{filename} line {lineno}: group '{group}': unknown property '{sorted(unknown)[0]}'")
        if "nodes" not in props:
            raise ConfigError(f"{filename} line {lineno}: group '{group}': property 'nodes' is missing")
        ids[group] = {
            "type": "group",
            "nodes": _nodes(filename, lineno, props["nodes"]),
            "restricted": _bool(filename, lineno, "restricted", props.get("restricted", "0")),
            "nofailback": _bool(filename, lineno, "nofailback", props.get("nofailback", "0")),
        }
        if "comment" in props:
            ids[group]["comment"] = props["comment"]
    return {"ids": ids, "digest": digest(raw)}


def _resources(filename: str, lineno: int, value: str) -> dict[str, int]:
    sids = [s for s in re.split(r"[\s,;]+", value.strip()) if s]
    for sid in sids:
        if not _SID_RE.match(sid):
            raise ConfigError(f"{filename} line {lineno}: property 'resources': invalid HA resource id '{sid}'")
    if not sids:
        raise ConfigError(f"{filename} line {lineno}: property 'resources' is missing")
    return dict.fromkeys(sids, 1)


def parse_rules(filename: str, raw: str) -> dict[str, Any]:
    """rules.cfg -> {"ids": {ruleid: rule}, "order": {ruleid: n}, "digest"} with defaults set."""
    ids: dict[str, Any] = {}
    order: dict[str, int] = {}
    allowed = {"node-affinity": {"resources", "nodes", "strict", "affinity", "disable", "comment"},
               "resource-affinity": {"resources", "affinity", "disable", "comment"}}
    for kind, ruleid, props, lineno in parse_sections(filename, raw, RULE_TYPES):
        unknown = set(props) - allowed[kind]
        if unknown:
            raise ConfigError(f"{filename} line {lineno}: rule '{ruleid}': unknown property '{sorted(unknown)[0]}'")
        rule: dict[str, Any] = {"type": kind, "resources": _resources(filename, lineno, props.get("resources", ""))}
        if kind == "node-affinity":
            rule["nodes"] = {n: {"priority": p} for n, p in _nodes(filename, lineno, props.get("nodes", "")).items()}
            rule["strict"] = _bool(filename, lineno, "strict", props.get("strict", "0"))
            rule["affinity"] = props.get("affinity", "positive")
        else:
            if props.get("affinity") not in ("positive", "negative"):
                raise ConfigError(f"{filename} line {lineno}: rule '{ruleid}': property 'affinity' must be "
                                  "'positive' or 'negative'")
            rule["affinity"] = props["affinity"]
        if "disable" in props:  # its presence disables the rule (Rules.pm foreach_rule checks exists())
            rule["disable"] = _bool(filename, lineno, "disable", props["disable"])
        if "comment" in props:
            rule["comment"] = props["comment"]
        ids[ruleid] = rule
        order[ruleid] = len(order) + 1
    return {"ids": ids, "order": order, "digest": digest(raw)}


def format_rules(rules: dict[str, Any]) -> str:
    out = []
    for ruleid in sorted(rules["ids"], key=lambda r: rules["order"].get(r, 0)):
        rule = rules["ids"][ruleid]
        lines = [f"{rule['type']}: {ruleid}"]
        if rule.get("affinity") and rule["type"] == "resource-affinity":
            lines.append(f"\taffinity {rule['affinity']}")
        if rule.get("comment"):
            lines.append(f"\tcomment {rule['comment']}")
        if "disable" in rule:
            lines.append(f"\tdisable {rule['disable']}")
        if rule["type"] == "node-affinity":
            nodes = {n: p.get("priority", 0) for n, p in rule["nodes"].items()}
            lines.append("\tnodes " + ",".join(f"{n}:{p}" if p else n for n, p in sorted(nodes.items())))
        lines.append("\tresources " + ",".join(sorted(rule["resources"])))
        if rule["type"] == "node-affinity" and rule.get("strict"):
            lines.append("\tstrict 1")
        out.append("\n".join(lines) + "\n")
    return "\n".join(out)


def format_groups(groups: dict[str, Any]) -> str:
    out = []
    for group in sorted(groups["ids"]):
        g = groups["ids"][group]
        lines = [f"group: {group}"]
        if g.get("comment"):
            lines.append(f"\tcomment {g['comment']}")
        lines.append("\tnodes " + ",".join(f"{n}:{p}" if p else n for n, p in g["nodes"].items()))
        if g.get("nofailback"):
            lines.append("\tnofailback 1")
        if g.get("restricted"):
            lines.append("\trestricted 1")
        out.append("\n".join(lines) + "\n")
    return "\n".join(out)


def migrate_groups_to_rules(rules: dict[str, Any], groups: dict[str, Any], sc: dict[str, Any]) -> None:
    """Add a node-affinity rule `ha-group-<g>` for every group used by a resource."""
    members: dict[str, dict[str, int]] = {}
    for sid in sorted(sc):
        group = sc[sid].get("group")
        if group and group in groups.get("ids", {}):
            members.setdefault(group, {})[sid] = 1
    for group in sorted(members):
        ruleid = f"ha-group-{group}"
        if ruleid in rules["ids"]:
            continue
        g = groups["ids"][group]
        rules["ids"][ruleid] = {
            "type": "node-affinity",
            "resources": members[group],
            "nodes": {n: {"priority": p} for n, p in g["nodes"].items()},
            "strict": 1 if g.get("restricted") else 0,
            "affinity": "positive",
            "comment": f"Generated from HA group '{group}'.",
        }
        rules["order"][ruleid] = max(rules["order"].values(), default=0) + 1


def migrate_groups_to_resources(groups: dict[str, Any], sc: dict[str, Any]) -> None:
    """A group's `nofailback` becomes the resource's `failback` flag."""
    for cd in sc.values():
        group = cd.get("group")
        if group and group in groups.get("ids", {}):
            cd["failback"] = 0 if groups["ids"][group].get("nofailback") else 1


def service_defaults(sid: str, cd: dict[str, Any], default_state: str = "started") -> dict[str, Any]:
    """Fill type/name/state/failback/max_restart/max_relocate as the HA stack expects."""
    kind, _, name = sid.partition(":")
    cd["type"], cd["name"] = kind, name
    state = cd.get("state") or default_state
    cd["state"] = "started" if state == "enabled" else state
    cd.setdefault("failback", 1)
    cd.setdefault("max_restart", 1)
    cd.setdefault("max_relocate", 1)
    return cd


RESOURCE_KEYS = ("state", "group", "failback", "max_restart", "max_relocate", "comment")


def parse_resources(filename: str, raw: str) -> dict[str, dict[str, Any]]:
    """resources.cfg (`vm: 100` sections) -> {sid: {key: value}} exactly as written."""
    resources: dict[str, dict[str, Any]] = {}
    for kind, ident, props, lineno in parse_sections(filename, raw, ("vm", "ct")):
        sid = f"{kind}:{ident}"
        if not _SID_RE.match(sid):
            raise ConfigError(f"{filename} line {lineno}: invalid HA resource id '{sid}'")
        unknown = set(props) - set(RESOURCE_KEYS)
        if unknown:
            raise ConfigError(f"{filename} line {lineno}: resource '{sid}': unknown property '{sorted(unknown)[0]}'")
        entry: dict[str, Any] = {}
        for key, value in props.items():
            entry[key] = int(value) if key in ("failback", "max_restart", "max_relocate") and value.isdigit() \
                else value
        resources[sid] = entry
    return resources


def format_resources(resources: dict[str, dict[str, Any]]) -> str:
    out = []
    for sid in sorted(resources):
        kind, _, ident = sid.partition(":")
        lines = [f"{kind}: {ident}"]
        lines.extend(f"\t{key} {resources[sid][key]}" for key in RESOURCE_KEYS if resources[sid].get(key) is not None)
        out.append("\n".join(lines) + "\n")
    return "\n".join(out)
