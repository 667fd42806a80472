"""HA rules: feasibility checks, transforms and compilation (PVE::HA::Rules, Rules/*.pm).

Models node-affinity rules (priorities, strict and non-strict, negative ones
inverted to their complement) and resource-affinity rules (positive: keep
together, negative: keep apart), the feasibility checks of the plugins and
the inter-plugin ones (a rule that fails one is dropped, logged as
`Drop rule '<id>', because <reason>.`), merging connected positive rules,
implicit negative rules and implicit node affinity for positive groups, and
the compiled lookup tables the placement code uses. A rule is disabled when
it has a `disable` property at all, as in the real `foreach_rule`.
"""

from __future__ import annotations

import copy
from typing import Any

Errors = dict[str, dict[str, list[str]]]


def _enabled(rules: dict[str, Any], kind: str, affinity: str | None = None) -> dict[str, Any]:
    return {rid: r for rid, r in rules["ids"].items() if r["type"] == kind and "disable" not in r
            and (affinity is None or r.get("affinity") == affinity)}


def _push(errors: Errors, rid: str, opt: str, message: str) -> None:
    errors.setdefault(rid, {}).setdefault(opt, []).append(message)


def disjoint_positive_sets(positives: dict[str, Any]) -> list[tuple[list[str], set[str]]]:
    """Connected positive rules merged: [(rule ids, resources)] (Rules/Helpers.pm)."""
    groups: list[tuple[list[str], set[str]]] = []
    for rid in sorted(positives):
        resources = set(positives[rid]["resources"])
        merged_ids, merged = [rid], set(resources)
        for ids, res in list(groups):
            if res & merged:
                groups.remove((ids, res))
                merged_ids, merged = sorted(ids + merged_ids), merged | res
        groups.append((merged_ids, merged))
    return sorted(groups)


def _check_node_affinity(rules: dict[str, Any], nodes: list[str], errors: Errors) -> None:
    node_rules = _enabled(rules, "node-affinity")
    users: dict[str, list[str]] = {}
    for rid in sorted(node_rules):
        for sid in node_rules[rid]["resources"]:
            users.setdefault(sid, []).append(rid)
    for rid, sid in sorted((rid, sid) for sid, rids in users.items() if len(rids) > 1 for rid in rids):
        _push(errors, rid, "resources", f"resource '{sid}' is already used in another node affinity rule")
    negatives = {r: v for r, v in node_rules.items() if v.get("affinity") == "negative"}
    for rid in sorted(r for r, v in negatives.items() if len(v["nodes"]) >= len(nodes)):
        _push(errors, rid, "nodes", "negative node affinity rule must not specify all cluster nodes")
    for rid in sorted(r for r, v in negatives.items() if any(p.get("priority") for p in v["nodes"].values())):
        _push(errors, rid, "nodes", "negative node affinity rule must not specify node priorities")


def _check_resource_affinity(rules: dict[str, Any], nodes: list[str], errors: Errors) -> None:
    res_rules = _enabled(rules, "resource-affinity")
    for rid in sorted(r for r, v in res_rules.items() if len(v["resources"]) < 2):
        _push(errors, rid, "resources", "rule is ineffective as there are less than two resources")
    negatives = _enabled(rules, "resource-affinity", "negative")
    for rid in sorted(r for r, v in negatives.items() if len(v["resources"]) > len(nodes)):
        _push(errors, rid, "resources", "rule defines more resources than available nodes")
    conflicts: set[tuple[str, str]] = set()
    for ids, resources in disjoint_positive_sets(_enabled(rules, "resource-affinity", "positive")):
        for nid, nrule in negatives.items():
            if len(resources & set(nrule["resources"])) >= 2:
                conflicts.add(("negative", nid))
                conflicts.update(("positive", rid) for rid in ids)
    for kind, rid in sorted(conflicts):
        other = "positive" if kind == "negative" else "negative"
        _push(errors, rid, "resources", f"rule shares two or more resources with a {other} resource affinity rule")


def _check_global(rules: dict[str, Any], errors: Errors) -> None:
    node_rules = _enabled(rules, "node-affinity")
    conflicts: set[tuple[str, str, str]] = set()
    for rid, rule in _enabled(rules, "resource-affinity").items():
        paired = [nid for nid, n in node_rules.items() if set(n["resources"]) & set(rule["resources"])]
        if any(len({p.get("priority", 0) for p in node_rules[n]["nodes"].values()}) > 1 for n in paired):
            conflicts.add(("resource-affinity", rid, "resources are in node affinity rules with multiple priorities"))
            conflicts.update(("node-affinity", n, "resources are in a resource affinity rule and cannot be in a "
                              "node affinity rule with multiple priorities") for n in paired)
    for ids, resources in disjoint_positive_sets(_enabled(rules, "resource-affinity", "positive")):
        paired = [nid for nid, n in node_rules.items() if set(n["resources"]) & resources]
        if len(paired) > 1:
            conflicts.update(("positive", rid, "resources are in multiple node affinity rules") for rid in ids)
            conflicts.update(("node-affinity", n, "at least one resource is in a positive resource affinity rule "
                              "and there are other resources in at least one other node affinity rule already")
                             for n in paired)
    for rid, rule in _enabled(rules, "resource-affinity", "negative").items():
        located: set[str] = set()
        allowed: set[str] = set()
        paired = []
        for nid, n in node_rules.items():
            common = set(rule["resources"]) & set(n["resources"])
            if common:
                located |= common
                allowed |= set(n["nodes"])
                paired.append(nid)
        if len(allowed) < len(located):
            conflicts.add(("negative", rid, "two or more resources are restricted to less nodes than available to "
                           "the resources"))
            conflicts.update(("node-affinity", n, "at least one resource is in a negative resource affinity rule and "
                              "this rule would restrict these to less nodes than available to the resources")
                             for n in paired)
    for _kind, rid, message in sorted(conflicts):
        _push(errors, rid, "resources", message)


def _apply_transforms(rules: dict[str, Any], nodes: list[str]) -> None:
    for rule in _enabled(rules, "node-affinity", "negative").values():
        rule["nodes"] = {n: {"priority": 0} for n in nodes if n not in rule["nodes"]}
        rule["affinity"] = "positive"
    for ids, resources in disjoint_positive_sets(_enabled(rules, "resource-affinity", "positive")):
        if len(ids) < 2:
            continue
        merged = f"_merged-{'-'.join(ids)}"
        rules["ids"][merged] = {"type": "resource-affinity", "affinity": "positive",
                                "resources": dict.fromkeys(sorted(resources), 1)}
        rules["order"][merged] = rules["order"].get(ids[0], 0)
        for rid in ids:
            rules["ids"].pop(rid, None)
            rules["order"].pop(rid, None)
    negatives = _enabled(rules, "resource-affinity", "negative")
    for pid, prule in sorted(_enabled(rules, "resource-affinity", "positive").items()):
        apart: dict[str, set[str]] = {}
        for nrule in negatives.values():
            for sid in set(prule["resources"]) & set(nrule["resources"]):
                for csid in nrule["resources"]:
                    if csid != sid:
                        apart.setdefault(csid, set()).add(sid)
        for csid in sorted(apart):
            for sid in sorted(set(prule["resources"]) - apart[csid]):
                rid = f"_implicit-negative-{pid}-{sid}-{csid}"
                rules["ids"][rid] = {"type": "resource-affinity", "affinity": "negative",
                                     "resources": {sid: 1, csid: 1}}
                rules["order"][rid] = min(rules["order"].values(), default=0) + 1
        for nrule in _enabled(rules, "node-affinity").values():
            if set(nrule["resources"]) & set(prule["resources"]):
                nrule["resources"].update(dict.fromkeys(prule["resources"], 1))
                break


def feasibility_errors(rules: dict[str, Any], nodes: list[str]) -> Errors:
    """{ruleid: {property: [reasons]}} for every infeasible rule (Rules.pm check_feasibility)."""
    errors: Errors = {}
    _check_node_affinity(rules, nodes, errors)
    _check_resource_affinity(rules, nodes, errors)
    _check_global(rules, errors)
    return errors


def transform(rules: dict[str, Any], nodes: list[str]) -> list[str]:
    """Drop infeasible rules and normalise the rest in place; returns the log messages."""
    errors = feasibility_errors(rules, nodes)
    messages = []
    for rid in sorted(errors):
        rules["ids"].pop(rid, None)
        rules["order"].pop(rid, None)
        for opt in sorted(errors[rid]):
            messages.extend(f"Drop rule '{rid}', because {msg}." for msg in errors[rid][opt])
    _apply_transforms(rules, nodes)
    return messages


def compile_rules(rules: dict[str, Any], nodes: list[str]) -> dict[str, Any]:
    """{"node-affinity": {sid: {"nodes": {n: {priority}}}}, "resource-affinity": {positive, negative}}."""
    node_affinity: dict[str, Any] = {}
    for rid in sorted(rules["ids"], key=lambda r: rules["order"].get(r, 0)):
        rule = rules["ids"][rid]
        if rule["type"] != "node-affinity" or "disable" in rule:
            continue
        effective = copy.deepcopy(rule["nodes"])
        if not rule.get("strict"):
            for node in nodes:
                effective.setdefault(node, {"priority": -1})
        for sid in rule["resources"]:
            node_affinity[sid] = {"nodes": effective}
    positive: dict[str, dict[str, int]] = {}
    negative: dict[str, dict[str, int]] = {}
    for rule in _enabled(rules, "resource-affinity").values():
        table = positive if rule["affinity"] == "positive" else negative
        for sid in rule["resources"]:
            for csid in rule["resources"]:
                if csid != sid:
                    table.setdefault(sid, {})[csid] = 1
    return {"node-affinity": node_affinity, "resource-affinity": {"positive": positive, "negative": negative}}
