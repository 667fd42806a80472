"""Checks on the cluster itself: created, named, with the expected members."""

from __future__ import annotations

from grader.checks.registry import Outcome, check
from grader.state import StateDoc


@check("cluster.exists")
def exists(state: StateDoc, *, name: str | None = None) -> Outcome:
    """A cluster exists (`pvecm create`), named `name` when given."""
    cluster = state.cluster
    if not cluster.clustered:
        hint = f"pvecm create {name}" if name else "pvecm create <clustername>"
        return Outcome.fail(f"no cluster exists yet: the nodes are standalone (try: {hint} on the first node)")
    if name is not None and cluster.name != name:
        return Outcome.fail(f"the cluster is called '{cluster.name}', expected '{name}' "
                            "(a cluster cannot be renamed: recreate it with the right name)")
    return Outcome.ok(f"cluster '{cluster.name}' exists")


@check("cluster.node-count")
def node_count(state: StateDoc, *, count: int) -> Outcome:
    """The cluster has exactly `count` members; partial credit for each member up to `count`."""
    cluster = state.cluster
    members = sorted(n.name for n in cluster.nodes) if cluster.clustered else []
    have = len(members)
    if have == count:
        return Outcome.ok(f"the cluster has {count} nodes: {', '.join(members)}")
    if have > count:
        return Outcome.fail(f"the cluster has {have} nodes ({', '.join(members)}), expected {count}",
                            partial=0.0)
    listed = f" ({', '.join(members)})" if members else ""
    return Outcome.fail(f"the cluster has {have} of {count} nodes{listed}; join the others with "
                        "pvecm add <ip-of-a-member> on each missing node", partial=have / count if count else 0)


@check("cluster.has-node")
def has_node(state: StateDoc, *, node: str) -> Outcome:
    """`node` is a member of the cluster (listed in corosync.conf)."""
    if not state.cluster.clustered:
        return Outcome.fail(f"no cluster exists yet, so {node} is not a member of one")
    if state.node(node) is None:
        return Outcome.fail(f"{node} is not a member of cluster '{state.cluster.name}' "
                            f"(on {node}, run: pvecm add <ip-of-a-member>)")
    return Outcome.ok(f"{node} is a member")
