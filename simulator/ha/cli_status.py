"""`ha-manager status` and the API's /cluster/ha/status/current (API2/HA/Status.pm).

Models the quorum, master, lrm and service entries, staleness (`old
timestamp - dead?` after 30 s, `detected time drift!`), `idle` LRMs and
masters, `<mode> mode` LRMs, the verbose service state (`starting`,
`stopping`, `queued`, `deleting`, `ignored`, `disabled`, `clearing error
flag`) and `--verbose` with the full manager status. Leaves out: the
`fencing` line of ha-manager >= 5.2 (we print the PVE 8 / 9.0-9.1 layout).
"""

from __future__ import annotations

import json
from typing import Any


def verbose_service_state(sd: dict[str, Any] | None, cd: dict[str, Any] | None) -> str:
    if cd is None:
        return "deleting"
    req = cd.get("state") or "started"
    if req == "enabled":
        req = "started"
    if req == "ignored":
        return "ignored"
    if sd is None:
        return "queued"
    state = sd.get("state")
    if req == "started" and (state == "stopped" or (state == "started" and not sd.get("running"))):
        return "starting"
    if req in ("stopped", "disabled") and state == "started":
        return "stopping"
    if state == "stopped" and req == "disabled":
        return "disabled"
    if state == "error" and req == "disabled":
        return "clearing error flag"
    return str(state)


def _staleness(now: int, timestamp: Any) -> str:
    if not isinstance(timestamp, int | float):
        return "old timestamp - dead?"
    if timestamp < now - 30:
        return "old timestamp - dead?"
    if timestamp > now + 2:
        return "detected time drift!"
    return "active"


def status_entries(env: Any) -> list[dict[str, Any]]:
    """The list /cluster/ha/status/current returns."""
    node = env.nodename()
    now = env.get_time()
    quorate = env.quorate()
    entries: list[dict[str, Any]] = [{
        "id": "quorum", "type": "quorum", "node": node, "quorate": 1 if quorate else 0,
        "status": "OK" if quorate else f"No quorum on node '{node}'!"}]
    ms = env.read_manager_status()
    resources = env.read_resources()
    master = ms.get("master_node")
    if master:
        text = _staleness(now, ms.get("timestamp"))
        if quorate and text != "active" and not resources:
            text = "idle"
        crs = ((env.get_datacenter_settings().get("crs") or {}).get("ha")) or "basic"
        suffix = f" - {crs} load CRS" if crs != "basic" else ""
        entries.append({"id": "master", "type": "master", "node": master, "timestamp": ms.get("timestamp"),
                        "status": f"{master} ({text}, {env.format_time(ms.get('timestamp') or 0)}){suffix}"})
    ss = ms.get("service_status") or {}
    for lrm_node in sorted(ms.get("node_status") or {}):
        entries.append(_lrm_entry(env, lrm_node, now, ss))
    config = env.read_service_config()
    for sid in sorted(ss):
        entries.append(_service_entry(sid, ss[sid], config.get(sid), ss[sid].get("node")))
    for sid in sorted(set(config) - set(ss)):
        entries.append(_service_entry(sid, None, config[sid], config[sid].get("node")))
    return entries


def _lrm_entry(env: Any, node: str, now: int, ss: dict[str, Any]) -> dict[str, Any]:
    try:
        lrm = env.read_lrm_status(node)
    except Exception:  # the API shows any read failure the same way
        lrm = {}
    if not lrm:
        return {"id": f"lrm:{node}", "type": "lrm", "node": node, "status": f"{node} (unable to read lrm status)"}
    text = _staleness(now, lrm.get("timestamp"))
    if text == "active":
        mode = lrm.get("mode") or "active"
        state = lrm.get("state") or "unknown"
        active = any(sd.get("node") == node and sd.get("state") not in ("stopped", "freeze", "error")
                     for sd in ss.values())
        if mode != "active":
            text = f"{mode} mode"
        elif state == "wait_for_agent_lock" and not active:
            text = "idle"
        else:
            text = state
    return {"id": f"lrm:{node}", "type": "lrm", "node": node, "timestamp": lrm.get("timestamp"),
            "status": f"{node} ({text}, {env.format_time(lrm.get('timestamp') or 0)})"}


def _service_entry(sid: str, sd: dict[str, Any] | None, cd: dict[str, Any] | None,
                   node: str | None) -> dict[str, Any]:
    state = verbose_service_state(sd, cd)
    entry: dict[str, Any] = {"id": f"service:{sid}", "type": "service", "sid": sid, "node": node,
                             "state": state, "status": f"{sid} ({node}, {state})"}
    if sd is not None:
        entry["crm_state"] = sd.get("state")
    if cd is not None:
        entry["request_state"] = cd.get("state")
        for key in ("max_restart", "max_relocate", "failback", "group", "comment"):
            if cd.get(key) is not None:
                entry[key] = cd[key]
    return entry


def render_status(env: Any, verbose: bool = False) -> str:
    lines = [f"{e['type']} {e['status']}" for e in status_entries(env)]
    if verbose:
        ms = env.read_manager_status()
        lines.append("full cluster state:")
        lines.append(json.dumps({"manager_status": ms, "quorum": {"node": env.nodename(),
                                 "quorate": 1 if env.quorate() else 0}}, indent=3, sort_keys=True))
    return "\n".join(lines)
