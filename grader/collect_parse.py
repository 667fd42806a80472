"""Shape checks and conversions from PVE API answers to state document parts (used by collect.py).

Each function takes what one or a few endpoints answered and either returns
the typed part or raises CollectError naming the endpoint and what was
wrong. PVE's quirks are absorbed here: numbers that arrive as strings
(corosync values), flags as 0/1, bools or absent, node lists with
priorities (`pve1:2,pve2`), comma-separated content and resource lists.
"""

from __future__ import annotations

import re
from typing import Any

from grader.backends import CollectError
from grader.state import (
    HA,
    BackupArchive,
    BackupJob,
    Backups,
    Ceph,
    CephCheck,
    CephHealth,
    CephOsd,
    CephPgs,
    CephPool,
    Cluster,
    ClusterNode,
    Disk,
    Guest,
    HAGroup,
    HAResource,
    HARule,
    PveVersion,
    QDevice,
    Snapshot,
    Storage,
    StorageStatus,
    Task,
)

QEMU_DISK_RE = re.compile(r"^(scsi\d+|virtio\d+|sata\d+|ide\d+|efidisk\d+|tpmstate\d+|unused\d+)$")
LXC_DISK_RE = re.compile(r"^(rootfs|mp\d+|unused\d+)$")
CEPH_ABSENT = ("not installed", "not initialized", "not enabled", "not fully configured", "not configured")


def ceph_absent() -> tuple[str, ...]:
    return CEPH_ABSENT


# -- shape helpers ----------------------------------------------------------------------------
def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}.get(type(value), "a number")


def as_list(value: Any, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise CollectError(f"{what}: expected a list, got {_kind(value)}")
    return value


def as_dict(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise CollectError(f"{what}: expected an object, got {_kind(value)}")
    return value


def dicts(value: Any, what: str) -> list[dict[str, Any]]:
    return [as_dict(item, f"{what} entry") for item in as_list(value, what)]


def text(row: dict[str, Any], key: str, what: str, *, required: bool = True) -> str | None:
    value = row.get(key)
    if value is None:
        if required:
            raise CollectError(f"{what}: '{key}' is missing")
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise CollectError(f"{what}: '{key}' should be a string, got {_kind(value)}")
    return str(value)


def number(row: dict[str, Any], key: str, what: str, *, required: bool = True) -> int | None:
    value = row.get(key)
    if value is None:
        if required:
            raise CollectError(f"{what}: '{key}' is missing")
        return None
    if isinstance(value, bool):
        raise CollectError(f"{what}: '{key}' should be a number, got a boolean")
    if isinstance(value, int | float):
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise CollectError(f"{what}: '{key}' should be a number, got {value!r:.40}")


def flag(row: dict[str, Any], key: str, what: str, default: int = 0) -> int:
    value = row.get(key)
    if value is None:
        return default
    if value in (0, 1, "0", "1"):  # True/False compare equal to 1/0
        return int(value)
    raise CollectError(f"{what}: '{key}' should be 0 or 1, got {value!r:.40}")


def node_priorities(value: str | None) -> dict[str, int]:
    """`pve1:2,pve2` -> {pve1: 2, pve2: 0}."""
    result: dict[str, int] = {}
    for item in (value or "").split(","):
        name, _, prio = item.strip().partition(":")
        if name:
            result[name] = int(prio) if prio.strip().isdigit() else 0
    return result


def split_list(value: Any) -> list[str]:
    return [v.strip() for v in re.split(r"[,;\s]+", str(value or "")) if v.strip()]


# -- version, cluster --------------------------------------------------------------------------
def parse_version(value: Any) -> PveVersion:
    row = as_dict(value, "/version")
    version = text(row, "version", "/version") or ""
    if not re.match(r"^\d+\.\d+", version):
        raise CollectError(f"/version: '{version:.40}' is not a Proxmox VE version")
    release = text(row, "release", "/version", required=False) or ".".join(version.split(".")[:2])
    return PveVersion(version=version, release=release)


def parse_cluster(status: list[Any], config_nodes: Any, ha_status: list[Any] | None) -> Cluster:
    rows = dicts(status, "/cluster/status")
    clusters = [r for r in rows if r.get("type") == "cluster"]
    nodes = [r for r in rows if r.get("type") == "node"]
    if not nodes or len(clusters) > 1:
        raise CollectError("/cluster/status: expected one entry per node (and at most one cluster entry)")
    votes: dict[str, int] = {}
    if config_nodes is not None:
        for row in dicts(config_nodes, "/cluster/config/nodes"):
            name = text(row, "node", "/cluster/config/nodes", required=False) or text(row, "name",
                                                                                     "/cluster/config/nodes")
            votes[str(name)] = number(row, "quorum_votes", "/cluster/config/nodes", required=False) or 1
    members = []
    for row in sorted(nodes, key=lambda r: str(r.get("name"))):
        name = str(text(row, "name", "/cluster/status node"))
        members.append(ClusterNode(
            name=name, nodeid=number(row, "nodeid", "/cluster/status node") if clusters else None,
            votes=votes.get(name) if clusters else None, online=flag(row, "online", "/cluster/status node"),
            ip=text(row, "ip", "/cluster/status node", required=False)))
    if clusters:
        entry = clusters[0]
        return Cluster(name=text(entry, "name", "/cluster/status cluster"),
                       config_version=number(entry, "version", "/cluster/status cluster"),
                       quorate=flag(entry, "quorate", "/cluster/status cluster"), nodes=members)
    quorum = [r for r in dicts(ha_status or [], "/cluster/ha/status/current") if r.get("type") == "quorum"]
    quorate = flag(quorum[0], "quorate", "/cluster/ha/status/current quorum") if quorum else 1
    return Cluster(name=None, config_version=None, quorate=quorate, nodes=members)


_QDEVICE_ALGORITHMS = {"fifty-fifty split": "ffsplit", "lms": "lms"}


def parse_qdevice(raw: Any) -> QDevice | None:
    """`GET /cluster/config/qdevice`: `{}` without a QDevice, else corosync-qdevice-tool's status keys."""
    if raw is None or raw == {} or raw == []:
        return None
    row = as_dict(raw, "/cluster/config/qdevice")
    host = text(row, "QNetd host", "/cluster/config/qdevice")
    algorithm = text(row, "Algorithm", "/cluster/config/qdevice", required=False)
    return QDevice(host=str(host).rsplit(":", 1)[0] if ":" in str(host) else str(host),
                   algorithm=_QDEVICE_ALGORITHMS.get(str(algorithm).lower(), algorithm) if algorithm else None,
                   state=text(row, "State", "/cluster/config/qdevice", required=False))


# -- HA -------------------------------------------------------------------------------------------
def _lrm_state(status: str, node: str) -> str:
    """`pve1 (active, Tue May  6 10:00:02 2025)` -> `active`; `pve1 (unable to read lrm status)` -> that."""
    inner = status[len(node):].strip() if status.startswith(node) else status
    if inner.startswith("(") and inner.endswith(")"):
        inner = inner[1:-1]
    return inner.split(", ")[0].strip()


def build_ha(status: list[Any], manager: dict[str, Any], resources: list[Any], groups: Any, rules: Any) -> HA:
    what = "/cluster/ha/status/current"
    entries = dicts(status, what)
    quorum = [e for e in entries if e.get("type") == "quorum"]
    master = [e for e in entries if e.get("type") == "master"]
    lrm = {str(text(e, "node", what)): _lrm_state(str(text(e, "status", what)), str(e["node"]))
           for e in entries if e.get("type") == "lrm"}
    services = {str(text(e, "sid", what)): e for e in entries if e.get("type") == "service"}
    configured = {str(text(r, "sid", "/cluster/ha/resources")): r for r in dicts(resources, "/cluster/ha/resources")}
    ms = as_dict(manager.get("manager_status") or {}, "/cluster/ha/status/manager_status manager_status")
    node_status = {str(k): str(v) for k, v in as_dict(ms.get("node_status") or {}, "node_status").items()}
    items = []
    for sid in sorted(set(services) | set(configured)):
        if sid.split(":", 1)[0] not in ("vm", "ct"):
            continue
        items.append(_ha_resource(sid, services.get(sid, {}), configured.get(sid, {})))
    return HA(
        master=text(master[0], "node", what) if master else None,
        quorate=flag(quorum[0], "quorate", what) if quorum else 0, lrm=dict(sorted(lrm.items())),
        node_status=dict(sorted(node_status.items())), resources=items,
        groups=[_ha_group(g) for g in dicts(groups, "/cluster/ha/groups")],
        rules=[_ha_rule(r) for r in dicts(rules, "/cluster/ha/rules")],
    )


def _ha_resource(sid: str, svc: dict[str, Any], conf: dict[str, Any]) -> HAResource:
    what = f"HA resource {sid}"
    requested = text(svc, "request_state", what, required=False) or text(conf, "state", what, required=False)
    if requested is None and conf:
        requested = "started"
    failback = svc.get("failback", conf.get("failback"))
    return HAResource(
        sid=sid, type=sid.split(":", 1)[0], requested_state="started" if requested == "enabled" else requested,
        crm_state=text(svc, "crm_state", what, required=False), state=text(svc, "state", what, required=False),
        node=text(svc, "node", what, required=False), group=conf.get("group") or svc.get("group"),
        max_restart=number(svc, "max_restart", what, required=False) or number(conf, "max_restart", what,
                                                                                required=False) or 1,
        max_relocate=number(svc, "max_relocate", what, required=False) or number(conf, "max_relocate", what,
                                                                                  required=False) or 1,
        failback=None if failback is None else flag({"failback": failback}, "failback", what),
        comment=conf.get("comment") or svc.get("comment"),
    )


def _ha_group(row: dict[str, Any]) -> HAGroup:
    what = "/cluster/ha/groups"
    return HAGroup(group=str(text(row, "group", what)), nodes=node_priorities(text(row, "nodes", what)),
                   restricted=flag(row, "restricted", what), nofailback=flag(row, "nofailback", what),
                   comment=text(row, "comment", what, required=False))


def _ha_rule(row: dict[str, Any]) -> HARule:
    what = "/cluster/ha/rules"
    kind = str(text(row, "type", what))
    node_affinity = kind == "node-affinity"
    return HARule(rule=str(text(row, "rule", what)), type=kind, resources=sorted(split_list(row.get("resources"))),
                  nodes=node_priorities(text(row, "nodes", what)) if node_affinity else None,
                  strict=flag(row, "strict", what) if node_affinity else None,
                  affinity=text(row, "affinity", what, required=False), disable=flag(row, "disable", what),
                  comment=text(row, "comment", what, required=False))


# -- guests -----------------------------------------------------------------------------------------
def build_guest(row: dict[str, Any], config: Any, snapshots: Any, node_online: bool) -> Guest:
    what = f"/cluster/resources {row.get('id', 'guest')}"
    kind = str(text(row, "type", what))
    vmid = number(row, "vmid", what)
    disks: list[Disk] = []
    if config is not None:
        disks = _disks(kind, as_dict(config, f"guest {vmid} config"))
    snaps: list[Snapshot] = []
    if snapshots is not None:
        for snap in dicts(snapshots, f"guest {vmid} snapshots"):
            if snap.get("name") == "current":
                continue
            swhat = f"guest {vmid} snapshot"
            snaps.append(Snapshot(name=str(text(snap, "name", swhat)), parent=text(snap, "parent", swhat,
                                                                                   required=False),
                                  snaptime=number(snap, "snaptime", swhat, required=False),
                                  vmstate=flag(snap, "vmstate", swhat),
                                  description=text(snap, "description", swhat, required=False) or ""))
    return Guest(vmid=vmid, type=kind, name=text(row, "name", what, required=False),
                 node=str(text(row, "node", what)),
                 status=str(text(row, "status", what)) if node_online else "unknown",
                 template=flag(row, "template", what), lock=text(row, "lock", what, required=False),
                 ha_state=text(row, "hastate", what, required=False), disks=disks,
                 snapshots=sorted(snaps, key=lambda s: (s.snaptime or 0, s.name)))


def _disks(kind: str, config: dict[str, Any]) -> list[Disk]:
    pattern = QEMU_DISK_RE if kind == "qemu" else LXC_DISK_RE
    disks = []
    for key in sorted(config):
        if not pattern.match(key) or not isinstance(config[key], str):
            continue
        parts = config[key].split(",")
        volid = parts[0].removeprefix("volume=")
        if ":" not in volid or "=" in volid:
            continue  # `none`, a device path, or a bare option
        options = dict(p.split("=", 1) for p in parts[1:] if "=" in p)
        disks.append(Disk(key=key, storage=volid.split(":", 1)[0], volid=volid,
                          cdrom=1 if options.get("media") == "cdrom" else 0))
    return disks


# -- storage, backups, tasks -----------------------------------------------------------------------
def build_storage(config: list[Any], status: dict[str, Any]) -> list[Storage]:
    per_node: dict[str, dict[str, StorageStatus]] = {}
    for node, rows in status.items():
        if rows is None:
            continue
        for row in dicts(rows, f"/nodes/{node}/storage"):
            swhat = f"/nodes/{node}/storage"
            per_node.setdefault(str(text(row, "storage", swhat)), {})[node] = StorageStatus(
                active=flag(row, "active", swhat), total=number(row, "total", swhat, required=False) or 0,
                used=number(row, "used", swhat, required=False) or 0,
                avail=number(row, "avail", swhat, required=False) or 0)
    result = []
    for row in dicts(config, "/storage"):
        sid = str(text(row, "storage", "/storage"))
        result.append(Storage(id=sid, type=str(text(row, "type", "/storage")),
                              content=sorted(split_list(row.get("content"))), shared=flag(row, "shared", "/storage"),
                              enabled=0 if flag(row, "disable", "/storage") else 1,
                              nodes=sorted(split_list(row["nodes"])) if row.get("nodes") else None,
                              status=dict(sorted(per_node.get(sid, {}).items()))))
    return sorted(result, key=lambda s: s.id)


def parse_backups(jobs: Any, archives: dict[str, Any]) -> Backups:
    job_list = []
    for row in dicts(jobs, "/cluster/backup"):
        what = "/cluster/backup"
        prune = row.get("prune-backups")
        if isinstance(prune, str):
            prune = {k: v for k, _, v in (p.partition("=") for p in prune.split(",") if p)}
        job_list.append(BackupJob(id=str(text(row, "id", what)), schedule=text(row, "schedule", what, required=False),
                                  enabled=flag(row, "enabled", what, default=1),
                                  storage=text(row, "storage", what, required=False), all=flag(row, "all", what),
                                  vmid=text(row, "vmid", what, required=False),
                                  mode=text(row, "mode", what, required=False),
                                  prune_backups=prune if isinstance(prune, dict) else None))
    found: dict[str, BackupArchive] = {}
    for key, rows in archives.items():
        if rows is None:
            continue
        storage = key.split("/", 1)[1]
        for row in dicts(rows, f"storage {storage} content"):
            what = f"storage {storage} content"
            volid = str(text(row, "volid", what))
            found[volid] = BackupArchive(volid=volid, storage=storage, vmid=number(row, "vmid", what, required=False),
                                         ctime=number(row, "ctime", what, required=False),
                                         size=number(row, "size", what, required=False),
                                         format=text(row, "format", what, required=False),
                                         notes=text(row, "notes", what, required=False),
                                         protected=flag(row, "protected", what))
    return Backups(jobs=sorted(job_list, key=lambda j: j.id), archives=[found[v] for v in sorted(found)])


def build_tasks(per_node: dict[str, Any]) -> list[Task]:
    tasks: dict[str, Task] = {}
    for node, rows in per_node.items():
        if rows is None:
            continue
        for row in dicts(rows, f"/nodes/{node}/tasks"):
            what = f"/nodes/{node}/tasks"
            upid = str(text(row, "upid", what))
            tasks[upid] = Task(upid=upid, node=str(text(row, "node", what)), type=str(text(row, "type", what)),
                               id=text(row, "id", what, required=False) or "", user=str(text(row, "user", what)),
                               status=text(row, "status", what, required=False) or "RUNNING",
                               starttime=number(row, "starttime", what),
                               endtime=number(row, "endtime", what, required=False))
    return sorted(tasks.values(), key=lambda t: (t.starttime, t.upid))


# -- Ceph ----------------------------------------------------------------------------------------------
def build_ceph(status: Any, parts: dict[str, Any]) -> Ceph:
    status = as_dict(status, "/cluster/ceph/status")
    health = as_dict(status.get("health"), "/cluster/ceph/status health")
    checks = {}
    for code, check in as_dict(health.get("checks") or {}, "ceph health checks").items():
        check = as_dict(check, f"ceph health check {code}")
        summary = check.get("summary")
        message = summary.get("message") if isinstance(summary, dict) else summary
        checks[str(code)] = CephCheck(severity=str(check.get("severity", "")), summary=str(message or ""))
    pgmap = as_dict(status.get("pgmap") or {}, "ceph pgmap")
    by_state = {str(p.get("state_name")): int(p.get("count", 0)) for p in dicts(pgmap.get("pgs_by_state") or [],
                                                                                 "ceph pgs_by_state")}
    return Ceph(health=CephHealth(status=str(text(health, "status", "ceph health")), checks=checks),
                mons=sorted(str(m.get("name")) for m in dicts(parts.get("mon") or [], "ceph mon")),
                mgrs=sorted(str(m.get("name")) for m in dicts(parts.get("mgr") or [], "ceph mgr")),
                osds=_osds(parts.get("osd")), pools=_pools(parts.get("pool")), pgs=CephPgs(by_state=by_state))


def _osds(tree: Any) -> list[CephOsd]:
    if tree is None:
        return []
    found: list[CephOsd] = []

    def walk(item: dict[str, Any], host: str | None) -> None:
        if item.get("type") == "osd":
            found.append(CephOsd(id=number(item, "id", "ceph osd"), host=host,
                                 up=1 if item.get("status") == "up" else 0, in_=flag(item, "in", "ceph osd")))
        for child in dicts(item.get("children") or [], "ceph osd children"):
            walk(child, str(item.get("name")) if item.get("type") == "host" else host)

    walk(as_dict(as_dict(tree, "ceph osd").get("root") or {}, "ceph osd root"), None)
    return sorted(found, key=lambda o: o.id)


def _pools(rows: Any) -> list[CephPool]:
    return sorted((CephPool(name=str(text(r, "pool_name", "ceph pool")), size=number(r, "size", "ceph pool"),
                            min_size=number(r, "min_size", "ceph pool"), pg_num=number(r, "pg_num", "ceph pool"))
                   for r in dicts(rows or [], "ceph pool")), key=lambda p: p.name)
