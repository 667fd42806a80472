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

from .tools import count_active_services


def verbose_service_state(sd: dict[str, Any] | None, cd: dict[str, Any] | None) -> str:
    """Tools.pm `get_verbose_service_state`, including its quirk: a started service that has not
    confirmed running shows `starting` even when a stop was requested."""
    if cd is None:
        return "deleting"
    req = cd.get("state") or "ignored"
    if req == "ignored":
        return "ignored"
    if cd.get("node") is None:
        return "not found"
    if sd is None or sd.get("state") is None:
        return "queued"
    cur = sd["state"]
    state = cur
    if cur == "stopped":
        state = {"started": "starting", "disabled": "disabled"}.get(req, cur)
    elif cur == "started":
        if req in ("stopped", "disabled"):
            state = "stopping"
        if not sd.get("running"):
            state = "starting"
    elif cur == "error" and req == "disabled":
        state = "clearing error flag"
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
    config = _service_config(env)
    master = ms.get("master_node")
    if master and ms.get("timestamp") is not None:
        text = _staleness(now, ms["timestamp"])
        if quorate and text != "active" and not config:
            text = "idle"
        crs = ((env.get_datacenter_settings().get("crs") or {}).get("ha")) or "basic"
        suffix = f" - {crs} load CRS" if crs != "basic" else ""
        entries.append({"id": "master", "type": "master", "node": master, "timestamp": ms["timestamp"],
                        "status": f"{master} ({text}, {env.format_time(ms['timestamp'])}){suffix}"})
    ss = ms.get("service_status") or {}
    for lrm_node in sorted(ms.get("node_status") or {}):
        entries.append(_lrm_entry(env, lrm_node, now, ss))
    for sid in sorted(ss):
        entries.append(_service_entry(sid, ss[sid], config.get(sid)))
    for sid in sorted(set(config) - set(ss)):
        entries.append(_service_entry(sid, None, config[sid]))
    return entries


def _service_config(env: Any) -> dict[str, dict[str, Any]]:
    """Configured resources with defaults; a resource whose guest is gone has no node."""
    config = env.read_service_config()
    for sid, cd in env.read_resources().items():
        if sid not in config:
            config[sid] = {**cd, "state": cd.get("state") or "started", "node": None}
    return config


def _lrm_entry(env: Any, node: str, now: int, ss: dict[str, Any]) -> dict[str, Any]:
    try:
        lrm = env.read_lrm_status(node)
    except Exception:  # the API shows any read failure the same way
        lrm = {}
    if not lrm.get("timestamp"):
        return {"id": f"lrm:{node}", "type": "lrm", "node": node, "status": f"{node} (unable to read lrm status)"}
    text = _staleness(now, lrm["timestamp"])
    mode = lrm.get("mode")
    if text == "active":
        mode = mode or "active"
        state = lrm.get("state") or "unknown"
        if mode != "active":
            text = f"{mode} mode"
        elif state == "wait_for_agent_lock" and not count_active_services(ss, node):
            text = "idle"
        else:
            text = state
    elif mode == "maintenance":
        text = "maintenance mode"
    return {"id": f"lrm:{node}", "type": "lrm", "node": node, "timestamp": lrm["timestamp"],
            "status": f"{node} ({text}, {env.format_time(lrm['timestamp'])})"}


def _service_entry(sid: str, sd: dict[str, Any] | None, cd: dict[str, Any] | None) -> dict[str, Any]:
    entry: dict[str, Any] = {"id": f"service:{sid}", "type": "service", "sid": sid}
    if sd is not None:
        entry["node"], entry["crm_state"] = sd.get("node"), sd.get("state")
    elif cd is not None:
        entry["node"] = cd.get("node")
    entry["state"] = verbose_service_state(sd, cd)
    entry["status"] = f"{sid} ({entry.get('node') or '---'}, {entry['state']})"
    if cd is not None:
        entry["request_state"] = cd.get("state")
        for key in ("group", "max_restart", "max_relocate", "failback", "comment"):
            if cd.get(key) is not None:
                entry[key] = cd[key]
    return entry


def render_status(env: Any, verbose: bool = False) -> str:
    lines = [f"{e['type']} {e['status']}" for e in status_entries(env)]
    if verbose:
        ms = env.read_manager_status()
        data: dict[str, Any] = {"manager_status": ms,
                                "quorum": {"node": env.nodename(), "quorate": 1 if env.quorate() else 0}}
        for node in sorted(ms.get("node_status") or {}):
            data.setdefault("lrm_status", {})[node] = env.read_lrm_status(node)
        lines.append("full cluster state:")
        # Perl's JSON->pretty->canonical: 3-space indent and `"key" : value`
        lines.append(json.dumps(data, indent=3, sort_keys=True, separators=(",", " : ")))
    return "\n".join(lines)
