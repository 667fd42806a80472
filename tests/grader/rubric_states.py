"""State documents for the pure grader tests, built as data (no simulator, no collector)."""

from __future__ import annotations

import copy
from typing import Any

from grader.state import StateDoc

LAB_START = 1_763_974_800


def cluster_data(nodes: int = 3, online: int | None = None, name: str | None = "lab") -> dict[str, Any]:
    online = nodes if online is None else online
    return {
        "name": name, "config_version": nodes if name else None, "quorate": int(online * 2 > nodes),
        "nodes": [{"name": f"pve{i}", "nodeid": i, "votes": 1, "online": int(i <= online),
                   "ip": f"192.168.1.{10 + i}"} for i in range(1, nodes + 1)],
    }


def state_data(**parts: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "source": "simulator", "collected_at": "2026-11-25T00:00:00Z",
        "pve": {"version": "9.1.2", "release": "9.1"},
        "cluster": cluster_data(), "ha": {"master": "pve1", "quorate": 1}, "guests": [], "tasks": [],
    }
    data.update(copy.deepcopy(parts))
    return data


def state(**parts: Any) -> StateDoc:
    return StateDoc.model_validate(state_data(**parts))


def standalone() -> StateDoc:
    return state(cluster={"name": None, "config_version": None, "quorate": 1,
                          "nodes": [{"name": "pve1", "online": 1}]})


def guest(vmid: int, node: str, status: str = "running", storage: str = "nas", **extra: Any) -> dict[str, Any]:
    return {"vmid": vmid, "type": "qemu", "name": f"vm{vmid}", "node": node, "status": status,
            "disks": [{"key": "scsi0", "storage": storage}], **extra}


def task(type_: str, id_: str, user: str = "alice@pve", start: int = LAB_START + 60, status: str | None = "OK",
         node: str = "pve1") -> dict[str, Any]:
    upid = f"UPID:{node}:00001000:00001000:{start:08X}:{type_}:{id_}:{user}:"
    return {"upid": upid, "node": node, "type": type_, "id": id_, "user": user, "status": status,
            "starttime": start, "endtime": start + 5 if status else None}


def ha_resource(sid: str, node: str = "pve1", crm_state: str = "started", **extra: Any) -> dict[str, Any]:
    return {"sid": sid, "type": sid.split(":")[0], "requested_state": "started", "crm_state": crm_state,
            "state": crm_state, "node": node, **extra}


def ha(resources: list[dict[str, Any]], rules: list[dict[str, Any]] | None = None,
       groups: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"master": "pve1", "quorate": 1, "resources": resources, "rules": rules or [], "groups": groups or []}
