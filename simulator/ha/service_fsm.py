"""The per-service state machine of the CRM master (Manager.pm `next_state_*`).

Models request_start, started, request_stop, stopped, migrate, relocate,
request_start_balance, fence, recovery, freeze and error, with the relocate
policy (`max_relocate`, failed nodes), the stop command, maintenance
fallback nodes and recovery of fenced services. Leaves out: rebalancing on
start with the dynamic scheduler.
"""

from __future__ import annotations

from typing import Any

from . import tools
from .placement import select_service_node

REMOVABLE_LOCKS = ["backup", "mounted", "migrate", "clone", "rollback", "snapshot", "snapshot-delete",
                   "suspending", "suspended"]


class ServiceStateMachine:
    """Mixin for `Manager`: expects haenv, ns, ss, compiled_rules, online_node_usage, crs."""

    haenv: Any
    ns: Any
    ss: dict[str, Any]
    compiled_rules: dict[str, Any]
    online_node_usage: Any
    crs: dict[str, Any]

    def change_service_state(self, sid: str, new_state: str, **params: Any) -> None:
        raise NotImplementedError

    def new_uid(self, state: str) -> str:
        raise NotImplementedError

    def _select(self, sid: str, cd: dict[str, Any], preference: str) -> str | None:
        return select_service_node(self.compiled_rules, self.online_node_usage, sid, cd, self.ss, preference)

    def next_state_request_stop(self, sid: str, cd: dict[str, Any], sd: dict[str, Any], lrm_res: Any) -> None:
        if lrm_res:
            code = lrm_res["exit_code"]
            if code == tools.SUCCESS:
                self.change_service_state(sid, "stopped")
            else:
                self.haenv.log("err", f"service '{sid}' stop failed (exit code {code})")
                self.change_service_state(sid, "error")
            return
        if self.ns.node_is_offline_delayed(sd["node"]):
            self.change_service_state(sid, "fence")

    def next_state_migrate_relocate(self, sid: str, cd: dict[str, Any], sd: dict[str, Any], lrm_res: Any) -> None:
        if lrm_res:
            code = lrm_res["exit_code"]
            req_state = "started" if cd["state"] == "started" else "request_stop"
            if code == tools.SUCCESS:
                self.change_service_state(sid, req_state, node=sd["target"])
                return
            if code == tools.EWRONG_NODE:
                self.haenv.log("err", f"service '{sid}' - migration failed: service registered on wrong node!")
                self.change_service_state(sid, "error")
            elif code == tools.IGNORED:
                self.haenv.log("info", f"service '{sid}' - rebalance-on-start request ignored - service already "
                                       "running")
                self.change_service_state(sid, req_state, node=sd["node"])
            else:
                self.haenv.log("err", f"service '{sid}' - migration failed (exit code {code})")
                self.change_service_state(sid, req_state, node=sd["node"])
                return
        if self.ns.node_is_offline_delayed(sd["node"]):
            self.change_service_state(sid, "fence")

    def _stopped_command(self, sid: str, sd: dict[str, Any]) -> bool:
        """Handle a queued crm command on a stopped service; True if the state changed."""
        cmd = sd["cmd"]
        name = cmd[0]
        if name in ("migrate", "relocate"):
            target = cmd[1]
            if not self.ns.node_is_online(target):
                self.haenv.log("err", f"ignore service '{sid}' {name} request - node '{target}' not online")
            elif sd["node"] == target:
                self.haenv.log("info", f"ignore service '{sid}' {name} request - service already on node '{target}'")
            else:
                self.change_service_state(sid, name, node=sd["node"], target=target)
                return True
        elif name == "stop":
            self.haenv.log("info", f"ignore service '{sid}' {name} request - service already stopped")
        else:
            self.haenv.log("err", f"unknown command '{name}' for service '{sid}'")
        sd.pop("cmd", None)
        return False

    def next_state_stopped(self, sid: str, cd: dict[str, Any], sd: dict[str, Any], lrm_res: Any) -> None:
        if sd["node"] != cd["node"]:
            self.haenv.log("info", f"fixup service '{sid}' location ({sd['node']} => {cd['node']})")
            sd["node"] = cd["node"]
        if sd.get("cmd") and self._stopped_command(sid, sd):
            return
        if cd["state"] == "disabled":
            return
        if self.ns.node_is_offline_delayed(sd["node"]) and self.ns.get_node_state(sd["node"]) != "maintenance":
            self.change_service_state(sid, "fence")
            return
        if cd["state"] == "stopped":
            return
        if cd["state"] == "started":
            self.change_service_state(sid, "request_start", node=sd["node"])
            return
        self.haenv.log("err", f"service '{sid}' - unknown state '{cd['state']}' in service configuration")

    def next_state_request_start(self, sid: str, cd: dict[str, Any], sd: dict[str, Any], lrm_res: Any) -> None:
        current = sd["node"]
        if self.crs.get("rebalance_on_request_start"):
            selected = self._select(sid, cd, "best-score")
            text = "new" if selected != current else "current"
            self.haenv.log("info", f"service {sid}: re-balance selected {text} node {selected} for startup")
            if selected and selected != current:
                self.change_service_state(sid, "request_start_balance", node=current, target=selected)
                return
        self.change_service_state(sid, "started", node=current)

    def _started_command(self, sid: str, sd: dict[str, Any]) -> None:
        cmd = sd["cmd"]
        name = cmd[0]
        if name in ("migrate", "relocate"):
            target = cmd[1]
            if not self.ns.node_is_online(target):
                self.haenv.log("err", f"ignore service '{sid}' {name} request - node '{target}' not online")
            elif sd["node"] == target:
                self.haenv.log("info", f"ignore service '{sid}' {name} request - service already on node '{target}'")
            else:
                self.haenv.log("info", f"{name} service '{sid}' to node '{target}'")
                self.change_service_state(sid, name, node=sd["node"], target=target)
        elif name == "stop":
            timeout = cmd[1]
            if tools.as_int(timeout) == 0:
                self.haenv.log("info", f"request immediate service hard-stop for service '{sid}'")
            else:
                self.haenv.log("info", f"request graceful stop with timeout '{timeout}' for service '{sid}'")
            self.change_service_state(sid, "request_stop", timeout=timeout)
            self.haenv.update_service_config(sid, {"state": "stopped"})
        else:
            self.haenv.log("err", f"unknown command '{name}' for service '{sid}'")
        sd.pop("cmd", None)

    def _started_lrm_result(self, sid: str, cd: dict[str, Any], sd: dict[str, Any], lrm_res: Any) -> str | None:
        """Apply the LRM's start result; returns the node preference, or None if the service erred."""
        code = lrm_res["exit_code"]
        if code == tools.SUCCESS:
            if sd.get("failed_nodes") is not None:
                self.haenv.log("info", f"relocation policy successful for '{sid}' on node '{sd['node']}', "
                                       f"failed nodes: {', '.join(sd['failed_nodes'])}")
            sd.pop("failed_nodes", None)
            sd["running"] = 1
            return "none"
        if code in (tools.ERROR, tools.EWRONG_NODE):
            sd.pop("running", None)
        sd.setdefault("failed_nodes", []).append(sd["node"])
        if code not in (tools.ERROR, tools.EWRONG_NODE):
            self.haenv.log("err", f"service '{sid}' got unrecoverable error (exit code {code}))")
            self.change_service_state(sid, "error")
            return None
        if len(sd["failed_nodes"]) <= tools.as_int(cd.get("max_relocate"), 1):
            self.haenv.log("warning", f"starting service {sid} on node '{sd['node']}' failed, relocating service.")
            return "try-next"
        self.haenv.log("err", f"recovery policy for service {sid} failed, entering error state. Failed nodes: "
                              f"{', '.join(sd['failed_nodes'])}")
        self.change_service_state(sid, "error")
        return None

    def _move_started(self, sid: str, cd: dict[str, Any], sd: dict[str, Any], node: str) -> None:
        fallback = sd.get("maintenance_node")
        if fallback is not None:
            if node == fallback:
                self.haenv.log("info", f"moving service '{sid}' back to '{fallback}', node came back from "
                                       "maintenance.")
                sd.pop("maintenance_node", None)
            elif sd["node"] != fallback:
                self.haenv.log("info", f"dropping maintenance fallback node '{fallback}' for '{sid}'")
                sd.pop("maintenance_node", None)
        if cd["type"] == "vm":
            self.haenv.log("info", f"migrate service '{sid}' to node '{node}' (running)")
            self.change_service_state(sid, "migrate", node=sd["node"], target=node)
        else:
            self.haenv.log("info", f"relocate service '{sid}' to node '{node}'")
            self.change_service_state(sid, "relocate", node=sd["node"], target=node)

    def next_state_started(self, sid: str, cd: dict[str, Any], sd: dict[str, Any], lrm_res: Any) -> None:
        ns = self.ns
        if not ns.node_is_online(sd["node"]):
            if ns.node_is_offline_delayed(sd["node"]):
                self.change_service_state(sid, "fence")
            if ns.get_node_state(sd["node"]) != "maintenance":
                return
            sd["maintenance_node"] = sd["node"]
        if cd["state"] in ("disabled", "stopped"):
            self.change_service_state(sid, "request_stop")
            return
        if cd["state"] != "started":
            self.haenv.log("err", f"service '{sid}' - unknown state '{cd['state']}' in service configuration")
            return
        if sd.get("cmd"):
            self._started_command(sid, sd)
            return
        preference: str | None = "none"
        if lrm_res:
            preference = self._started_lrm_result(sid, cd, sd, lrm_res)
            if preference is None:
                return
        node = self._select(sid, cd, preference)
        if node and sd["node"] != node:
            self._move_started(sid, cd, sd, node)
            return
        if preference == "try-next" and node is None:
            self.haenv.log("warning", f"Start Error Recovery: Tried all available nodes for service '{sid}', retry "
                                      f"start on current node. Tried nodes: {', '.join(sd['failed_nodes'])}")
        stale_fallback = sd.get("maintenance_node") and sd["node"] == sd["maintenance_node"]
        if stale_fallback and ns.get_node_state(sd["node"]) == "online":
            self.haenv.log("info", f"service '{sid}': clearing stale maintenance node "
                                   f"'{sd['maintenance_node']}' setting (is current node)")
            sd.pop("maintenance_node", None)
        if lrm_res is not None:
            sd["uid"] = self.new_uid(sd["state"])

    def next_state_error(self, sid: str, cd: dict[str, Any], sd: dict[str, Any], lrm_res: Any) -> None:
        if cd["state"] == "disabled":
            sd.pop("failed_nodes", None)
            self.change_service_state(sid, "stopped")

    def next_state_recovery(self, sid: str, cd: dict[str, Any], sd: dict[str, Any], lrm_res: Any) -> None:
        fenced = sd["node"]
        node = self._select(sid, cd, "best-score")
        if node:
            if node == fenced:
                msg = f"recover service '{sid}' to previous failed and fenced node '{fenced}' again"
            else:
                msg = f"recover service '{sid}' from fenced node '{fenced}' to node '{node}'"
            self.haenv.log("info", msg)
            removed = self.haenv.resource_remove_locks(sid, REMOVABLE_LOCKS, fenced)
            if removed:
                self.haenv.log("warning", f"removed leftover lock '{removed}' from recovered service '{sid}' to "
                                          "allow its start.")
            self.haenv.steal_service(sid, sd["node"], node)
            cd["node"] = sd["node"] = node
            self.change_service_state(sid, "started" if cd["state"] == "started" else "request_stop", node=node)
            return
        self.haenv.log("err", f"recovering service '{sid}' from fenced node '{fenced}' failed, no recovery node "
                              "found")
        if cd["state"] == "disabled":
            sd.pop("failed_nodes", None)
            self.change_service_state(sid, "stopped")
