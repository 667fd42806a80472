"""Facts every endpoint needs, computed from one node's point of view.

Models what pvestatd and pmxcfs tell pveproxy: which nodes are members and
online, the guests in /etc/pve, and plausible, deterministic resource
figures (CPU load, memory, disk, uptime) derived from the simulated sizes.
Leaves out: real usage accounting and RRD history.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from simulator.api.errors import ApiError, no_such_node

if TYPE_CHECKING:
    from simulator.api.handler import Request

GIB = 1024 ** 3
MIB = 1024 ** 2
NODE_ROOT_DISK = 100 * GIB
NODE_ROOT_USED = 3 * GIB
NODE_BASE_MEM = 2 * GIB


def members(req: Request) -> list[str]:
    """Nodes of the answering node's cluster (sorted), or the node itself when standalone."""
    conf = req.cluster.conf_of(req.view)
    return sorted(conf.nodes) if conf is not None else [req.view]


def online_map(req: Request) -> dict[str, bool]:
    if "online" not in req.cache:
        info = {row["name"]: bool(row["online"]) for row in req.cluster.node_info(req.view)}
        req.cache["online"] = {name: info.get(name, False) for name in members(req)}
    return req.cache["online"]


def require_node(req: Request, node: str) -> None:
    """A node this API can reach: in the cluster (else 500) and online (else 595, as the proxy fails)."""
    if node not in members(req):
        raise no_such_node(node)
    if not online_map(req)[node]:
        raise ApiError(595, "No route to host")


def guests(req: Request) -> list[dict[str, Any]]:
    if "guests" not in req.cache:
        req.cache["guests"] = req.cluster.guests(req.view)
    return req.cache["guests"]


def guest_on(req: Request, node: str, vmid: str, type_: str) -> dict[str, Any]:
    require_node(req, node)
    kind = "qemu-server" if type_ == "qemu" else "lxc"
    for guest in guests(req):
        if str(guest["vmid"]) == vmid and guest["type"] == type_ and guest["node"] == node:
            return guest
    raise ApiError(500, f"Configuration file 'nodes/{node}/{kind}/{vmid}.conf' does not exist")


def guest_status(req: Request, guest: dict[str, Any]) -> str:
    """running/stopped, or unknown when its node is not online from this point of view."""
    if not online_map(req).get(guest["node"], False):
        return "unknown"
    return guest["status"]


def guest_figures(guest: dict[str, Any], status: str) -> dict[str, Any]:
    running = status == "running"
    maxmem = int(guest["memory_mib"]) * MIB
    disks = [d for d in guest["disks"] if not d["cdrom"]]
    maxdisk = int(disks[0]["size_gib"] * GIB) if disks else 0
    config = guest["config"]
    cpus = int(config.get("cores", "1") or 1) * int(config.get("sockets", "1") or 1)
    return {"cpus": cpus, "maxcpu": cpus, "maxmem": maxmem,
            "mem": maxmem // 4 if running else 0, "cpu": 0.01 if running else 0, "maxdisk": maxdisk,
            "disk": 0, "netin": 0, "netout": 0, "diskread": 0, "diskwrite": 0,
            "uptime": 3600 if running else 0}


def node_figures(req: Request, name: str, online: bool) -> dict[str, Any]:
    node = req.cluster.nodes[name]
    running = [g for g in guests(req) if g["node"] == name and g["status"] == "running"]
    mem = NODE_BASE_MEM + sum(int(g["memory_mib"]) * MIB for g in running) // 4
    if not online:
        return {"maxcpu": node.cpus, "maxmem": node.memory_mib * MIB}
    return {"cpu": round(0.02 + 0.01 * len(running), 4), "maxcpu": node.cpus, "mem": mem,
            "maxmem": node.memory_mib * MIB, "disk": NODE_ROOT_USED, "maxdisk": NODE_ROOT_DISK,
            "uptime": max(0, int(req.cluster.clock.now - node.boot_time))}


def fingerprint(name: str) -> str:
    """A stable fake certificate fingerprint for a node (pve-ssl.pem's SHA-256)."""
    digest = hashlib.sha256(f"pve-ssl:{name}".encode()).hexdigest().upper()
    return ":".join(digest[i:i + 2] for i in range(0, 64, 2))


def ha_service_status(req: Request) -> tuple[dict[str, Any], dict[str, Any]]:
    """(manager service_status, configured resources with defaults) or empty dicts without HA."""
    env = req.ha
    if env is None:
        return {}, {}
    if "ha_services" not in req.cache:
        status = env.read_manager_status() or {}
        req.cache["ha_services"] = (dict(status.get("service_status") or {}), dict(env.read_service_config() or {}))
    return req.cache["ha_services"]


def ha_state_of(req: Request, sid: str) -> str | None:
    """`hastate` of /cluster/resources: the CRM state, else the requested state, else None."""
    service_status, config = ha_service_status(req)
    if sid in service_status:
        return service_status[sid].get("state")
    if sid in config:
        return config[sid].get("state") or "started"
    return None


def config_digest(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()  # noqa: S324 - PVE's digest is a change marker
