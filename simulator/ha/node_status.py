"""Node states as the CRM master sees them (pve-ha-manager's NodeStatus.pm).

Models `online`, `maintenance`, `unknown`, `fence` and `gone`, the 60 s fence
delay (a node must be offline that long before its services are fenced),
fencing by taking the node's agent lock, and deleting gone nodes after an
hour. Leaves out: the notification template data (only the subject is sent).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .env import HAEnv

FENCE_DELAY = 60
VALID_NODE_STATES = ("online", "maintenance", "unknown", "fence", "gone")


class NodeStatus:
    def __init__(self, haenv: HAEnv, status: dict[str, str]) -> None:
        self.haenv = haenv
        self.status = status
        self.last_online: dict[str, int] = {}

    def get_node_state(self, node: str) -> str:
        return self.status.get(node, "unknown")

    def node_is_online(self, node: str) -> bool:
        return self.get_node_state(node) == "online"

    def node_is_operational(self, node: str) -> bool:
        return self.node_is_online(node) or self.get_node_state(node) == "maintenance"

    def node_is_offline_delayed(self, node: str, delay: int = FENCE_DELAY) -> bool:
        if self.get_node_state(node) == "online":
            return False
        now = self.haenv.get_time()
        last = self.last_online.get(node)
        if last is None:
            self.last_online[node] = now
            return False
        return now - last >= delay

    def list_nodes(self) -> list[str]:
        return sorted(self.status)

    def list_online_nodes(self) -> list[str]:
        return [n for n in sorted(self.status) if self.status[n] == "online"]

    def check_for_changed_nodelist(self, node_info: dict[str, dict[str, int]]) -> bool:
        return set(node_info) != set(self.status) or any(not self.status[n] for n in node_info)

    def _set_state(self, node: str, state: str) -> None:
        last = self.get_node_state(node)
        if state == last:
            return
        self.status[node] = state
        self.haenv.log("info", f"node '{node}': state changed from '{last}' => '{state}'")

    def _delete_node(self, node: str) -> None:
        if self.get_node_state(node) != "gone":
            return
        self.last_online.pop(node, None)
        self.status.pop(node, None)
        self.haenv.log("notice", f"deleting gone node '{node}', not a cluster member anymore.")

    def update(self, node_info: dict[str, dict[str, int]], lrm_modes: dict[str, str]) -> None:
        now = self.haenv.get_time()
        for node in sorted(node_info):
            if not node_info[node].get("online"):
                continue
            self.last_online[node] = now
            state = self.get_node_state(node)
            mode = lrm_modes.get(node, "unkown")
            if state == "online" and mode == "maintenance":
                self._set_state(node, "maintenance")
            elif state in ("unknown", "gone") or (state == "maintenance" and mode != "maintenance"):
                self._set_state(node, "online")
        for node in sorted(self.status):
            info = node_info.get(node)
            if info and info.get("online"):
                continue
            state = self.get_node_state(node)
            if state == "online":
                self._set_state(node, "unknown")
            elif state == "maintenance":
                if lrm_modes.get(node, "unkown") != "maintenance":
                    self._set_state(node, "unknown")
            elif state == "unknown":
                if info is None:
                    self._set_state(node, "gone")
            elif state == "gone" and self.node_is_offline_delayed(node, 3600):
                self._delete_node(node)

    def fence_node(self, node: str) -> bool:
        """Start (or continue) fencing; True once the node's agent lock is ours."""
        if self.get_node_state(node) != "fence":
            self._set_state(node, "fence")
            self.haenv.send_notification("FENCE", f"Try to fence node '{node}'", node)
        success = self.haenv.get_ha_agent_lock(node)
        if success:
            msg = f"fencing: acknowledged - got agent lock for node '{node}'"
            self.haenv.log("info", msg)
            self._set_state(node, "unknown")
            self.haenv.send_notification("SUCCEED", msg, node)
        return success
