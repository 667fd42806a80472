"""The cluster resource manager daemon (pve-ha-manager's CRM.pm).

Models the CRM states `wait_for_quorum`, `slave`, `master` and
`lost_manager_lock`: election through `ha_manager_lock` (renewed every
round, lost after 120 s), the CRM watchdog while master, going idle after
90 rounds without services, a voluntary lock release on shutdown, skipping
rounds while the cluster file system is inconsistent, and releasing the
watchdog once the HA stack is fully disarmed. Leaves out: nothing the
harness exercises.
"""

from __future__ import annotations

from typing import Any

from . import tools
from .manager import Manager, is_fully_disarmed

VALID_STATES = ("wait_for_quorum", "master", "lost_manager_lock", "slave")
MAX_ACTIVE_IDLE_ROUNDS = 90


class CRM:
    def __init__(self, haenv: Any) -> None:
        self.haenv = haenv
        self.manager: Manager | None = None
        self.status: dict[str, Any] = {"state": "startup"}
        self.cluster_state_update = False
        self.active_idle_rounds = 0
        self.shutdown_request = False
        self.ha_manager_wd: str | None = None
        self.set_local_status("wait_for_quorum")

    @property
    def state(self) -> str:
        return self.status["state"]

    def request_shutdown(self) -> None:
        if not self.shutdown_request:
            self.haenv.log("info", "server received shutdown request")
        self.shutdown_request = True

    def set_local_status(self, state: str) -> None:
        if state not in VALID_STATES:
            raise tools.HAError(f"invalid state '{state}'")
        old = self.status["state"]
        if old == state:
            return
        self.haenv.log("info", f"status change {old} => {state}")
        self.status = {"state": state, "state_change_time": self.haenv.get_time()}
        if state == "master":
            self.manager = Manager(self.haenv)
        elif self.manager is not None:
            self.manager.cleanup()
            self.manager = None

    def _disarmed(self) -> bool:
        return self.manager is not None and is_fully_disarmed(self.manager.ms)

    def get_protected_ha_manager_lock(self) -> bool:
        for _ in range(6):
            if self.haenv.get_ha_manager_lock():
                if self.ha_manager_wd:
                    self.haenv.watchdog_update(self.ha_manager_wd)
                elif not self._disarmed():
                    self.ha_manager_wd = self.haenv.watchdog_open()
                return True
            self.haenv.sleep(1)
        return False

    def give_up_watchdog_protection(self) -> None:
        if self.ha_manager_wd:
            self.haenv.watchdog_close(self.ha_manager_wd)
            self.ha_manager_wd = None

    def _manager_status_guarded(self) -> dict[str, Any] | None:
        try:
            return self.haenv.read_manager_status()
        except tools.HAError as err:
            self.haenv.log("err", f"could not read manager status: {err}")
            return None

    def is_cluster_and_ha_healthy(self, ms: dict[str, Any] | None) -> bool:
        if not self.haenv.quorate() or not self.cluster_state_update or ms is None:
            return False
        return not tools.count_fenced_services(ms.get("service_status"), self.haenv.nodename())

    def _read_service_config(self) -> dict[str, Any] | None:
        try:
            return self.haenv.read_service_config()
        except tools.HAError as err:
            self.haenv.log("err", f"could not read service config: {err}")
            return None

    def can_get_active(self, allow_no_service: bool = False) -> bool:
        ms = self._manager_status_guarded()
        if not self.is_cluster_and_ha_healthy(ms):
            return False
        assert ms is not None
        if allow_no_service:
            return True
        conf = self._read_service_config()
        if conf is None:
            return False
        if conf:
            return True
        master = ms.get("master_node")
        node_status = ms.get("node_status") or {}
        if not master or node_status.get(master) != "online" or master == self.haenv.nodename():
            requests = ms.get("node_request") or {}
            for node in node_status:
                if node_status[node] == "maintenance" and not (requests.get(node) or {}).get("maintenance"):
                    return True
            if self.haenv.any_pending_crm_command():
                return True
        return False

    def allowed_to_get_idle(self) -> bool:
        ms = self._manager_status_guarded()
        if not self.is_cluster_and_ha_healthy(ms):
            return False
        conf = self._read_service_config()
        assert ms is not None
        # services the master still tracks (e.g. just deleted) count as work left to do
        return conf is not None and not conf and not ms.get("service_status")

    def do_one_iteration(self) -> bool:
        self.haenv.loop_start_hook()
        self.cluster_state_update = self.haenv.cluster_state_update()
        res = self.work()
        self.haenv.loop_end_hook()
        return res

    def _state_transitions(self) -> None:
        state = self.state
        if state == "wait_for_quorum":
            if self.can_get_active():
                self.set_local_status("master" if self.get_protected_ha_manager_lock() else "slave")
        elif state == "slave":
            if self.can_get_active():
                if self.get_protected_ha_manager_lock():
                    self.set_local_status("master")
            else:
                self.set_local_status("wait_for_quorum")
        elif state == "lost_manager_lock":
            if self.can_get_active(True) and self.get_protected_ha_manager_lock():
                self.set_local_status("master")
        elif state == "master":
            if not self.get_protected_ha_manager_lock():
                self.set_local_status("lost_manager_lock")
            elif self.allowed_to_get_idle():
                self.active_idle_rounds += 1
                if self.active_idle_rounds > MAX_ACTIVE_IDLE_ROUNDS:
                    self.active_idle_rounds = 0
                    self.haenv.log("info", f"cluster had no service configured for {MAX_ACTIVE_IDLE_ROUNDS} rounds, "
                                           "going idle.")
                    self.haenv.release_ha_manager_lock()
                    self.give_up_watchdog_protection()
                    self.set_local_status("wait_for_quorum")
            elif self.active_idle_rounds:
                self.active_idle_rounds = 0

    def _work_master(self) -> bool:
        manager = self.manager
        assert manager is not None
        start = self.haenv.get_time()
        if self.shutdown_request:
            self.give_up_watchdog_protection()
            self.haenv.log("info", "voluntary release CRM lock")
            if not self.haenv.release_ha_manager_lock():
                self.haenv.log("notice", "CRM lock release failed, let the lock timeout")
            return False
        try:
            if not self.cluster_state_update:
                self.haenv.log("notice", "temporary inconsistent cluster state (cfs restart?), skip round")
            else:
                manager.manage()
                if self.ha_manager_wd and is_fully_disarmed(manager.ms):
                    self.haenv.log("info", "HA stack fully disarmed, releasing CRM watchdog")
                    self.give_up_watchdog_protection()
        except tools.HAError as err:
            self.haenv.log("err", f"got unexpected error - {err}")
        self.haenv.sleep_until(start + 10)
        return True

    def work(self) -> bool:
        self._state_transitions()
        state = self.state
        if state == "wait_for_quorum":
            if self.shutdown_request:
                return False
            self.haenv.sleep(5)
        elif state == "master":
            return self._work_master()
        elif state == "lost_manager_lock":
            self.give_up_watchdog_protection()
            if self.shutdown_request:
                return False
            self.set_local_status("wait_for_quorum")
        elif state == "slave" and self.shutdown_request:
            return False
        return True
