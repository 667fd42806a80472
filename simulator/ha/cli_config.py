"""`ha-manager` group and rule commands (API2/HA/Groups.pm, API2/HA/Rules.pm).

Models groupadd/groupset/groupremove/groupconfig (PVE 8; on PVE 9, once
groups.cfg is gone or empty, every group command fails with `cannot ...
group: ha groups have been migrated to rules`) and rules add/set/remove/
config for node-affinity and resource-affinity rules, validated with the same
feasibility checks the CRM applies. Leaves out: the table layout of
`rules config` (we print the rules.cfg section text; UNVERIFIED).
"""

from __future__ import annotations

import re
from typing import Any

from simulator.cli.common import Spec, param_error, parse, usage_error
from simulator.errors import PveError

from . import config
from .cli import _spec
from .tools import HAError, format_node_list, parse_node_list

MIGRATED = "ha groups have been migrated to rules"
GROUP_OPTS = {"nodes": "str", "restricted": "bool", "nofailback": "bool", "comment": "str"}
RULE_OPTS = {"resources": "str", "nodes": "str", "strict": "bool", "affinity": "positive|negative",
             "comment": "str", "disable": "bool"}


def _nodes(spec: Spec, value: str) -> dict[str, int]:
    try:
        nodes = parse_node_list(value)
    except HAError as err:
        raise param_error(spec, "nodes", str(err)) from err
    if not nodes:
        raise param_error(spec, "nodes", "property is missing and it is not optional")
    return nodes


def _groups(env: Any, verb: str) -> dict[str, Any]:
    if env.ha_groups_migrated():
        raise PveError(f"cannot {verb} group: {MIGRATED}")
    return env.read_group_config()


def cmd_groupadd(env: Any, args: list[str]) -> str:
    spec = _spec("groupadd <group> --nodes <string> [OPTIONS]", ["group"], {**GROUP_OPTS, "type": "group"})
    (group,), opts = parse(spec, args)
    if "nodes" not in opts:
        raise param_error(spec, "nodes", "property is missing and it is not optional")
    groups = _groups(env, "create")
    if group in groups["ids"]:
        raise PveError(f"create ha group failed: ha group ID '{group}' already defined")
    groups["ids"][group] = {"type": "group", "nodes": _nodes(spec, opts["nodes"]),
                            "restricted": opts.get("restricted", 0), "nofailback": opts.get("nofailback", 0)}
    if opts.get("comment"):
        groups["ids"][group]["comment"] = opts["comment"]
    env.write_group_config(groups)
    return ""


def cmd_groupset(env: Any, args: list[str]) -> str:
    spec = _spec("groupset <group> [OPTIONS]", ["group"], {**GROUP_OPTS, "delete": "str", "digest": "str"})
    (group,), opts = parse(spec, args)
    groups = _groups(env, "update")
    if group not in groups["ids"]:
        raise PveError(f"update ha group failed: no such ha group '{group}'")
    entry = groups["ids"][group]
    for key in [k for k in re.split(r"[\s,;]+", opts.pop("delete", "")) if k]:
        if key not in ("restricted", "nofailback", "comment"):
            raise PveError(f"update ha group failed: no such option '{key}'")
        entry.pop(key, None)
    opts.pop("digest", None)
    if "nodes" in opts:
        opts["nodes"] = _nodes(spec, opts["nodes"])
    entry.update(opts)
    env.write_group_config(groups)
    return ""


def cmd_groupremove(env: Any, args: list[str]) -> str:
    (group,), _ = parse(_spec("groupremove <group>", ["group"], {}), args)
    groups = _groups(env, "delete")
    users = sorted(sid for sid, cd in env.read_resources().items() if cd.get("group") == group)
    if users:
        raise PveError(f"delete ha group failed: ha group is used by service '{users[0]}'")
    groups["ids"].pop(group, None)
    env.write_group_config(groups)
    return ""


def cmd_groupconfig(env: Any, args: list[str]) -> str:
    parse(_spec("groupconfig", [], {}), args)
    return config.format_groups(_groups(env, "index")).rstrip("\n")


def _rule_from_opts(spec: Spec, kind: str, opts: dict[str, Any], rule: dict[str, Any]) -> None:
    if opts.get("disable"):
        rule["disable"] = 1
    elif "disable" in opts:
        rule.pop("disable", None)
    if "resources" in opts:
        sids = [s for s in re.split(r"[\s,;]+", opts["resources"]) if s]
        bad = [s for s in sids if not re.match(r"^(vm|ct):[1-9][0-9]*$", s)]
        if bad or not sids:
            raise param_error(spec, "resources", f"invalid format - value '{bad[0] if bad else ''}' does not look "
                                                 "like a valid ha resource id")
        rule["resources"] = dict.fromkeys(sids, 1)
    if kind == "node-affinity":
        if "affinity" in opts:
            raise usage_error(spec, "Unknown option: affinity\n400 unable to parse option")
        if "nodes" in opts:
            rule["nodes"] = {n: {"priority": p} for n, p in _nodes(spec, opts["nodes"]).items()}
        for key in ("strict", "comment"):
            if key in opts:
                rule[key] = opts[key]
    else:
        for key in ("nodes", "strict"):
            if key in opts:
                raise usage_error(spec, f"Unknown option: {key}\n400 unable to parse option")
        for key in ("affinity", "comment"):
            if key in opts:
                rule[key] = opts[key]


def _check_references(env: Any, failed: str, rule: dict[str, Any]) -> None:
    unmanaged = sorted(sid for sid in rule.get("resources", {}) if sid not in env.read_resources())
    if unmanaged:
        raise PveError(f"{failed}: cannot use unmanaged resource(s) {', '.join(unmanaged)}.")
    unknown = sorted(n for n in rule.get("nodes", {}) if n not in env.cluster_nodes())
    if unknown:
        raise PveError(f"{failed}: cannot use non-existant node(s) {', '.join(unknown)}.")


def _check_feasible(env: Any, rules: dict[str, Any], ruleid: str, failed: str) -> None:
    """API2/HA/Rules.pm assert_feasibility: a 400 exception listing the reasons per property."""
    from .rules import feasibility_errors

    trial = {"ids": {r: dict(v) for r, v in rules["ids"].items()}, "order": dict(rules["order"]), "digest": ""}
    errors = feasibility_errors(trial, env.cluster_nodes()).get(ruleid)
    if errors:
        reasons = "".join(f"\n{opt}: {', '.join(msgs)}" for opt, msgs in sorted(errors.items()))
        raise PveError(f"{failed}: 400 Rule '{ruleid}' is invalid.{reasons}")


def cmd_rules(env: Any, args: list[str]) -> str:
    usage = "ha-manager rules <add|config|list|remove|set> ..."
    if not args:
        raise PveError(f"400 not enough arguments\n{usage}")
    verb, rest = args[0], args[1:]
    if verb in ("config", "list"):
        _, opts = parse(_spec(f"rules {verb} [OPTIONS]", [], {"type": "node-affinity|resource-affinity",
                                                               "resource": "str", "output-format": "text|json"}), rest)
        return _rules_listing(env, verb, opts)
    if verb == "remove":
        (ruleid,), _ = parse(_spec("rules remove <rule>", ["rule"], {}), rest)
        rules = env.read_rules_config()
        rules["ids"].pop(ruleid, None)  # as the API: removing an unknown rule is no error
        env.write_rules_config(rules)
        return ""
    if verb in ("add", "set"):
        return _rules_add_set(env, verb, rest)
    raise PveError(f"ERROR: unknown command 'ha-manager rules {verb}'\nUSAGE: {usage}")


def _rules_add_set(env: Any, verb: str, rest: list[str]) -> str:
    spec = _spec(f"rules {verb} <type> <rule> [OPTIONS]", ["type", "rule"], RULE_OPTS)
    (kind, ruleid), opts = parse(spec, rest)
    if kind not in config.RULE_TYPES:
        raise param_error(spec, "type", f"value '{kind}' does not have a value in the enumeration "
                                        "'node-affinity, resource-affinity'")
    if not re.match(r"^[A-Za-z][A-Za-z0-9_\-]+$", ruleid):
        raise param_error(spec, "rule", f"invalid configuration ID '{ruleid}'")
    rules = env.read_rules_config()
    if verb == "add":
        if ruleid in rules["ids"]:
            raise PveError(f"create ha rule failed: HA rule '{ruleid}' already defined")
        for needed in ("resources", "nodes") if kind == "node-affinity" else ("resources", "affinity"):
            if needed not in opts:
                raise param_error(spec, needed, "property is missing and it is not optional")
        rule: dict[str, Any] = {"type": kind}
        if kind == "node-affinity":
            rule.update(strict=0, affinity="positive")
        rules["ids"][ruleid] = rule
        rules["order"][ruleid] = max(rules["order"].values(), default=0) + 1
    elif ruleid not in rules["ids"] or rules["ids"][ruleid]["type"] != kind:
        raise PveError(f"update HA rules failed: HA rule '{ruleid}' does not exist")
    failed = "create ha rule failed" if verb == "add" else "update HA rules failed"
    _rule_from_opts(spec, kind, opts, rules["ids"][ruleid])
    _check_references(env, failed, rules["ids"][ruleid])
    _check_feasible(env, rules, ruleid, failed)
    env.write_rules_config(rules)
    return ""


def _rules_listing(env: Any, verb: str, opts: dict[str, Any]) -> str:
    """`rules config`: enabled, state, rule, type, resources, comment (state from the feasibility check)."""
    from .rules import transform

    rules = env.read_rules_config()
    trial = {"ids": {r: dict(v) for r, v in rules["ids"].items()}, "order": dict(rules["order"]), "digest": ""}
    conflicts = {m.split("'")[1] for m in transform(trial, env.cluster_nodes())}
    rows = []
    for ruleid in sorted(rules["ids"], key=lambda r: rules["order"].get(r, 0)):
        rule = rules["ids"][ruleid]
        if opts.get("type") and rule["type"] != opts["type"]:
            continue
        if opts.get("resource") and opts["resource"] not in rule["resources"]:
            continue
        row = {"enabled": 0 if "disable" in rule else 1,
               "state": "ignored (conflicts)" if ruleid in conflicts else "in use",
               "rule": ruleid, "type": rule["type"], "resources": ",".join(sorted(rule["resources"])),
               "comment": rule.get("comment", "")}
        if verb == "list":
            row.update({"nodes": format_node_list({n: p.get("priority", 0) for n, p in
                                                          rule.get("nodes", {}).items()}) if "nodes" in rule else "",
                        "affinity": rule.get("affinity", ""), "strict": rule.get("strict", "")})
        rows.append(row)
    if opts.get("output-format") == "json":
        import json

        return json.dumps(rows)
    columns = ["enabled", "state", "rule", "type", "resources", "comment"]
    if verb == "list":
        columns = ["rule", "type", "resources", "nodes", "affinity", "strict", "comment"]
    return text_table(columns, rows)


def text_table(columns: list[str], rows: list[dict[str, Any]]) -> str:
    """PVE::CLIFormatter's bordered text table (UNVERIFIED layout, as pvesh prints it)."""
    widths = {c: max([len(c), *(len(str(r.get(c, ""))) for r in rows)]) for c in columns}

    def line(left: str, fill: str, mid: str, right: str) -> str:
        return left + mid.join(fill * (widths[c] + 2) for c in columns) + right

    def cells(values: dict[str, Any]) -> str:
        parts = []
        for c in columns:
            value = values.get(c, "")
            text = str(value)
            parts.append(" " + (text.rjust(widths[c]) if isinstance(value, int) else text.ljust(widths[c])) + " ")
        return "│" + "│".join(parts) + "│"

    out = [line("┌", "─", "┬", "┐"), cells({c: c for c in columns}), line("╞", "═", "╪", "╡")]
    for i, row in enumerate(rows):
        if i:
            out.append(line("├", "─", "┼", "┤"))
        out.append(cells(row))
    out.append(line("└", "─", "┴", "┘"))
    return "\n".join(out)
