"""Checks on corosync votequorum: quorate, votes, the QDevice.

The PVE API reports `quorate` per cluster and each member's `votes`; the
configured expected votes are their sum (plus the QDevice's vote when the
state document reports one), as corosync computes them from corosync.conf.
A runtime `pvecm expected N` is not configuration and does not show here.
"""

from __future__ import annotations

from typing import Any

from grader.checks.registry import Outcome, check
from grader.state import StateDoc


@check("quorum.quorate")
def quorate(state: StateDoc) -> Outcome:
    """The cluster is quorate (as seen from the node the state was collected through)."""
    if not state.cluster.clustered:
        return Outcome.fail("no cluster exists yet, so there is no quorum to have")
    if not state.cluster.quorate:
        online = ", ".join(n.name for n in state.cluster.online_nodes) or "none"
        return Outcome.fail(f"cluster '{state.cluster.name}' is not quorate (online: {online}); "
                            "/etc/pve is read-only until it is. Bring nodes back, or see pvecm status")
    return Outcome.ok("quorate")


def _qdevice(state: StateDoc) -> Any:
    # The QDevice is reported by GET /cluster/config/qdevice; older state documents lack the field.
    return getattr(state.cluster, "qdevice", None)


def _qdevice_votes(qdevice: Any) -> int:
    if qdevice is None:
        return 0
    votes = qdevice.get("votes", 1) if isinstance(qdevice, dict) else getattr(qdevice, "votes", 1)
    return int(votes or 1)


@check("quorum.expected-votes")
def expected_votes(state: StateDoc, *, votes: int) -> Outcome:
    """The configured expected votes (members' votes plus a QDevice vote) equal `votes`."""
    if not state.cluster.clustered:
        return Outcome.fail("no cluster exists yet")
    have = sum(n.votes or 0 for n in state.cluster.nodes) + _qdevice_votes(_qdevice(state))
    if have != votes:
        return Outcome.fail(f"the cluster expects {have} votes, expected {votes}; every node should "
                            "keep 1 vote (quorum_votes in corosync.conf)")
    return Outcome.ok(f"{votes} expected votes")


@check("quorum.node-votes")
def node_votes(state: StateDoc, *, votes: int = 1, node: str | None = None) -> Outcome:
    """Every member (or just `node`) has exactly `votes` votes: no node was given extra weight."""
    if not state.cluster.clustered:
        return Outcome.fail("no cluster exists yet")
    nodes = [n for n in state.cluster.nodes if node is None or n.name == node]
    if node is not None and not nodes:
        return Outcome.fail(f"{node} is not a member of the cluster")
    wrong = [f"{n.name} has {n.votes}" for n in nodes if n.votes != votes]
    if wrong:
        return Outcome.fail(f"{'; '.join(wrong)} votes, expected {votes} each: extra votes make one node "
                            "decide alone, which is how split brains happen (use a QDevice instead)")
    return Outcome.ok(f"every node has {votes} vote{'s' if votes != 1 else ''}")


@check("quorum.qdevice-configured")
def qdevice_configured(state: StateDoc, *, host: str | None = None) -> Outcome:
    """A QDevice is configured (`pvecm qdevice setup <host>`), on `host` when given."""
    if not state.cluster.clustered:
        return Outcome.fail("no cluster exists yet")
    if not hasattr(state.cluster, "qdevice"):
        return Outcome.fail("this state document does not report QDevices (collector too old)")
    qdevice = _qdevice(state)
    if qdevice is None:
        target = host or "<qnetd-address>"
        return Outcome.fail(f"no QDevice is configured (try: pvecm qdevice setup {target}, with every node online)")
    actual = qdevice.get("host") if isinstance(qdevice, dict) else getattr(qdevice, "host", None)
    if host is not None and actual != host:
        return Outcome.fail(f"the QDevice points at {actual}, expected {host}")
    return Outcome.ok(f"QDevice on {actual}")
