"""`/version`, `/cluster/status`, `/cluster/resources`, `/cluster/tasks`, `/cluster/config/*`,
`/cluster/backup`, `/cluster/ceph/status` and `/storage`.

Models pve-manager's API2/Cluster.pm, ClusterConfig.pm (pve-cluster),
API2/Storage/Config.pm and the not-installed answers of Ceph: shapes,
field names, 0/1 booleans, the standalone-node variants and the errors of
section 8 of the reference. Node order is sorted (PVE's is hash order).
Leaves out: sdn and pool entries in /cluster/resources, and Ceph itself
(the simulator does not model it yet: every Ceph call says it is not
installed, as on a node where `pveceph install` never ran).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from simulator.api import facts
from simulator.api.errors import ApiError, enum_error
from simulator.api.routes import route

if TYPE_CHECKING:
    from simulator.api.handler import Request

RESOURCE_TYPES = ["vm", "storage", "node", "sdn"]
CEPH_NOT_INSTALLED = "binary not installed: /usr/bin/ceph-mon"
NOT_A_CLUSTER = "Corosync config '/etc/pve/corosync.conf' does not exist - is this node part of a cluster?"


@route("GET", "/version")
def version(req: Request) -> dict[str, Any]:
    s = req.settings
    return {"version": s.version, "release": s.release, "repoid": s.repoid}


@route("GET", "/cluster/status")
def cluster_status(req: Request) -> list[dict[str, Any]]:
    req.require("Sys.Audit")
    conf = req.cluster.conf_of(req.view)
    online = facts.online_map(req)
    if conf is None:
        node = req.cluster.nodes[req.view]
        return [{"type": "node", "id": f"node/{req.view}", "name": req.view, "ip": node.ip, "local": 1,
                 "nodeid": 0, "online": 1, "level": ""}]
    rows: list[dict[str, Any]] = [{"type": "cluster", "id": "cluster", "name": conf.cluster_name,
                                   "nodes": len(conf.nodes), "quorate": req.cluster.is_quorate(req.view),
                                   "version": conf.config_version}]
    for entry in sorted(conf.nodes.values(), key=lambda n: n.name):
        rows.append({"type": "node", "id": f"node/{entry.name}", "name": entry.name, "nodeid": entry.nodeid,
                     "ip": entry.ip, "local": entry.name == req.view, "online": online[entry.name], "level": ""})
    return rows


@route("GET", "/cluster/resources")
def cluster_resources(req: Request) -> list[dict[str, Any]]:
    kind = req.params.get("type")
    if kind is not None and kind not in RESOURCE_TYPES:
        raise enum_error("type", kind, RESOURCE_TYPES)
    rows: list[dict[str, Any]] = []
    if kind in (None, "node") and req.may("Sys.Audit"):
        rows += _node_resources(req)
    if kind in (None, "vm") and req.may("VM.Audit"):
        rows += _guest_resources(req)
    if kind in (None, "storage") and req.may("Datastore.Audit"):
        rows += _storage_resources(req)
    return rows


def _node_resources(req: Request) -> list[dict[str, Any]]:
    rows = []
    node_status = _ha_node_status(req)
    for name, online in facts.online_map(req).items():
        row = {"id": f"node/{name}", "type": "node", "node": name, "status": "online" if online else "offline",
               "level": "", "cgroup-mode": 2, **facts.node_figures(req, name, online)}
        if name in node_status:
            row["hastate"] = node_status[name]
        rows.append(row)
    return rows


def _ha_node_status(req: Request) -> dict[str, str]:
    env = req.ha
    if env is None:
        return {}
    return dict((env.read_manager_status() or {}).get("node_status") or {})


def _guest_resources(req: Request) -> list[dict[str, Any]]:
    rows = []
    for guest in facts.guests(req):
        status = facts.guest_status(req, guest)
        row = {"id": f"{guest['type']}/{guest['vmid']}", "type": guest["type"], "vmid": guest["vmid"],
               "node": guest["node"], "name": guest["name"], "status": status, "template": guest["template"],
               **facts.guest_figures(guest, status)}
        row.pop("cpus")
        if guest["lock"]:
            row["lock"] = guest["lock"]
        hastate = facts.ha_state_of(req, f"{'vm' if guest['type'] == 'qemu' else 'ct'}:{guest['vmid']}")
        if hastate is not None:
            row["hastate"] = hastate
        rows.append(row)
    return rows


def _storage_resources(req: Request) -> list[dict[str, Any]]:
    rows = []
    online = facts.online_map(req)
    for storage in req.cluster.storages(req.view):
        for name in online:
            if not storage["enabled"] or name not in storage["nodes"]:
                continue
            total, used = storage_usage(req, storage, name)
            rows.append({"id": f"storage/{name}/{storage['storage']}", "type": "storage",
                         "storage": storage["storage"], "node": name, "plugintype": storage["type"],
                         "status": "available" if online[name] else "unknown", "shared": storage["shared"],
                         "content": ",".join(sorted(storage["content"])),
                         "disk": used if online[name] else 0, "maxdisk": total if online[name] else 0})
    return rows


def storage_usage(req: Request, storage: dict[str, Any], node: str) -> tuple[int, int]:
    """(total, used) bytes: the storage's size, and the disks that live on it (shared: all nodes')."""
    used = 0
    for guest in facts.guests(req):
        if storage["shared"] or guest["node"] == node:
            used += sum(int(d["size_gib"] * facts.GIB) for d in guest["disks"] if d["storage"] == storage["storage"])
    total = int(storage["size_gib"]) * facts.GIB
    return total, min(used, total)


@route("GET", "/cluster/tasks")
def cluster_tasks(req: Request) -> list[dict[str, Any]]:
    rows = []
    for name, online in facts.online_map(req).items():
        if not online:
            continue
        for task in req.cluster.tasks(name)[:50]:
            if req.may("Sys.Audit") or task["user"] == req.token.user:
                rows.append(_task_row(task))
    return sorted(rows, key=lambda t: (-t["starttime"], t["upid"]))


def _task_row(task: dict[str, Any]) -> dict[str, Any]:
    row = {k: v for k, v in task.items() if k != "log"}
    row.setdefault("status", "RUNNING")
    return row


@route("GET", "/cluster/config/nodes")
def config_nodes(req: Request) -> list[dict[str, Any]]:
    req.require("Sys.Audit")
    conf = req.cluster.conf_of(req.view)
    if conf is None:
        raise ApiError(500, NOT_A_CLUSTER)
    # Values come from parsing corosync.conf, so Perl hands them out as strings (UNVERIFIED for every key).
    return [{"node": n.name, "name": n.name, "nodeid": str(n.nodeid), "quorum_votes": str(n.votes),
             "ring0_addr": n.ip} for n in conf.by_nodeid()]


@route("GET", "/cluster/config/join")
def config_join(req: Request) -> dict[str, Any]:
    req.require("Sys.Audit")
    conf = req.cluster.conf_of(req.view)
    if conf is None:
        raise ApiError(500, "node is not in a cluster, no join info available!")
    nodelist = [{"name": n.name, "nodeid": str(n.nodeid), "pve_addr": n.ip, "pve_fp": facts.fingerprint(n.name),
                 "quorum_votes": str(n.votes), "ring0_addr": n.ip} for n in conf.by_nodeid()]
    totem = {"cluster_name": conf.cluster_name, "config_version": str(conf.config_version),
             "interface": {"0": {"linknumber": "0"}}, "ip_version": "ipv4-6", "link_mode": "passive",
             "secauth": "on", "version": "2"}
    rendered = "\n".join(f"{n['name']} {n['nodeid']} {n['ring0_addr']}" for n in nodelist)
    return {"nodelist": nodelist, "preferred_node": req.view, "totem": totem,
            "config_digest": facts.config_digest(f"{conf.cluster_name} {conf.config_version}\n{rendered}")}


# corosync-qdevice-tool's names for the algorithms (the API passes its status text through).
QDEVICE_ALGORITHMS = {"ffsplit": "Fifty-Fifty split", "lms": "LMS"}


@route("GET", "/cluster/config/qdevice")
def config_qdevice(req: Request) -> dict[str, Any]:
    """pve-cluster reads `status verbose` from corosync-qdevice's socket and keeps a few keys;
    `{}` when no QDevice runs on the node. Key names as corosync-qdevice-tool prints them
    (UNVERIFIED: which keys PVE keeps, and the exact State words besides Connected)."""
    req.require("Sys.Audit")
    conf = req.cluster.conf_of(req.view)
    if conf is None or conf.qdevice is None:
        return {}
    qd = conf.qdevice
    return {"Model": "Net", "QNetd host": f"{qd.host}:5403",
            "Algorithm": QDEVICE_ALGORITHMS.get(qd.algorithm, qd.algorithm),
            "Tie-breaker": "Node with lowest node ID",
            "State": "Connected" if req.cluster._sees_qnetd(req.view) else "Connect failed"}


@route("GET", "/cluster/backup")
def backup_jobs(req: Request) -> list[dict[str, Any]]:
    req.require("Sys.Audit")
    return []  # the simulator has no scheduled backup jobs yet


@route("GET", "/cluster/ceph/status")
def ceph_status(req: Request) -> None:
    req.require("Sys.Audit")
    raise ApiError(500, CEPH_NOT_INSTALLED)


@route("GET", "/storage")
def storage_config(req: Request) -> list[dict[str, Any]]:
    kind = req.params.get("type")
    rows = []
    rendered = []
    for storage in req.cluster.storages(req.view):
        rendered.append(f"{storage['type']}: {storage['storage']} {sorted(storage['options'].items())}")
        if kind is not None and storage["type"] != kind:
            continue
        if not req.may("Datastore.Audit"):
            continue
        row: dict[str, Any] = {"storage": storage["storage"], "type": storage["type"],
                               "content": ",".join(sorted(storage["content"])), **storage["options"]}
        if storage["shared"]:
            row["shared"] = 1
        if not storage["enabled"]:
            row["disable"] = 1
        restricted = _restricted_nodes(req, storage["storage"])
        if restricted is not None:
            row["nodes"] = ",".join(restricted)
        rows.append(row)
    digest = facts.config_digest("\n".join(rendered))
    for row in rows:
        row["digest"] = digest
    return sorted(rows, key=lambda r: r["storage"])


def _restricted_nodes(req: Request, storage_id: str) -> list[str] | None:
    definition = req.cluster.db_of(req.view).storage.get(storage_id)
    return None if definition is None or definition.nodes is None else list(definition.nodes)


@route("GET", "/access/permissions")
def permissions(req: Request) -> dict[str, dict[str, int]]:
    """The token's effective privileges; ours come from one role on `/`, propagated."""
    if req.params.get("userid") not in (None, req.token.tokenid, req.token.user):
        req.require("Sys.Audit", "/access")
    return {"/": dict.fromkeys(sorted(req.token.privileges), 1)}
