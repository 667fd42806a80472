"""`/cluster/ha/status/current`, `.../status/manager_status`, `/cluster/ha/resources[/{sid}]`,
`/cluster/ha/groups` and `/cluster/ha/rules`.

Models pve-ha-manager's API2/HA/{Status,Resources,Groups,Rules}.pm as PVE 8
and PVE 9 answer them: on 8, groups are listed and `/cluster/ha/rules` does
not exist (501); on 9, rules are listed and the groups index fails with 500
`cannot index groups: ha groups have been migrated to rules` once groups.cfg
is gone or empty (the default on a fresh 9.x cluster). Resources list only
the keys written in resources.cfg, plus `sid`, `type` and `digest`.
The status list comes from the HA package's own `status_entries`, which
`ha-manager status` prints, so console and API agree by construction.
Without HA attached, the answers are those of a cluster where HA was never
configured: a quorum entry only, empty lists, an empty manager status.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from simulator.api.errors import ApiError, not_implemented
from simulator.api.facts import config_digest
from simulator.api.routes import route

if TYPE_CHECKING:
    from simulator.api.handler import Request

GROUPS_MIGRATED = "cannot index groups: ha groups have been migrated to rules"
RESOURCE_KEYS = ("state", "group", "failback", "max_restart", "max_relocate", "comment")


def _quorum_entry(req: Request) -> dict[str, Any]:
    """PVE fills it from pmxcfs (`check_cfs_quorum`): a standalone node is quorate."""
    quorate = req.cluster.is_quorate(req.view)
    return {"id": "quorum", "type": "quorum", "node": req.view, "quorate": quorate,
            "status": "OK" if quorate else f"No quorum on node '{req.view}'!"}


@route("GET", "/cluster/ha/status/current")
def status_current(req: Request) -> list[dict[str, Any]]:
    req.require("Sys.Audit")
    env = req.ha
    if env is None:
        return [_quorum_entry(req)]
    from simulator.ha.cli_status import status_entries

    return [_quorum_entry(req) if e.get("type") == "quorum" else e for e in status_entries(env)]


@route("GET", "/cluster/ha/status/manager_status")
def manager_status(req: Request) -> dict[str, Any]:
    req.require("Sys.Audit")
    env = req.ha
    quorum = {"node": req.view, "quorate": req.cluster.is_quorate(req.view)}
    if env is None:
        return {"manager_status": {}, "quorum": quorum}
    status = env.read_manager_status() or {}
    data: dict[str, Any] = {"manager_status": status, "quorum": quorum}
    for node in sorted(status.get("node_status") or {}):
        try:
            data.setdefault("lrm_status", {})[node] = env.read_lrm_status(node) or {}
        except Exception:  # PVE reports an unreadable lrm_status as empty
            data.setdefault("lrm_status", {})[node] = {}
    return data


def _resources(req: Request) -> dict[str, dict[str, Any]]:
    env = req.ha
    return {} if env is None else dict(env.read_resources() or {})


def _resource_row(sid: str, written: dict[str, Any], digest: str) -> dict[str, Any]:
    row: dict[str, Any] = {"sid": sid, "type": sid.split(":", 1)[0], "digest": digest}
    for key in RESOURCE_KEYS:
        if written.get(key) is not None:
            row[key] = written[key]
    return row


def _resources_digest(resources: dict[str, dict[str, Any]]) -> str:
    return config_digest(repr(sorted((sid, sorted(cd.items())) for sid, cd in resources.items())))


@route("GET", "/cluster/ha/resources")
def resources(req: Request) -> list[dict[str, Any]]:
    req.require("Sys.Audit")
    kind = req.params.get("type")
    written = _resources(req)
    digest = _resources_digest(written)
    return [_resource_row(sid, written[sid], digest) for sid in sorted(written)
            if kind is None or sid.startswith(f"{kind}:")]


@route("GET", "/cluster/ha/resources/{sid}")
def resource(req: Request, sid: str) -> dict[str, Any]:
    req.require("Sys.Audit")
    if sid.isdigit():
        raise ApiError(500, f"unable to detect SID from VMID - VM/CT {sid} does not exist")
    written = _resources(req)
    if sid not in written:
        raise ApiError(500, f"no such resource '{sid}'")
    return _resource_row(sid, written[sid], _resources_digest(written))


@route("GET", "/cluster/ha/groups")
def groups(req: Request) -> list[dict[str, Any]]:
    req.require("Sys.Audit")
    env = req.ha
    config = env.read_group_config() if env is not None else {"ids": {}, "digest": ""}
    ids = config.get("ids") or {}
    migrated = env.ha_groups_migrated() if env is not None else not ids
    if req.settings.major >= 9 and (migrated or not ids):
        raise ApiError(500, GROUPS_MIGRATED)
    rows = []
    for name in sorted(ids):
        group = ids[name]
        row: dict[str, Any] = {"group": name, "type": "group", "digest": config.get("digest", ""),
                               "nodes": _node_list(group.get("nodes") or {})}
        for key in ("restricted", "nofailback"):
            if group.get(key):
                row[key] = 1
        if group.get("comment"):
            row["comment"] = group["comment"]
        rows.append(row)
    return rows


@route("GET", "/cluster/ha/rules")
def rules(req: Request) -> list[dict[str, Any]]:
    if req.settings.major < 9:
        raise not_implemented("GET", "/cluster/ha/rules")
    req.require("Sys.Audit")
    env = req.ha
    config = env.read_rules_config() if env is not None else {"ids": {}, "order": {}, "digest": ""}
    ids, order = config.get("ids") or {}, config.get("order") or {}
    kind, wanted = req.params.get("type"), req.params.get("resource")
    rows = []
    for rule_id in sorted(ids, key=lambda r: (order.get(r, 0), r)):
        rule = ids[rule_id]
        if (kind is not None and rule["type"] != kind) or (wanted is not None and wanted not in rule["resources"]):
            continue
        row: dict[str, Any] = {"rule": rule_id, "type": rule["type"], "digest": config.get("digest", ""),
                               "order": order.get(rule_id, 0), "resources": ",".join(sorted(rule["resources"]))}
        if rule["type"] == "node-affinity":
            row["nodes"] = _node_list({n: p.get("priority", 0) for n, p in rule["nodes"].items()})
            row["strict"] = 1 if rule.get("strict") else 0
        else:
            row["affinity"] = rule["affinity"]
        if rule.get("disable"):
            row["disable"] = 1
        if rule.get("comment"):
            row["comment"] = rule["comment"]
        rows.append(row)
    return rows


def _node_list(nodes: dict[str, int]) -> str:
    return ",".join(f"{n}:{p}" if p else n for n, p in sorted(nodes.items()))
