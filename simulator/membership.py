"""Who is in which corosync partition, and what each node's votequorum says.

Models: recomputing totem memberships from the physical link graph whenever
the topology changes (power, network, a cut link, corosync stopped, nodelist
changed, `pvecm expected`), the QDevice vote, ring ids, corosync / pmxcfs
journal lines on each change, the split-brain record (two quorate partitions
of one cluster at once), and pmxcfs database merges on reconnect.
Leaves out: token timeouts and retransmits (changes are instant).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from simulator.corosync import (
    CorosyncConf,
    QuorumView,
    compute_partitions,
    partition_quorum,
    qdevice_winner,
)
from simulator.pmxcfs import CfsDb, choose_winner

if TYPE_CHECKING:
    from simulator.cluster import Cluster


class MembershipMixin:
    """Membership and quorum bookkeeping for `Cluster` (state lives there)."""

    # -- physical reachability -------------------------------------------------
    def link_up(self: Cluster, a: str, b: str) -> bool:
        """Can a and b exchange packets (power, network, the link between them)?"""
        ends = []
        for name in (a, b):
            machine = self.nodes.get(name) or self.hosts.get(name)
            if machine is None or not (machine.power and machine.network):
                return False
            ends.append(name)
        return (min(a, b), max(a, b)) not in self.cut_links

    def conf_of(self: Cluster, node: str) -> CorosyncConf | None:
        return self.dbs[self.nodes[node].db].corosync

    def _corosync_member(self: Cluster, name: str) -> bool:
        node = self.nodes[name]
        conf = self.conf_of(name)
        return node.power and node.services["corosync"] and conf is not None and name in conf.nodes

    def _totem_adjacent(self: Cluster, a: str, b: str) -> bool:
        conf_a, conf_b = self.conf_of(a), self.conf_of(b)
        return (conf_a is not None and conf_b is not None and b in conf_a.nodes
                and a in conf_b.nodes and self.link_up(a, b))

    def _qnetd_host(self: Cluster, conf: CorosyncConf | None) -> str | None:
        if conf is None or conf.qdevice is None:
            return None
        for host in self.hosts.values():
            if conf.qdevice.host in (host.ip, host.name) and host.qnetd:
                return host.name
        return None

    def _sees_qnetd(self: Cluster, name: str) -> bool:
        host = self._qnetd_host(self.conf_of(name))
        return host is not None and self.link_up(name, host)

    # -- recomputation -----------------------------------------------------------
    def refresh_membership(self: Cluster) -> None:
        """Recompute partitions and quorum; log and merge what changed."""
        self.topology_version += 1
        by_lineage: dict[str, list[str]] = {}
        for name in sorted(self.nodes):
            if self._corosync_member(name):
                by_lineage.setdefault(self.dbs[self.nodes[name].db].lineage, []).append(name)
        old_views = self.views
        new_views: dict[str, QuorumView] = {}
        for lineage in sorted(by_lineage):
            groups = compute_partitions(by_lineage[lineage], self._totem_adjacent)
            for group in groups:
                self._forget_overrides_on_merge(group, old_views)
                self._merge_databases(group)
            self._quorum_for_lineage(groups, old_views, new_views)
            self._track_split_brain(lineage, groups, new_views)
        self.views = new_views
        self._log_membership_changes(old_views, new_views)

    def _forget_overrides_on_merge(self: Cluster, group: list[str], old: dict[str, QuorumView]) -> None:
        # UNVERIFIED: when partitions merge, votequorum adopts the highest expected
        # votes; we drop runtime `pvecm expected` overrides so the config rules again.
        previous = {tuple(old[n].members) if n in old else (n,) for n in group}
        if len(previous) > 1:
            for name in group:
                self.nodes[name].expected_override = None

    def _quorum_for_lineage(self: Cluster, groups: list[list[str]], old: dict[str, QuorumView],
                            new: dict[str, QuorumView]) -> None:
        nodeids = {}
        for group in groups:
            for name in group:
                conf = self.conf_of(name)
                nodeids[name] = conf.nodes[name].nodeid if conf else 0
        eligible = [g for g in groups if any(self._sees_qnetd(n) for n in g)]
        winner = qdevice_winner(eligible, nodeids) if eligible else None
        winning = eligible[winner] if winner is not None else None
        for group in groups:
            members = sorted(group, key=lambda n: nodeids[n])
            qconf = self.conf_of(members[0]).qdevice  # type: ignore[union-attr]
            qvotes = qconf.votes if (qconf and group is winning) else 0
            confs = {n: self.conf_of(n) for n in members}
            overrides = {n: self.nodes[n].expected_override for n in members}
            highest, total, quorum, quorate = partition_quorum(members, confs, overrides, qvotes)  # type: ignore[arg-type]
            ring = self._ring_id(members, nodeids, old)
            for name in members:
                own = overrides[name] or confs[name].expected_votes()  # type: ignore[union-attr]
                new[name] = QuorumView(
                    name, nodeids[name], list(members), quorate, max(own, total), highest, total, quorum,
                    ring, qdevice_registered=confs[name].qdevice is not None,  # type: ignore[union-attr]
                    qdevice_alive=self._sees_qnetd(name), qdevice_cast_vote=qvotes > 0,
                    qdevice_votes=qconf.votes if qconf else 0)

    def _ring_id(self: Cluster, members: list[str], nodeids: dict[str, int],
                 old: dict[str, QuorumView]) -> str:
        previous = old.get(members[0])
        if previous is not None and previous.members == members:
            return previous.ring_id
        self.ring_seq += 4
        return f"{nodeids[members[0]]:x}.{self.ring_seq:x}"

    def _track_split_brain(self: Cluster, lineage: str, groups: list[list[str]],
                           views: dict[str, QuorumView]) -> None:
        quorate = [sorted(g) for g in groups if views[g[0]].quorate]
        active = lineage in self.split_brain_active
        if len(quorate) > 1 and not active:
            self.split_brain_active.add(lineage)
            text = " | ".join(",".join(g) for g in quorate)
            self.record_split_brain("quorate-partitions", {"partitions": quorate},
                                    f"split brain: partitions {text} are all quorate")
        elif len(quorate) <= 1 and active:
            self.split_brain_active.discard(lineage)

    def record_split_brain(self: Cluster, kind: str, details: dict[str, Any], message: str) -> None:
        self.split_brains.append({"time": self.clock.now, "kind": kind, **details})
        self.log.add(self.clock.now, "cluster", "sim", message)

    # -- pmxcfs database sync ------------------------------------------------------
    def _merge_databases(self: Cluster, group: list[str]) -> None:
        ids = sorted({self.nodes[n].db for n in group})
        if len(ids) < 2:
            return
        lowest: dict[str, int] = {}
        for name in group:
            conf = self.conf_of(name)
            nodeid = conf.nodes[name].nodeid if conf and name in conf.nodes else 999
            db_id = self.nodes[name].db
            lowest[db_id] = min(lowest.get(db_id, 999), nodeid)
        candidates = [(self.dbs[i], lowest[i]) for i in ids]
        winner = choose_winner(candidates)
        diverged = [db for db, _ in candidates if db.dirty]
        if len(diverged) > 1:
            self._record_divergence(group, candidates, winner)
        for vmid, hosts in self.duplicate_guests(group).items():
            self.record_split_brain(
                "duplicate-guest", {"vmid": vmid, "nodes": hosts},
                f"split brain: guest {vmid} is running on {' and '.join(hosts)} at the same time")
        for name in group:
            self.nodes[name].db = winner.id
        self._drop_unused_dbs()
        if all(n.db == winner.id for n in self.nodes.values() if self.dbs[n.db].lineage == winner.lineage):
            winner.dirty = False

    def _record_divergence(self: Cluster, group: list[str], candidates: list[tuple[CfsDb, int]],
                           winner: CfsDb) -> None:
        sides = {}
        for db, _ in candidates:
            holders = sorted(n for n in group if self.nodes[n].db == db.id)
            sides[",".join(holders)] = db.version
        kept = ",".join(sorted(n for n in group if self.nodes[n].db == winner.id))
        conf_versions = sorted({db.corosync.config_version for db, _ in candidates if db.corosync})
        self.record_split_brain(
            "config-divergence", {"nodes": sorted(group), "versions": sides, "kept": kept},
            f"split brain detected on reconnect: /etc/pve diverged ("
            f"{', '.join(f'{k} at version {v}' for k, v in sides.items())}); keeping the copy of "
            f"{kept}, the other side's changes are lost")
        if len(conf_versions) > 1:
            self.log.add(self.clock.now, "cluster", "sim",
                         f"conflicting corosync config_version {conf_versions}")
        for name in sorted(group):
            self.log.add(self.clock.now, name, "pve-cluster",
                         "[dcdb] crit: cpg_send_message failed: 9 - data diverged, resyncing from highest version")

    def duplicate_guests(self: Cluster, group: list[str] | None = None) -> dict[int, list[str]]:
        """vmid -> nodes, for every guest running on more than one node."""
        seen: dict[int, list[str]] = {}
        for name in sorted(group or self.nodes):
            for vmid in self.nodes[name].running:
                seen.setdefault(vmid, []).append(name)
        return {v: n for v, n in sorted(seen.items()) if len(n) > 1}

    def _drop_unused_dbs(self: Cluster) -> None:
        used = {n.db for n in self.nodes.values()}
        for db_id in [d for d in self.dbs if d not in used]:
            del self.dbs[db_id]

    # -- journal lines ---------------------------------------------------------------
    def _log_membership_changes(self: Cluster, old: dict[str, QuorumView],
                                new: dict[str, QuorumView]) -> None:
        texts: dict[tuple[str, ...], tuple[str, str]] = {}  # per partition: node ids, pmxcfs members
        for name in sorted(set(old) | set(new)):
            before, after = old.get(name), new.get(name)
            if after is None:
                if before is not None and self.nodes[name].power:
                    self._log_corosync_gone(name, before)
                continue
            if before and before.members == after.members and before.quorate == after.quorate:
                continue
            key = tuple(after.members)
            if key not in texts:
                texts[key] = self._partition_texts(after)
            if before is None or before.members != after.members:
                self._log_new_membership(name, before, after, texts[key])
            self._log_quorum(name, before, after, texts[key][0])

    def _partition_texts(self: Cluster, view: QuorumView) -> tuple[str, str]:
        ids = [self._nodeid_str(m, view) for m in view.members]
        pids = ", ".join(f"{i}/{self.nodes[m].service_pids['pve-cluster']}" for i, m in zip(ids, view.members,
                                                                                              strict=True))
        return " ".join(ids), pids

    def _log_corosync_gone(self: Cluster, name: str, before: QuorumView) -> None:
        """corosync stopped under a running pmxcfs (UNVERIFIED exact wording)."""
        now = self.clock.now
        self.log.add(now, name, "pve-cluster", "[quorum] crit: quorum_dispatch failed: 2")
        if before.quorate:
            self.log.add(now, name, "pve-cluster", "[status] notice: node lost quorum")
        self.log.add(now, name, "sim", f"{name}: NOT quorate (corosync is not running)")

    def _log_new_membership(self: Cluster, name: str, before: QuorumView | None, after: QuorumView,
                            texts: tuple[str, str]) -> None:
        # Representative corosync 3 / pmxcfs lines (UNVERIFIED wording beyond the QUORUM ones).
        now = self.clock.now
        left = sorted(set(before.members) - set(after.members)) if before else []
        joined = sorted(set(after.members) - set(before.members)) if before else []
        for gone in left:
            self.log.add(now, name, "corosync", f"  [KNET  ] link: host: {self._nodeid_str(gone, after)} "
                         f"link: 0 is down")
        detail = ""
        if left:
            detail += " Members left: " + " ".join(self._nodeid_str(n, after) for n in left)
        if joined:
            detail += " Members joined: " + " ".join(self._nodeid_str(n, after) for n in joined)
        ids, pids = texts
        self.log.add(now, name, "corosync", f"  [TOTEM ] A new membership ({after.ring_id}) was formed.{detail}")
        self.log.add(now, name, "corosync", f"  [QUORUM] Sync members[{len(after.members)}]: {ids}")
        self.log.add(now, name, "pve-cluster", f"[dcdb] notice: members: {pids}")
        if len(after.members) > 1:
            self.log.add(now, name, "pve-cluster", "[dcdb] notice: starting data syncronisation")
            self.log.add(now, name, "pve-cluster", "[dcdb] notice: all data is up to date")

    def _log_quorum(self: Cluster, name: str, before: QuorumView | None, after: QuorumView, ids: str) -> None:
        now = self.clock.now
        component = ("within the primary component and will provide service." if after.quorate
                     else "within the non-primary component and will NOT provide any services.")
        self.log.add(now, name, "corosync", f"  [QUORUM] This node is {component}")
        self.log.add(now, name, "corosync", f"  [QUORUM] Members[{len(after.members)}]: {ids}")
        self.log.add(now, name, "corosync",
                     "  [MAIN  ] Completed service synchronization, ready to provide service.")
        if before is None or before.quorate != after.quorate:
            state = "node has quorum" if after.quorate else "node lost quorum"
            self.log.add(now, name, "pve-cluster", f"[status] notice: {state}")
            self.log.add(now, name, "sim", f"{name}: {'quorate' if after.quorate else 'NOT quorate'} "
                         f"(partition {','.join(after.members)}, {after.total_votes}/"
                         f"{after.highest_expected} votes, quorum {after.quorum})")

    def _nodeid_str(self: Cluster, name: str, view: QuorumView) -> str:
        member = self.views.get(name)
        if member is not None:
            return str(member.nodeid)
        conf = self.conf_of(name) or self.conf_of(view.node)
        entry = conf.nodes.get(name) if conf else None
        return str(entry.nodeid) if entry else name
