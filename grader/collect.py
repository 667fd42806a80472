"""The one collector: PVE API answers -> the state document (grader/state.py).

`collect(api)` takes any client with `get(path, **params)` (the in-process
simulator client, or proxmoxer against a real or served cluster) and issues
its GETs in two dependency levels, each level's calls concurrently:

1. what needs nothing: version, cluster status and resources, corosync
   nodelist, HA status/manager status/resources/groups/rules, storage
   config, backup jobs, Ceph status;
2. what needs level 1: per online node its tasks and storage status, per
   guest on an online node its config and snapshots, backup archive lists,
   and Ceph's OSD/pool/mon/mgr lists when Ceph is installed.

PVE 8 and 9 both work: the groups endpoint failing with `ha groups have been
migrated to rules` (9) and the rules endpoint not existing (501 on 8) just
mean empty lists. Ceph not installed means `ceph: null`. Every answer is
checked for shape: anything that is not what PVE answers is a
`CollectError` (never a traceback, never a wrong document); anything that
stops us from asking is `TargetUnavailable` with a message saying what to
check. Calls are counted per level; the stats go with the evidence.

Known gap: the config and snapshots of a guest on an offline node cannot be
read (PVE proxies those calls to the guest's node), so its `disks` and
`snapshots` are empty and its status is what /cluster/resources says.
"""

from __future__ import annotations

import datetime
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from pydantic import ValidationError

from grader.backends import ApiCallError, CollectError, TargetUnavailable
from grader.collect_parse import (
    as_dict,
    as_list,
    build_ceph,
    build_guest,
    build_ha,
    build_storage,
    build_tasks,
    ceph_absent,
    parse_backups,
    parse_cluster,
    parse_qdevice,
    parse_version,
)
from grader.state import StateDoc

__all__ = ["ApiCallError", "CollectError", "CollectResult", "CollectStats", "TargetUnavailable", "collect"]

MAX_WORKERS = 16
TASK_LIMIT = 500
Request = tuple[str, dict[str, Any]]


@dataclass
class CollectStats:
    """How a collection went: API calls (total and per level), wall time, where it came from."""

    source: str
    calls: int = 0
    level_calls: list[int] = field(default_factory=list)
    level_seconds: list[float] = field(default_factory=list)
    wall_seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {"source": self.source, "calls": self.calls, "levels": len(self.level_calls),
                "level_calls": list(self.level_calls),
                "level_seconds": [round(s, 4) for s in self.level_seconds],
                "wall_seconds": round(self.wall_seconds, 4)}


class CollectResult(NamedTuple):
    state: StateDoc
    stats: CollectStats


@dataclass
class Answer:
    data: Any = None
    error: ApiCallError | None = None


class _Counting:
    def __init__(self, api: Any) -> None:
        self.api = api
        self.calls = 0
        self.lock = threading.Lock()

    def get(self, path: str, **params: Any) -> Any:
        with self.lock:
            self.calls += 1
        return self.api.get(path, **params)


LEVEL1: dict[str, Request] = {
    "version": ("/version", {}),
    "status": ("/cluster/status", {}),
    "resources": ("/cluster/resources", {}),
    "config_nodes": ("/cluster/config/nodes", {}),
    "qdevice": ("/cluster/config/qdevice", {}),
    "ha_status": ("/cluster/ha/status/current", {}),
    "ha_manager": ("/cluster/ha/status/manager_status", {}),
    "ha_resources": ("/cluster/ha/resources", {}),
    "ha_groups": ("/cluster/ha/groups", {}),
    "ha_rules": ("/cluster/ha/rules", {}),
    "storage": ("/storage", {}),
    "backup_jobs": ("/cluster/backup", {}),
    "ceph": ("/cluster/ceph/status", {}),
}


def collect(api: Any, *, max_workers: int = MAX_WORKERS) -> CollectResult:
    """The state document of the cluster behind `api`, and how it was collected."""
    source = str(getattr(api, "source", "proxmox"))
    stats = CollectStats(source)
    counting = _Counting(api)
    started = time.monotonic()
    one = _level(counting, LEVEL1, stats, max_workers)
    try:
        plan = _plan_level2(one)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise CollectError(f"the cluster's answers are not what Proxmox VE answers ({exc})") from None
    two = _level(counting, plan, stats, max_workers)
    try:
        state = _build(source, one, two)
    except CollectError:
        raise
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise CollectError(f"the cluster's answers do not make a valid state document ({where}: {first['msg']})") \
            from None
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise CollectError(f"the cluster's answers are not what Proxmox VE answers ({exc})") from None
    stats.calls = counting.calls
    stats.wall_seconds = time.monotonic() - started
    return CollectResult(state, stats)


def _level(api: _Counting, requests: dict[str, Request], stats: CollectStats, max_workers: int) -> dict[str, Answer]:
    started = time.monotonic()
    answers: dict[str, Answer] = {}
    if requests:
        workers = max(1, min(max_workers, len(requests)))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="collect") as pool:
            futures = {key: pool.submit(_ask, api, path, params) for key, (path, params) in requests.items()}
            for key, future in futures.items():
                answers[key] = future.result()
    stats.level_calls.append(len(requests))
    stats.level_seconds.append(time.monotonic() - started)
    return answers


def _ask(api: _Counting, path: str, params: dict[str, Any]) -> Answer:
    try:
        return Answer(api.get(path, **params))
    except ApiCallError as err:
        return Answer(error=err if err.path else ApiCallError(err.status, err.message, path))
    except (TargetUnavailable, CollectError):
        raise
    except Exception as exc:  # a client that breaks in its own way: not gradable, say what happened
        raise CollectError(f"GET {path} failed in the API client: {type(exc).__name__}") from None


# -- answers -> data -------------------------------------------------------------------
def required(answer: Answer, path: str) -> Any:
    """The data of an answer that must succeed; errors become TargetUnavailable or CollectError."""
    if answer.error is None:
        return answer.data
    raise unavailable_or_wrong(answer.error, answer.error.path or path)


def unavailable_or_wrong(err: ApiCallError, path: str) -> Exception:
    status, message = err.status, err.message.strip()
    if status == 401:
        return TargetUnavailable(f"the API token was rejected ({status} {message}): check the token id "
                                 "(USER@REALM!NAME) and its secret, and that it has not expired or been removed")
    if status == 403:
        return TargetUnavailable(f"the API token lacks a privilege ({message}): give it read access with "
                                 "`pveum acl modify / -token 'USER@REALM!NAME' -role PVEAuditor`")
    if status >= 500:
        return TargetUnavailable(f"the cluster answered GET {path} with {status} {message}")
    return CollectError(f"the cluster answered GET {path} with {status} {message}, which Proxmox VE does not")


def optional(answer: Answer, path: str, *, absent_when: tuple[int, ...], texts: tuple[str, ...] = (),
             empty: Any = None) -> Any:
    """Data, or `empty` when the error is one PVE gives for "this does not exist here"."""
    if answer.error is None:
        return answer.data
    err = answer.error
    if err.status in absent_when and (not texts or any(t in err.message for t in texts)):
        return empty
    raise unavailable_or_wrong(err, err.path or path)


def _online_nodes(one: dict[str, Answer]) -> list[str]:
    cluster = parse_cluster(as_list(required(one["status"], "/cluster/status"), "/cluster/status"), None, None)
    return [n.name for n in cluster.nodes if n.online]


def _plan_level2(one: dict[str, Answer]) -> dict[str, Request]:
    online = _online_nodes(one)
    plan: dict[str, Request] = {}
    for node in online:
        plan[f"tasks/{node}"] = (f"/nodes/{node}/tasks", {"source": "all", "limit": TASK_LIMIT})
        plan[f"storage/{node}"] = (f"/nodes/{node}/storage", {})
    resources = as_list(required(one["resources"], "/cluster/resources"), "/cluster/resources")
    for row in resources:
        row = as_dict(row, "/cluster/resources entry")
        if row.get("type") in ("qemu", "lxc") and row.get("node") in online:
            base = f"/nodes/{row['node']}/{row['type']}/{int(row['vmid'])}"
            plan[f"config/{row['vmid']}"] = (f"{base}/config", {})
            plan[f"snapshot/{row['vmid']}"] = (f"{base}/snapshot", {})
    storages = as_list(required(one["storage"], "/storage"), "/storage")
    for row in storages:
        row = as_dict(row, "/storage entry")
        if "backup" not in str(row.get("content", "")).split(",") or row.get("disable"):
            continue
        allowed = [n for n in str(row["nodes"]).split(",") if n in online] if row.get("nodes") else online
        for node in allowed[:1] if row.get("shared") else allowed:
            plan[f"backups/{node}/{row['storage']}"] = (f"/nodes/{node}/storage/{row['storage']}/content",
                                                        {"content": "backup"})
    if online and _ceph_status(one) is not None:
        first = online[0]
        for part in ("osd", "pool", "mon", "mgr"):
            plan[f"ceph/{part}"] = (f"/nodes/{first}/ceph/{part}", {})
    return plan


def _ceph_status(one: dict[str, Answer]) -> Any:
    return optional(one["ceph"], "/cluster/ceph/status", absent_when=(500, 501), texts=ceph_absent(), empty=None)


def _build(source: str, one: dict[str, Answer], two: dict[str, Answer]) -> StateDoc:
    status = as_list(required(one["status"], "/cluster/status"), "/cluster/status")
    config_nodes = optional(one["config_nodes"], "/cluster/config/nodes", absent_when=(500,),
                            texts=("does not exist", "not part of a cluster"), empty=None)
    ha_status = as_list(required(one["ha_status"], "/cluster/ha/status/current"), "/cluster/ha/status/current")
    cluster = parse_cluster(status, config_nodes, ha_status)
    if cluster.clustered:
        cluster.qdevice = parse_qdevice(optional(one["qdevice"], "/cluster/config/qdevice", absent_when=(500, 501),
                                                 empty=None))
    ha = build_ha(
        ha_status,
        as_dict(required(one["ha_manager"], "/cluster/ha/status/manager_status"), "/cluster/ha/status/manager_status"),
        as_list(required(one["ha_resources"], "/cluster/ha/resources"), "/cluster/ha/resources"),
        optional(one["ha_groups"], "/cluster/ha/groups", absent_when=(500, 501),
                 texts=("migrated to rules", "not implemented"), empty=[]),
        optional(one["ha_rules"], "/cluster/ha/rules", absent_when=(501,), empty=[]),
    )
    online = {n.name for n in cluster.nodes if n.online}
    resources = as_list(required(one["resources"], "/cluster/resources"), "/cluster/resources")
    guests = []
    for row in resources:
        if as_dict(row, "/cluster/resources entry").get("type") in ("qemu", "lxc"):
            vmid = row.get("vmid")
            config = _level2(two, f"config/{vmid}")
            snapshots = _level2(two, f"snapshot/{vmid}")
            guests.append(build_guest(row, config, snapshots, row.get("node") in online))
    storage_status = {node: _level2(two, f"storage/{node}") for node in sorted(online)}
    storage = build_storage(as_list(required(one["storage"], "/storage"), "/storage"), storage_status)
    archives = {key.split("/", 1)[1]: _level2(two, key) for key in two if key.startswith("backups/")}
    backups = parse_backups(required(one["backup_jobs"], "/cluster/backup"), archives)
    tasks = build_tasks({node: _level2(two, f"tasks/{node}") for node in sorted(online)})
    ceph_raw = _ceph_status(one)
    ceph = None if ceph_raw is None else build_ceph(
        ceph_raw, {part: _level2(two, f"ceph/{part}") for part in ("osd", "pool", "mon", "mgr")})
    return StateDoc(
        source=source, collected_at=datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        pve=parse_version(required(one["version"], "/version")), cluster=cluster, ha=ha,
        guests=sorted(guests, key=lambda g: g.vmid), ceph=ceph, storage=storage, backups=backups, tasks=tasks,
    )


def _level2(two: dict[str, Answer], key: str) -> Any:
    answer = two.get(key)
    if answer is None:
        return None
    return required(answer, key.split("/", 1)[0])
