"""`/nodes/{node}/qemu|lxc`, `.../{vmid}/status/current`, `.../config` and `.../snapshot`.

Models qemu-server's and pve-container's list and status endpoints
(`vmstatus`: `template` and `lock` only when set, `pid` while running,
`ha: {managed: 0}` or the HA state), the config endpoint (typed values,
`digest`, `lock` while locked, without snapshot sections) and the snapshot
list ending with the `current` pseudo snapshot. Every guest endpoint needs
VM.Audit on `/vms/{vmid}`; lists leave out guests the token cannot see.
Leaves out: pending changes, `full=1` QMP details, guest agent data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from simulator.api import facts
from simulator.api.routes import route

if TYPE_CHECKING:
    from simulator.api.handler import Request

INTEGER_KEYS = {"memory", "cores", "sockets", "balloon", "cpuunits", "vcpus", "swap", "onboot", "template",
                "numa", "acpi", "kvm", "tablet", "protection", "unprivileged", "startup_order", "cpulimit"}


def _guest_list(req: Request, node: str, type_: str) -> list[dict[str, Any]]:
    facts.require_node(req, node)
    rows = []
    for guest in facts.guests(req):
        if guest["node"] != node or guest["type"] != type_ or not req.may("VM.Audit"):
            continue
        status = guest["status"]
        row: dict[str, Any] = {"vmid": guest["vmid"], "name": guest["name"], "status": status,
                               **facts.guest_figures(guest, status)}
        row.pop("maxcpu")
        if status == "running":
            row["pid"] = _pid(req, guest)
        if guest["lock"]:
            row["lock"] = guest["lock"]
        if guest["template"]:
            row["template"] = 1
        if type_ == "lxc":
            row["type"] = "lxc"
            row["maxswap"] = int(guest["config"].get("swap", "512")) * facts.MIB
            row["swap"] = 0
        rows.append(row)
    return rows


def _pid(req: Request, guest: dict[str, Any]) -> int:
    return 10000 + int(guest["vmid"])


@route("GET", "/nodes/{node}/qemu")
def qemu_list(req: Request, node: str) -> list[dict[str, Any]]:
    return _guest_list(req, node, "qemu")


@route("GET", "/nodes/{node}/lxc")
def lxc_list(req: Request, node: str) -> list[dict[str, Any]]:
    return _guest_list(req, node, "lxc")


def _status_current(req: Request, node: str, vmid: str, type_: str) -> dict[str, Any]:
    guest = facts.guest_on(req, node, vmid, type_)
    req.require("VM.Audit", f"/vms/{vmid}")
    status = guest["status"]
    row: dict[str, Any] = {"vmid": guest["vmid"], "name": guest["name"], "status": status,
                           **facts.guest_figures(guest, status)}
    row.pop("maxcpu")
    if type_ == "qemu":
        row["qmpstatus"] = status
        row["agent"] = 0
        if status == "running":
            row["running-machine"] = "pc-i440fx-9.2+pve1"
            row["running-qemu"] = "9.2.0"
    else:
        row["type"] = "lxc"
    if status == "running":
        row["pid"] = _pid(req, guest)
    if guest["lock"]:
        row["lock"] = guest["lock"]
    if guest["template"]:
        row["template"] = 1
    row["ha"] = _ha_info(req, f"{'vm' if type_ == 'qemu' else 'ct'}:{vmid}")
    return row


def _ha_info(req: Request, sid: str) -> dict[str, Any]:
    service_status, config = facts.ha_service_status(req)
    if sid not in config:
        return {"managed": 0}
    info: dict[str, Any] = {"managed": 1, "state": service_status.get(sid, {}).get("state")
                            or config[sid].get("state") or "started"}
    if config[sid].get("group"):
        info["group"] = config[sid]["group"]
    return info


@route("GET", "/nodes/{node}/qemu/{vmid}/status/current")
def qemu_status(req: Request, node: str, vmid: str) -> dict[str, Any]:
    return _status_current(req, node, vmid, "qemu")


@route("GET", "/nodes/{node}/lxc/{vmid}/status/current")
def lxc_status(req: Request, node: str, vmid: str) -> dict[str, Any]:
    return _status_current(req, node, vmid, "lxc")


def _config(req: Request, node: str, vmid: str, type_: str) -> dict[str, Any]:
    guest = facts.guest_on(req, node, vmid, type_)
    req.require("VM.Audit", f"/vms/{vmid}")
    config: dict[str, Any] = {}
    for key in sorted(guest["config"]):
        value = guest["config"][key]
        config[key] = int(value) if key in INTEGER_KEYS and value.lstrip("-").isdigit() else value
    rendered = "".join(f"{k}: {guest['config'][k]}\n" for k in sorted(guest["config"]))
    config["digest"] = facts.config_digest(rendered)
    return config


@route("GET", "/nodes/{node}/qemu/{vmid}/config")
def qemu_config(req: Request, node: str, vmid: str) -> dict[str, Any]:
    return _config(req, node, vmid, "qemu")


@route("GET", "/nodes/{node}/lxc/{vmid}/config")
def lxc_config(req: Request, node: str, vmid: str) -> dict[str, Any]:
    return _config(req, node, vmid, "lxc")


def _snapshots(req: Request, node: str, vmid: str, type_: str) -> list[dict[str, Any]]:
    guest = facts.guest_on(req, node, vmid, type_)
    req.require("VM.Audit", f"/vms/{vmid}")
    rows = []
    for snap in sorted(guest["snapshots"], key=lambda s: (s["snaptime"], s["name"])):
        row: dict[str, Any] = {"name": snap["name"], "snaptime": snap["snaptime"],
                               "description": snap["description"] or ""}
        if type_ == "qemu":
            row["vmstate"] = snap["vmstate"]
        if snap["parent"]:
            row["parent"] = snap["parent"]
        rows.append(row)
    current: dict[str, Any] = {"name": "current", "digest": _config(req, node, vmid, type_)["digest"],
                               "running": guest["status"] == "running", "description": "You are here!"}
    if guest["config"].get("parent"):
        current["parent"] = guest["config"]["parent"]
    return [*rows, current]


@route("GET", "/nodes/{node}/qemu/{vmid}/snapshot")
def qemu_snapshots(req: Request, node: str, vmid: str) -> list[dict[str, Any]]:
    return _snapshots(req, node, vmid, "qemu")


@route("GET", "/nodes/{node}/lxc/{vmid}/snapshot")
def lxc_snapshots(req: Request, node: str, vmid: str) -> list[dict[str, Any]]:
    return _snapshots(req, node, vmid, "lxc")
