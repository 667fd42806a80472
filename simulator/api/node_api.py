"""`/nodes`, `/nodes/{node}/storage[...]`, `/nodes/{node}/tasks[...]` and `/nodes/{node}/ceph/status`.

Models pve-manager's API2/Nodes.pm (node list), API2/Storage/Status.pm and
Content.pm (per-node storage status: inactive storages report zeros and
`active 0`), API2/Tasks.pm (task list with PVE's filters, `total` in the
envelope, task status by UPID) and the Ceph not-installed error. A node
outside the cluster is a 500 (hostname lookup), an offline one a 595 (the
proxy cannot reach it). Leaves out: task logs over the API, and backup
archives (the simulator has no vzdump yet: content lists are empty).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from simulator.api import facts
from simulator.api.cluster_api import CEPH_NOT_INSTALLED, storage_usage
from simulator.api.errors import ApiError, enum_error, param_error
from simulator.api.routes import route

if TYPE_CHECKING:
    from simulator.api.handler import Request

TASK_SOURCES = ["archive", "active", "all"]


@route("GET", "/nodes")
def nodes(req: Request) -> list[dict[str, Any]]:
    rows = []
    for name, online in facts.online_map(req).items():
        row = {"node": name, "id": f"node/{name}", "type": "node", "status": "online" if online else "offline",
               "level": "", "ssl_fingerprint": facts.fingerprint(name), **facts.node_figures(req, name, online)}
        rows.append(row)
    return rows


@route("GET", "/nodes/{node}/storage")
def node_storage(req: Request, node: str) -> list[dict[str, Any]]:
    facts.require_node(req, node)
    content = req.params.get("content")
    only = req.params.get("storage")
    enabled_only = req.params.get("enabled") == "1"
    rows = []
    for storage in req.cluster.storages(req.view):
        if node not in storage["nodes"] or (only is not None and storage["storage"] != only):
            continue
        if content is not None and content not in storage["content"]:
            continue
        if (enabled_only and not storage["enabled"]) or not req.may("Datastore.Audit"):
            continue
        rows.append(_storage_status(req, storage, node))
    return sorted(rows, key=lambda r: r["storage"])


def _storage_status(req: Request, storage: dict[str, Any], node: str) -> dict[str, Any]:
    active = storage["enabled"]
    total, used = storage_usage(req, storage, node) if active else (0, 0)
    row = {"storage": storage["storage"], "type": storage["type"], "content": ",".join(sorted(storage["content"])),
           "shared": storage["shared"], "active": active, "enabled": storage["enabled"],
           "total": total, "used": used, "avail": total - used}
    if active:
        row["used_fraction"] = round(used / total, 6) if total else 0
    return row


@route("GET", "/nodes/{node}/storage/{storage}/status")
def storage_status(req: Request, node: str, storage: str) -> dict[str, Any]:
    facts.require_node(req, node)
    req.require("Datastore.Audit", f"/storage/{storage}")
    for row in req.cluster.storages(req.view):
        if row["storage"] == storage:
            if node not in row["nodes"]:
                raise ApiError(500, f"storage '{storage}' is not available on node '{node}'")
            status = _storage_status(req, row, node)
            status.pop("storage")
            status.pop("used_fraction", None)
            return status
    raise ApiError(500, f"storage '{storage}' does not exist")


@route("GET", "/nodes/{node}/storage/{storage}/content")
def storage_content(req: Request, node: str, storage: str) -> list[dict[str, Any]]:
    storage_status(req, node, storage)
    return []  # no volumes listed: the simulator keeps no ISO, template or backup files yet


@route("GET", "/nodes/{node}/tasks")
def node_tasks(req: Request, node: str) -> list[dict[str, Any]]:
    facts.require_node(req, node)
    params = req.params
    source = params.get("source", "archive")
    if source not in TASK_SOURCES:
        raise enum_error("source", source, TASK_SOURCES)
    try:
        limit = int(params.get("limit", 50))
        start = int(params.get("start", 0))
    except ValueError:
        raise param_error({"limit": "type check ('integer') failed"}) from None
    rows = [_task_row(t) for t in req.cluster.tasks(node) if _task_selected(req, t, source)]
    req.extra["total"] = len(rows)
    return rows[start:start + limit]


def _task_selected(req: Request, task: dict[str, Any], source: str) -> bool:
    p = req.params
    running = task["status"] == "RUNNING"
    if (source == "archive" and running) or (source == "active" and not running):
        return False
    if not req.may("Sys.Audit") and task["user"] != req.token.user:
        return False
    checks = [
        ("typefilter", lambda v: task["type"] == v),
        ("vmid", lambda v: task["id"] == v),
        ("userfilter", lambda v: v in task["user"]),
        ("statusfilter", lambda v: _status_class(task["status"]) in v.split(",")),
        ("errors", lambda v: v != "1" or task["status"] not in ("OK", "RUNNING")),
        ("since", lambda v: task["starttime"] >= int(v)),
        ("until", lambda v: task["starttime"] <= int(v)),
    ]
    return all(test(p[key]) for key, test in checks if key in p)


def _status_class(status: str) -> str:
    if status == "OK":
        return "ok"
    if status == "RUNNING":
        return "running"
    if status.startswith("WARNINGS"):
        return "warning"
    return "error" if status != "unknown" else "unknown"


def _task_row(task: dict[str, Any]) -> dict[str, Any]:
    row = {k: v for k, v in task.items() if k != "log"}
    row.setdefault("status", "RUNNING")
    return row


@route("GET", "/nodes/{node}/tasks/{upid}/status")
def task_status(req: Request, node: str, upid: str) -> dict[str, Any]:
    facts.require_node(req, node)
    for task in req.cluster.tasks(node):
        if task["upid"] == upid:
            if not req.may("Sys.Audit") and task["user"] != req.token.user:
                raise ApiError(403, f"Permission check failed (/nodes/{node}, Sys.Audit)")
            row = {k: task[k] for k in ("upid", "node", "pid", "pstart", "starttime", "type", "id", "user")}
            row["status"] = "running" if task["status"] == "RUNNING" else "stopped"
            if task["status"] != "RUNNING":
                row["exitstatus"] = task["status"]
            return row
    if not upid.startswith("UPID:"):
        raise param_error({"upid": "unable to parse worker upid"})
    raise ApiError(500, f"no such task '{upid}'")


@route("GET", "/nodes/{node}/ceph/status")
def node_ceph_status(req: Request, node: str) -> None:
    facts.require_node(req, node)
    req.require("Sys.Audit")
    raise ApiError(500, CEPH_NOT_INSTALLED)
