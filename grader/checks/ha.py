"""Checks on the HA stack: resources, their placement (groups on PVE 8, rules on PVE 9), recovery limits."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

from grader.checks.registry import Outcome, check
from grader.state import HAResource, StateDoc


def _not_managed(sid: str) -> Outcome:
    return Outcome.fail(f"{sid} is not managed by HA (try: ha-manager add {sid})")


@check("ha.resource-managed")
def resource_managed(state: StateDoc, *, sid: str, requested_state: str | None = "started") -> Outcome:
    """`sid` is an HA resource, with `requested_state` (default started) when given."""
    resource = state.ha.resource(sid)
    if resource is None:
        return _not_managed(sid)
    if requested_state is not None and resource.requested_state != requested_state:
        return Outcome.fail(f"{sid} is requested {resource.requested_state}, expected {requested_state} "
                            f"(try: ha-manager set {sid} --state {requested_state})")
    return Outcome.ok(f"{sid} is HA managed")


@check("ha.resource-started")
def resource_started(state: StateDoc, *, sid: str, node: str | None = None) -> Outcome:
    """HA reports `sid` started (on `node` when given)."""
    resource = state.ha.resource(sid)
    if resource is None:
        return _not_managed(sid)
    if resource.crm_state != "started":
        return Outcome.fail(f"{sid} is {resource.state or resource.crm_state or 'queued'} on {resource.node}, "
                            "expected started")
    if node is not None and resource.node != node:
        return Outcome.fail(f"{sid} is started on {resource.node}, expected on {node}")
    return Outcome.ok(f"{sid} is started on {resource.node}")


@dataclass
class Placement:
    """Where a resource may run: from its HA group (PVE 8) or node-affinity rule (PVE 9)."""

    kind: str  # group | rule
    name: str
    nodes: dict[str, int]  # node -> priority
    strict: bool


def placement(state: StateDoc, resource: HAResource) -> Placement | None:
    if resource.group:
        group = state.ha.group(resource.group)
        if group is not None:
            return Placement("group", group.group, dict(group.nodes), bool(group.restricted))
    for rule in state.ha.rules_for(resource.sid):
        if rule.type == "node-affinity" and not rule.disable:
            return Placement("rule", rule.rule, dict(rule.nodes or {}), bool(rule.strict))
    return None


def _how_to_place(sid: str, nodes: list[str] | None) -> str:
    listed = ",".join(nodes) if nodes else "pve1,pve2"
    return (f"on PVE 9: ha-manager rules add node-affinity <rule> --resources {sid} --nodes {listed}; "
            f"on PVE 8: ha-manager groupadd <group> --nodes {listed} and ha-manager set {sid} --group <group>")


@check("ha.resource-in-group-or-rule")
def resource_in_group_or_rule(state: StateDoc, *, sid: str, nodes: list[str] | None = None,
                              strict: bool | None = None, order: list[str] | None = None) -> Outcome:
    """`sid` is placed by an HA group or node-affinity rule, with exactly `nodes` and `strict` when given;
    `order` lists nodes from most to least preferred (strictly decreasing priorities)."""
    resource = state.ha.resource(sid)
    if resource is None:
        return _not_managed(sid)
    where = placement(state, resource)
    if where is None:
        return Outcome.fail(f"{sid} is in no HA group or node-affinity rule ({_how_to_place(sid, nodes)})")
    label = f"{where.kind} '{where.name}'"
    if nodes is not None and sorted(where.nodes) != sorted(nodes):
        return Outcome.fail(f"{label} lists nodes {', '.join(sorted(where.nodes)) or 'none'}, "
                            f"expected {', '.join(sorted(nodes))}")
    if strict is not None and where.strict != strict:
        flag = "restricted" if where.kind == "group" else "strict"
        want = "1" if strict else "0"
        return Outcome.fail(f"{label} has {flag} {int(where.strict)}, expected {want}: "
                            + ("the resource must never run outside these nodes" if strict
                               else "the resource may fall back to other nodes"))
    if order is not None:
        priorities = [where.nodes.get(n) for n in order]
        shown = ", ".join(f"{n}:{where.nodes.get(n, '-')}" for n in order)
        if None in priorities or any(a <= b for a, b in pairwise(priorities)):
            wanted = ",".join(f"{n}:{len(order) - i}" for i, n in enumerate(order))
            return Outcome.fail(f"{label} gives priorities {shown}; {order[0]} must be preferred"
                                + (f", then {', then '.join(order[1:])}" if len(order) > 1 else "")
                                + f" (higher number = preferred, e.g. --nodes {wanted})")
    return Outcome.ok(f"{sid} is placed by {label}")


@check("ha.recovery-limits")
def recovery_limits(state: StateDoc, *, sid: str, max_restart: int | None = None,
                    max_relocate: int | None = None) -> Outcome:
    """`sid` has the given `max_restart` / `max_relocate`; partial credit when one of two is right."""
    resource = state.ha.resource(sid)
    if resource is None:
        return _not_managed(sid)
    wanted = {"max_restart": max_restart, "max_relocate": max_relocate}
    wrong = [f"{key} is {getattr(resource, key)}, expected {value}"
             for key, value in wanted.items() if value is not None and getattr(resource, key) != value]
    total = sum(v is not None for v in wanted.values())
    if wrong:
        fix = " ".join(f"--{k} {v}" for k, v in wanted.items() if v is not None)
        return Outcome.part(total - len(wrong), total, f"{sid}: {'; '.join(wrong)} (try: ha-manager set {sid} {fix})")
    return Outcome.ok(f"{sid} has max_restart {resource.max_restart}, max_relocate {resource.max_relocate}")


@check("ha.resource-where-rules-allow")
def resource_where_rules_allow(state: StateDoc, *, sid: str) -> Outcome:
    """`sid` is started on a node its group/rule allows, preferring the highest-priority online node."""
    resource = state.ha.resource(sid)
    if resource is None:
        return _not_managed(sid)
    if resource.crm_state != "started":
        return Outcome.fail(f"{sid} is in state '{resource.state or resource.crm_state or 'queued'}' "
                            f"(node {resource.node}), expected started: is a node it may run on online, "
                            "and not in maintenance?")
    where = placement(state, resource)
    if where is None:
        return Outcome.ok(f"{sid} is started on {resource.node} (no placement rule applies)")
    label = f"{where.kind} '{where.name}'"
    if where.strict and resource.node not in where.nodes:
        return Outcome.fail(f"{sid} runs on {resource.node}, outside the nodes of strict {label}")
    online = {n.name for n in state.cluster.online_nodes}
    candidates = {n: p for n, p in where.nodes.items() if n in online}
    if candidates:
        best = max(candidates.values())
        if where.nodes.get(resource.node, -1) < best:
            preferred = ", ".join(sorted(n for n, p in candidates.items() if p == best))
            return Outcome.fail(f"{sid} runs on {resource.node} although {label} prefers {preferred}, "
                                "which is online")
    return Outcome.ok(f"{sid} is started on {resource.node}, as {label} allows")


@check("ha.no-errors")
def no_errors(state: StateDoc) -> Outcome:
    """No HA resource is in the `error` state."""
    broken = [r.sid for r in state.ha.resources if r.crm_state == "error"]
    if broken:
        first = broken[0]
        return Outcome.fail(f"{', '.join(broken)} in error state: ha-manager set {first} --state disabled, "
                            f"fix the cause, then ha-manager set {first} --state started")
    return Outcome.ok("no HA resource is in error")


@check("ha.lrm-state")
def lrm_state(state: StateDoc, *, node: str, lrm: str = "active") -> Outcome:
    """The LRM of `node` is in state `lrm` as `ha-manager status` shows it (active, idle, maintenance mode...)."""
    actual = state.ha.lrm_state(node)
    if actual is None:
        return Outcome.fail(f"HA reports no LRM on {node} (is it a cluster member?)")
    if actual != lrm:
        extra = (f" (try: ha-manager crm-command node-maintenance disable {node})"
                 if actual == "maintenance mode" else "")
        return Outcome.fail(f"the LRM of {node} is '{actual}', expected '{lrm}'{extra}")
    return Outcome.ok(f"the LRM of {node} is {lrm}")
