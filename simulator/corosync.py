"""Corosync membership and votequorum: who sees whom, and who has quorum.

Models: the corosync.conf that PVE writes (cluster name, config_version,
nodelist with nodeid / quorum_votes / ring0_addr, optional QDevice), totem
membership computed from the real link graph, and votequorum's arithmetic:
`quorum = highest_expected // 2 + 1`, expected votes raised to the total when
exceeded, runtime `expected` overrides (`pvecm expected N`), and a QDevice
vote granted by qnetd to one partition (ffsplit or lms).

Leaves out: two_node / wait_for_all / last_man_standing / auto_tie_breaker
(PVE never sets them), more than one link (link0 only), token timeouts (a
membership change is instant), and qnetd heuristics.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class NodeEntry:
    name: str
    nodeid: int
    votes: int
    ip: str


@dataclass
class QDeviceConf:
    host: str
    algorithm: str = "ffsplit"
    votes: int = 1


@dataclass
class CorosyncConf:
    cluster_name: str
    config_version: int = 1
    nodes: dict[str, NodeEntry] = field(default_factory=dict)
    qdevice: QDeviceConf | None = None

    def node_votes(self) -> int:
        return sum(n.votes for n in self.nodes.values())

    def expected_votes(self) -> int:
        """votequorum's expected_votes: the nodelist's votes plus the QDevice's."""
        return self.node_votes() + (self.qdevice.votes if self.qdevice else 0)

    def by_nodeid(self) -> list[NodeEntry]:
        return sorted(self.nodes.values(), key=lambda n: n.nodeid)

    def next_nodeid(self) -> int:
        used = {n.nodeid for n in self.nodes.values()}
        nodeid = 1
        while nodeid in used:
            nodeid += 1
        return nodeid

    def node_by_name_or_ip(self, key: str) -> NodeEntry | None:
        for entry in self.by_nodeid():
            if key in (entry.name, entry.ip):
                return entry
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            "cluster_name": self.cluster_name,
            "config_version": self.config_version,
            "nodes": [[n.name, n.nodeid, n.votes, n.ip] for n in self.by_nodeid()],
            "qdevice": None if self.qdevice is None else [
                self.qdevice.host, self.qdevice.algorithm, self.qdevice.votes],
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> CorosyncConf:
        conf = cls(raw["cluster_name"], int(raw["config_version"]))
        for name, nodeid, votes, ip in raw["nodes"]:
            conf.nodes[name] = NodeEntry(name, int(nodeid), int(votes), ip)
        if raw["qdevice"] is not None:
            host, algorithm, votes = raw["qdevice"]
            conf.qdevice = QDeviceConf(host, algorithm, int(votes))
        return conf

    def render(self) -> str:
        """The file as `pvecm create` writes it (keys sorted, 2-space indent)."""
        lines = ["logging {", "  debug: off", "  to_syslog: yes", "}", "", "nodelist {"]
        for entry in self.by_nodeid():
            lines += ["  node {", f"    name: {entry.name}", f"    nodeid: {entry.nodeid}",
                      f"    quorum_votes: {entry.votes}", f"    ring0_addr: {entry.ip}", "  }"]
        lines += ["}", "", "quorum {"]
        if self.qdevice:
            lines += ["  device {", "    model: net", "    net {",
                      f"      algorithm: {self.qdevice.algorithm}", f"      host: {self.qdevice.host}",
                      "      tls: on", "    }"]
            if self.qdevice.algorithm == "ffsplit":  # lms leaves votes to corosync-qdevice's default
                lines.append(f"    votes: {self.qdevice.votes}")
            lines.append("  }")
        lines += ["  provider: corosync_votequorum", "}", "", "totem {",
                  f"  cluster_name: {self.cluster_name}", f"  config_version: {self.config_version}",
                  "  interface {", "    linknumber: 0", "  }", "  ip_version: ipv4-6",
                  "  link_mode: passive", "  secauth: on", "  version: 2", "}"]
        return "\n".join(lines) + "\n"


@dataclass
class QuorumView:
    """What `corosync-quorumtool` reports on one node."""

    node: str
    nodeid: int
    members: list[str]
    quorate: bool
    expected_votes: int
    highest_expected: int
    total_votes: int
    quorum: int
    ring_id: str
    qdevice_registered: bool = False
    qdevice_alive: bool = False
    qdevice_cast_vote: bool = False
    qdevice_votes: int = 0

    def to_json(self) -> dict[str, Any]:
        return {**self.__dict__, "members": list(self.members)}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> QuorumView:
        return cls(**{**raw, "members": list(raw["members"])})


def compute_partitions(candidates: list[str], adjacent: Callable[[str, str], bool]) -> list[list[str]]:
    """Split running members into totem memberships.

    Totem only forms a ring between nodes that all reach each other, so a
    membership is a clique of the link graph. We build them greedily in sorted
    order (a node joins the first group whose every member it reaches).
    UNVERIFIED: with a non-transitive cut (A-B down, both see C) real corosync
    may flap; we settle on the first deterministic clique ({A, C} and {B}).
    """
    groups: list[list[str]] = []
    for name in sorted(candidates):
        for group in groups:
            if all(adjacent(name, other) for other in group):
                group.append(name)
                break
        else:
            groups.append([name])
    return groups


def partition_quorum(
    members: list[str],
    confs: dict[str, CorosyncConf],
    overrides: dict[str, int | None],
    qdevice_votes: int,
) -> tuple[int, int, int, bool]:
    """(highest_expected, total_votes, quorum, quorate) of one partition.

    `confs[n]` is the corosync.conf node n runs with (nodes that forked in a
    split brain may disagree); `overrides[n]` is a runtime `pvecm expected`.
    """
    total = qdevice_votes
    highest = 0
    for name in members:
        conf = confs[name]
        entry = conf.nodes.get(name)
        total += entry.votes if entry else 0
        expected = overrides.get(name) or conf.expected_votes()
        highest = max(highest, expected)
    highest = max(highest, total)
    quorum = highest // 2 + 1
    return highest, total, quorum, total >= quorum


def qdevice_winner(partitions: list[list[str]], nodeids: dict[str, int]) -> int | None:
    """Index of the partition qnetd gives its vote to (ffsplit rule).

    More nodes wins; a tie goes to the partition holding the lowest node id
    (qnetd's default `tie_breaker: lowest`). `partitions` only lists those
    whose nodes reach qnetd.
    """
    best: tuple[int, int] | None = None
    winner = None
    for index, members in enumerate(partitions):
        key = (-len(members), min(nodeids[m] for m in members))
        if best is None or key < best:
            best, winner = key, index
    return winner


def setexpected_valid(new_expected: int, total_votes: int, quorate: bool) -> bool:
    """votequorum's check behind `Unable to set expected votes: CS_ERR_INVALID_PARAM`."""
    if new_expected < 1 or new_expected < total_votes:
        return False
    new_quorum = new_expected // 2 + 1
    return not (quorate and total_votes < new_quorum)
