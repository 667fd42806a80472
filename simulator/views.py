"""Read accessors for the web UI, the grader and the PVE API emulation.

Models nothing new: these turn the cluster's state into plain dicts with
Proxmox's own field names (node, nodeid, quorate, vmid, status, lock, ...),
always from the point of view of one node's copy of /etc/pve (they differ
only during a split brain). Booleans are Python bools here; the API layer
turns them into PVE's 0/1.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from simulator.cluster import Cluster


class ViewsMixin:
    def primary_node(self: Cluster) -> str:
        """Default point of view: first quorate node, else first powered, else first."""
        names = sorted(self.nodes)
        for name in names:
            if self.nodes[name].power and self.is_quorate(name):
                return name
        for name in names:
            if self.nodes[name].power:
                return name
        return names[0]

    def node_info(self: Cluster, view_node: str | None = None) -> list[dict[str, Any]]:
        view = view_node or self.primary_node()
        members = set(self.partition_of(view))
        rows = []
        for name in sorted(self.nodes):
            node = self.nodes[name]
            # Seen from a cluster member: in its partition. Seen from a standalone node: powered on.
            online = node.power and (name in members if self.is_clustered(view) else True)
            rows.append({"name": name, "ip": node.ip, "power": node.power, "network": node.network,
                         "online": bool(online), "services": dict(node.services),
                         "clustered": self.is_clustered(name), "quorate": self.is_quorate(name),
                         "running": list(node.running)})
        return rows

    def cluster_config(self: Cluster, view_node: str | None = None) -> dict[str, Any] | None:
        conf = self.conf_of(view_node or self.primary_node())
        if conf is None:
            return None
        return {"name": conf.cluster_name, "config_version": conf.config_version,
                "nodelist": [{"name": n.name, "nodeid": n.nodeid, "votes": n.votes, "ip": n.ip}
                             for n in conf.by_nodeid()],
                "qdevice": None if conf.qdevice is None else dict(conf.qdevice.__dict__)}

    def quorum(self: Cluster, node: str) -> dict[str, Any]:
        view = self.views.get(node)
        base = {"node": node, "quorate": self.is_quorate(node), "clustered": self.is_clustered(node)}
        if view is None:
            return {**base, "members": [node] if self.nodes[node].power else [], "expected_votes": None,
                    "highest_expected": None, "total_votes": None, "quorum": None}
        return {**base, "members": list(view.members), "expected_votes": view.expected_votes,
                "highest_expected": view.highest_expected, "total_votes": view.total_votes,
                "quorum": view.quorum, "ring_id": view.ring_id}

    def guests(self: Cluster, view_node: str | None = None) -> list[dict[str, Any]]:
        db = self.db_of(view_node or self.primary_node())
        rows = []
        for vmid in sorted(db.guests):
            guest = db.guests[vmid]
            running = self.nodes[guest.node].is_running(vmid)
            rows.append({
                "vmid": vmid, "type": guest.type, "name": guest.name, "node": guest.node,
                "status": "running" if running else "stopped", "lock": guest.lock,
                "template": guest.config.get("template") == "1", "memory_mib": guest.memory_mib,
                "disks": [{"key": d.key, "volid": d.volid, "storage": d.storage, "size_gib": d.size_gib,
                           "cdrom": d.cdrom} for d in guest.disks()],
                "snapshots": [{"name": s.name, "parent": s.parent, "snaptime": s.snaptime,
                               "description": s.description, "vmstate": s.vmstate}
                              for s in guest.snapshots.values()],
                "config": dict(guest.config),
                "running_on": [n for n in sorted(self.nodes) if self.nodes[n].is_running(vmid)],
            })
        return rows

    def storages(self: Cluster, view_node: str | None = None) -> list[dict[str, Any]]:
        view = view_node or self.primary_node()
        db = self.db_of(view)
        members = self.conf_of(view).nodes if self.conf_of(view) else {view: None}
        rows = []
        for sid, storage in db.storage.items():
            nodes = storage.nodes if storage.nodes is not None else sorted(members)
            rows.append({"id": sid, "storage": sid, "type": storage.type, "content": list(storage.content),
                         "shared": storage.shared, "enabled": storage.enabled, "nodes": list(nodes),
                         "options": dict(storage.options), "size_gib": storage.size_gib})
        return rows

    def tasks(self: Cluster, node: str) -> list[dict[str, Any]]:
        """Newest first, like `/nodes/{node}/tasks`; each with its log."""
        return [{**t.summary(), "status": t.status, "log": list(t.log)}
                for t in reversed(self.nodes[node].tasks)]

    def split_brain_report(self: Cluster) -> list[dict[str, Any]]:
        return [dict(r) for r in self.split_brains]
