"""Checks on individual nodes: online members of the cluster."""

from __future__ import annotations

from grader.checks.registry import Outcome, check
from grader.state import StateDoc


@check("node.online")
def online(state: StateDoc, *, node: str) -> Outcome:
    """`node` is a cluster member and online (in the quorate membership)."""
    member = state.node(node)
    if member is None:
        return Outcome.fail(f"{node} is not a member of the cluster")
    if not member.online:
        return Outcome.fail(f"{node} is offline: power it on or restore its network, then check pvecm status")
    return Outcome.ok(f"{node} is online")


@check("node.all-online")
def all_online(state: StateDoc) -> Outcome:
    """Every cluster member is online; partial credit per online node."""
    nodes = state.cluster.nodes
    if not state.cluster.clustered or not nodes:
        return Outcome.fail("no cluster exists yet")
    offline = [n.name for n in nodes if not n.online]
    if offline:
        return Outcome.part(len(nodes) - len(offline), len(nodes),
                            f"{', '.join(offline)} {'is' if len(offline) == 1 else 'are'} offline; "
                            "bring every node back before you finish")
    return Outcome.ok("every node is online")
