"""HA rules: feasibility checks, transforms and compilation (PVE::HA::Rules*).

Models node-affinity rules (priorities, strict and non-strict, negative ones
inverted to their complement) and resource-affinity rules (positive: keep
together, negative: keep apart), merging of connected positive rules,
implicit negative rules, and dropping infeasible rules with a log message.
Compiles them into the lookup tables the placement code uses.

Leaves out (UNVERIFIED wording): the exact text of the resource-affinity
feasibility messages; ours follow the style of the node-affinity one.
"""

from __future__ import annotations

import copy
from typing import Any


def _enabled(rules: dict[str, Any], kind: str) -> dict[str, Any]:
    return {rid: r for rid, r in rules["ids"].items() if r["type"] == kind and not r.get("disable")}


def _check_node_affinity(rules: dict[str, Any], nodes: list[str], errors: dict[str, list[str]]) -> None:
    node_rules = _enabled(rules, "node-affinity")
    users: dict[str, list[str]] = {}
    for rid in sorted(node_rules):
        for sid in node_rules[rid]["resources"]:
            users.setdefault(sid, []).append(rid)
    for sid in sorted(users):
        if len(users[sid]) > 1:
            for rid in users[sid]:
                errors.setdefault(rid, []).append(f"resource '{sid}' is already used in another node affinity rule")
    for rid in sorted(node_rules):
        rule = node_rules[rid]
        if rule.get("affinity") == "negative":
            if len(rule["nodes"]) >= len(nodes):
                errors.setdefault(rid, []).append("negative node affinity rule must not specify all cluster nodes")
            if any(p.get("priority") for p in rule["nodes"].values()):
                errors.setdefault(rid, []).append("negative node affinity rule must not specify node priorities")


def _check_resource_affinity(rules: dict[str, Any], nodes: list[str], errors: dict[str, list[str]]) -> None:
    res_rules = _enabled(rules, "resource-affinity")
    for rid in sorted(res_rules):
        rule = res_rules[rid]
        if len(rule["resources"]) < 2:
            errors.setdefault(rid, []).append("rule must specify at least two resources")
        if rule["affinity"] == "negative" and len(rule["resources"]) > len(nodes):
            errors.setdefault(rid, []).append("rule defines more resources than available nodes")
    positives = {r: v for r, v in res_rules.items() if v["affinity"] == "positive"}
    negatives = {r: v for r, v in res_rules.items() if v["affinity"] == "negative"}
    for pid in sorted(positives):
        for nid in sorted(negatives):
            shared = set(positives[pid]["resources"]) & set(negatives[nid]["resources"])
            if len(shared) >= 2:
                errors.setdefault(pid, []).append("rule shares two or more resources with a negative resource "
                                                  "affinity rule")
                errors.setdefault(nid, []).append("rule shares two or more resources with a positive resource "
                                                  "affinity rule")


def _merge_positive_rules(rules: dict[str, Any]) -> None:
    positives = {r: v for r, v in _enabled(rules, "resource-affinity").items() if v["affinity"] == "positive"}
    merged = True
    while merged:
        merged = False
        ids = sorted(positives, key=lambda r: rules["order"].get(r, 0))
        for i, a in enumerate(ids):
            for b in ids[i + 1:]:
                if set(positives[a]["resources"]) & set(positives[b]["resources"]):
                    positives[a]["resources"].update(positives[b]["resources"])
                    del rules["ids"][b]
                    rules["order"].pop(b, None)
                    del positives[b]
                    merged = True
                    break
            if merged:
                break


def _implicit_negative_rules(rules: dict[str, Any]) -> None:
    res_rules = _enabled(rules, "resource-affinity")
    negatives = [v for v in res_rules.values() if v["affinity"] == "negative"]
    for pid, prule in sorted(res_rules.items()):
        if prule["affinity"] != "positive":
            continue
        apart: set[str] = set()
        for nrule in negatives:
            if set(nrule["resources"]) & set(prule["resources"]):
                apart |= set(nrule["resources"]) - set(prule["resources"])
        for csid in sorted(apart):
            for sid in sorted(prule["resources"]):
                rid = f"_implicit-negative-{pid}-{sid}-{csid}"
                rules["ids"][rid] = {"type": "resource-affinity", "affinity": "negative",
                                     "resources": {sid: 1, csid: 1}, "disable": 0}
                rules["order"][rid] = max(rules["order"].values(), default=0) + 1


def transform(rules: dict[str, Any], nodes: list[str]) -> list[str]:
    """Drop infeasible rules and normalise the rest in place; returns log messages."""
    errors: dict[str, list[str]] = {}
    _check_node_affinity(rules, nodes, errors)
    _check_resource_affinity(rules, nodes, errors)
    messages = []
    for rid in sorted(errors):
        rules["ids"].pop(rid, None)
        rules["order"].pop(rid, None)
        messages.extend(f"Drop rule '{rid}', because {msg}." for msg in errors[rid])
    for rule in _enabled(rules, "node-affinity").values():
        if rule.get("affinity") == "negative":
            rule["nodes"] = {n: {"priority": 0} for n in nodes if n not in rule["nodes"]}
            rule["affinity"] = "positive"
    _merge_positive_rules(rules)
    _implicit_negative_rules(rules)
    return messages


def compile_rules(rules: dict[str, Any], nodes: list[str]) -> dict[str, Any]:
    """{"node-affinity": {sid: {"nodes": {n: {priority}}}}, "resource-affinity": {positive, negative}}."""
    node_affinity: dict[str, Any] = {}
    for rid in sorted(rules["ids"], key=lambda r: rules["order"].get(r, 0)):
        rule = rules["ids"][rid]
        if rule["type"] != "node-affinity" or rule.get("disable"):
            continue
        effective = copy.deepcopy(rule["nodes"])
        if not rule.get("strict"):
            for node in nodes:
                effective.setdefault(node, {"priority": -1})
        for sid in rule["resources"]:
            node_affinity.setdefault(sid, {"nodes": effective})
    positive: dict[str, dict[str, int]] = {}
    negative: dict[str, dict[str, int]] = {}
    for rule in _enabled(rules, "resource-affinity").values():
        table = positive if rule["affinity"] == "positive" else negative
        for sid in rule["resources"]:
            for csid in rule["resources"]:
                if csid != sid:
                    table.setdefault(sid, {})[csid] = 1
    return {"node-affinity": node_affinity, "resource-affinity": {"positive": positive, "negative": negative}}
