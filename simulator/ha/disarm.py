"""Disarming the HA stack (ha-manager >= 5.2 `crm-command disarm-ha freeze|ignore`, `arm-ha`).

Models the master deferring the disarm while a service is being fenced,
freezing every service (mode `freeze`; `ignore` leaves them alone), waiting
until every LRM released its agent lock and watchdog (LRM mode `disarm`),
then reporting the stack fully disarmed (the CRM then releases its own
watchdog); `arm-ha` re-arms and frozen services resume once the LRMs are
active again. UNVERIFIED: the source of 5.2 was not readable; this follows
the regression log of test-disarm-fence1.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .manager import Manager


def process_disarm(mgr: Manager, sc: dict[str, Any], lrm_modes: dict[str, str]) -> None:
    """Freeze (or leave alone) every service, then wait until every LRM let go of lock and watchdog.

    Deferred while any service is being fenced: fencing must finish first.
    """
    disarm = mgr.ms.get("disarm")
    if not disarm or disarm.get("state") == "disarmed":
        return
    for sid in sorted(mgr.ss):
        if mgr.ss[sid]["state"] == "fence":
            mgr.haenv.log("warn", f"deferring disarm - service '{sid}' is in 'fence' state")
            return
    if disarm["mode"] == "freeze":
        for sid in sorted(mgr.ss):
            sd = mgr.ss[sid]
            if sd["state"] in ("freeze", "error"):
                continue
            mgr.haenv.log("info", f"disarm: freezing service '{sid}' (was '{sd['state']}')")
            mgr.online_node_usage.remove_service_usage(sid)
            sd["state"] = "freeze"
            sd.pop("target", None)
            mgr.online_node_usage.add_service_usage(sid, "freeze", sd.get("node"), None)
    for node in mgr.ns.list_nodes():
        if not mgr.ns.node_is_operational(node):
            continue
        lrm = mgr.haenv.read_lrm_status(node)
        if lrm.get("mode") != "disarm" or lrm.get("state") == "active":
            return
    disarm["state"] = "disarmed"
    mgr.haenv.log("info", "all LRMs disarmed, HA stack is now fully disarmed")


def is_fully_disarmed(ms: dict[str, Any]) -> bool:
    return (ms.get("disarm") or {}).get("state") == "disarmed"
