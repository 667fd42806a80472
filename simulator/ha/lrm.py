"""The local resource manager daemon (pve-ha-manager's LRM.pm).

Models the LRM states `wait_for_agent_lock`, `active`, `maintenance` and
`lost_agent_lock`; the agent lock and watchdog (a node whose LRM holds
active services and loses quorum stops feeding the watchdog and is reset);
modes active/restart/shutdown/maintenance/disarm and the shutdown policies
(conditional, freeze, failover, migrate); executing the CRM's requests
through the resource agents with the restart policy (`max_restart`); going
idle after 60 rounds without services. Leaves out: forked workers (agents
run inline, as in the regression harness).
"""

from __future__ import annotations

from typing import Any

from . import agents, tools

VALID_STATES = ("wait_for_agent_lock", "active", "maintenance", "lost_agent_lock")
MAX_ACTIVE_IDLE_ROUNDS = 60


class LRM:
    def __init__(self, haenv: Any) -> None:
        self.haenv = haenv
        self.status: dict[str, Any] = {"state": "startup"}
        self.workers: dict[str, dict[str, Any]] = {}
        self.results: dict[str, dict[str, Any]] = {}
        self.restart_tries: dict[str, int] = {}
        self.shutdown_request: int | None = None
        self.shutdown_errors = 0
        self.mode = "active"
        self.cluster_state_update = False
        self.active_idle_rounds = 0
        self.service_status: dict[str, Any] = {}
        self.node_status = "unknown"
        self.disarm_requested = False
        self.ha_agent_wd: str | None = None
        self.set_local_status("wait_for_agent_lock")

    @property
    def state(self) -> str:
        return self.status["state"]

    def request_shutdown(self) -> None:
        """Node shutdown/reboot or LRM restart: choose a mode from the shutdown policy."""
        if self.shutdown_request is not None:
            return
        haenv = self.haenv
        shutdown, reboot = haenv.is_node_shutdown()
        policy = haenv.get_ha_settings().get("shutdown_policy") or "conditional"
        if shutdown:
            haenv.log("info", f"got shutdown request with shutdown policy '{policy}'")
        maintenance = False
        if policy == "conditional":
            freeze_all = reboot
        elif policy in ("freeze", "failover"):
            freeze_all = policy == "freeze"
        elif policy == "migrate":
            freeze_all, maintenance = False, True
        else:
            haenv.log("err", f"unknown shutdown policy '{policy}', fall back to conditional")
            freeze_all = reboot
        if shutdown and not maintenance:
            node = haenv.nodename()
            for sid in sorted(self.service_status):
                if self.service_status[sid].get("node") == node:
                    self.queue_resource_command(sid, None, "request_stop")
        kind = "reboot" if reboot else "shutdown"
        if shutdown and maintenance:
            haenv.log("info", f"{kind} LRM, doing maintenance, removing this node from active list")
            self.mode = "maintenance"
        elif shutdown and freeze_all:
            haenv.log("info", f"{kind} LRM, stop and freeze all services")
            self.mode = "restart"
        elif shutdown:
            haenv.log("info", "shutdown LRM, stop all services")
            self.mode = "shutdown"
        else:
            haenv.log("info", "restart LRM, freeze all services")
            self.mode = "restart"
        self.shutdown_request = haenv.get_time()
        try:
            if not self.update_lrm_status():
                raise tools.HAError("not quorate?")
        except tools.HAError as err:
            haenv.log("err", f"unable to update lrm status file - {err}")

    def set_local_status(self, state: str) -> None:
        if state not in VALID_STATES:
            raise tools.HAError(f"invalid state '{state}'")
        old = self.status["state"]
        if old == state:
            return
        self.haenv.log("info", f"status change {old} => {state}")
        self.status = {"state": state, "state_change_time": self.haenv.get_time()}

    def update_lrm_status(self) -> bool:
        if not self.haenv.quorate():
            return False
        status = {"state": self.state, "mode": self.mode, "results": self.results,
                  "timestamp": self.haenv.get_time()}
        try:
            self.haenv.write_lrm_status(status)
        except tools.HAError as err:
            self.haenv.log("err", f"unable to write lrm status file - {err}")
            return False
        return True

    def update_service_status(self) -> bool:
        try:
            ms = self.haenv.read_manager_status()
        except tools.HAError as err:
            self.haenv.log("err", f"updating service status from manager failed: {err}")
            return False
        node = self.haenv.nodename()
        self.service_status = ms.get("service_status") or {}
        self.node_status = (ms.get("node_status") or {}).get(node, "unknown")
        self.disarm_requested = bool(ms.get("disarm"))
        if self.shutdown_request is None:
            request = (ms.get("node_request") or {}).get(node) or {}
            if request.get("maintenance"):
                self.mode = "maintenance"
            elif self.disarm_requested:
                self.mode = "disarm"
            elif self.mode in ("maintenance", "disarm"):
                self.mode = "active"
        return True

    def get_protected_ha_agent_lock(self) -> bool:
        for _ in range(6):
            if self.haenv.get_ha_agent_lock():
                if self.ha_agent_wd:
                    self.haenv.watchdog_update(self.ha_agent_wd)
                else:
                    self.ha_agent_wd = self.haenv.watchdog_open()
                return True
            self.haenv.sleep(1)
        return False

    def give_up_watchdog_protection(self) -> None:
        if self.ha_agent_wd:
            self.haenv.watchdog_close(self.ha_agent_wd)
            self.ha_agent_wd = None

    def has_configured_service_on_local_node(self) -> bool:
        node = self.haenv.nodename()
        return any(sd.get("node") == node for sd in self.service_status.values())

    def is_fence_requested(self) -> bool:
        node = self.haenv.nodename()
        return bool(tools.count_fenced_services(self.service_status, node)) or self.node_status == "fence"

    def active_service_count(self) -> int:
        """Services this node must care for, including ones migrating to it."""
        node = self.haenv.nodename()
        count = 0
        for sd in self.service_status.values():
            state = sd.get("state")
            if state is None or state in ("stopped", "freeze", "error"):
                continue
            moving_here = state in ("migrate", "relocate", "request_start_balance") and sd.get("target") == node
            if sd.get("node") == node or moving_here:
                count += 1
        return count

    def do_one_iteration(self) -> bool:
        self.haenv.loop_start_hook()
        self.cluster_state_update = self.haenv.cluster_state_update()
        res = self.work()
        self.haenv.loop_end_hook()
        return res

    # state machine ---------------------------------------------------------
    def _release_for_disarm(self) -> None:
        self.haenv.log("info", "HA disarm requested, releasing agent lock and watchdog")
        self.haenv.release_ha_agent_lock()
        self.give_up_watchdog_protection()
        self.set_local_status("wait_for_agent_lock")

    def _state_transitions(self, fence_request: bool) -> None:
        haenv, state = self.haenv, self.state
        if state == "wait_for_agent_lock":
            if (not fence_request and not self.disarm_requested and self.active_service_count()
                    and haenv.quorate() and self.get_protected_ha_agent_lock()):
                self.set_local_status("active")
        elif state == "lost_agent_lock":
            if not fence_request and haenv.quorate() and self.get_protected_ha_agent_lock():
                self.set_local_status("active")
        elif state == "active":
            if fence_request:
                haenv.log("err", "node need to be fenced - releasing agent_lock")
                self.set_local_status("lost_agent_lock")
            elif not self.get_protected_ha_agent_lock():
                self.set_local_status("lost_agent_lock")
            elif self.mode == "maintenance":
                self.set_local_status("maintenance")
            elif self.disarm_requested and self.shutdown_request is None:
                self._release_for_disarm()
            elif not self.has_configured_service_on_local_node() and not self.run_workers():
                self.active_idle_rounds += 1
                if self.active_idle_rounds > MAX_ACTIVE_IDLE_ROUNDS:
                    haenv.log("info", f"node had no service configured for {MAX_ACTIVE_IDLE_ROUNDS} rounds, "
                                      "going idle.")
                    haenv.release_ha_agent_lock()
                    self.give_up_watchdog_protection()
                    self.set_local_status("wait_for_agent_lock")
                    self.active_idle_rounds = 0
            elif self.active_idle_rounds:
                self.active_idle_rounds = 0
        elif state == "maintenance":
            if fence_request:
                haenv.log("err", "node need to be fenced during maintenance mode - releasing agent_lock")
                self.set_local_status("lost_agent_lock")
            elif not self.get_protected_ha_agent_lock():
                self.set_local_status("lost_agent_lock")
            elif self.mode != "maintenance":
                self.set_local_status("active")

    def work(self) -> bool:
        self.update_service_status()
        self._state_transitions(self.is_fence_requested())
        state = self.state
        if state == "wait_for_agent_lock":
            if self.shutdown_request is not None:
                return False
            self.update_lrm_status()
            self.haenv.sleep(5)
        elif state == "active":
            return self._work_active()
        elif state == "lost_agent_lock":
            return self._work_lost_lock()
        elif state == "maintenance":
            return self._work_maintenance()
        return True

    def _work_active(self) -> bool:
        haenv = self.haenv
        start = haenv.get_time()
        shutdown = False
        if self.update_service_status():
            if self.shutdown_request is not None:
                shutdown = self._shutdown_step()
            elif not self.cluster_state_update:
                haenv.log("notice", "temporary inconsistent cluster state (cfs restart?), skip round")
            else:
                self.manage_resources()
        self.update_lrm_status()
        if shutdown:
            return False
        haenv.sleep_until(start + 10)
        return True

    def _shutdown_step(self) -> bool:
        """One round of an LRM shutting down; True once it may exit."""
        if self.mode == "restart":
            workers = self.run_workers()
            if self.active_service_count() == 0 and workers == 0:
                self.give_up_watchdog_protection()
                self.haenv.release_ha_agent_lock()
                return True
            return False
        if self.run_workers() == 0:
            if self.shutdown_errors == 0:
                self.give_up_watchdog_protection()
                self.haenv.release_ha_agent_lock()
            return True
        return False

    def _work_lost_lock(self) -> bool:
        if self.shutdown_request is not None:
            count = self.active_service_count()
            if count > 0:
                self.haenv.log("err", f"get shutdown request in state 'lost_agent_lock' - detected {count} "
                                      "running services")
                if self.mode == "restart":
                    changed = self.status.get("state_change_time", 0)
                    if self.haenv.get_time() - changed > 90:
                        self.haenv.log("err", "lost agent lock and restart request for over 90 seconds - giving up!")
                        return False
            else:
                self.give_up_watchdog_protection()
                return False
        self.haenv.sleep(5)
        return True

    def _work_maintenance(self) -> bool:
        start = self.haenv.get_time()
        if not self.update_service_status():
            return True
        exit_lrm = False
        if self.shutdown_request is not None and self.active_service_count() == 0 and self.run_workers() == 0:
            self.give_up_watchdog_protection()
            exit_lrm = True
            self.haenv.release_ha_agent_lock()
        if not exit_lrm:
            self.manage_resources()
        self.update_lrm_status()
        if exit_lrm:
            return False
        self.haenv.sleep_until(start + 5)
        return True

    # resource commands ------------------------------------------------------
    def manage_resources(self) -> int:
        node = self.haenv.nodename()
        ss = self.service_status
        for sid in list(self.restart_tries):
            if sid not in ss:
                del self.restart_tries[sid]
        for sid in sorted(ss):
            sd = ss[sid]
            if not sd.get("node") or not sd.get("uid") or sd["node"] != node:
                continue
            state = sd.get("state")
            if state is None or state in ("recovery", "freeze", "request_start"):
                continue
            self.queue_resource_command(sid, sd["uid"], state, {"target": sd.get("target"),
                                                                "timeout": sd.get("timeout")})
        return self.run_workers()

    def queue_resource_command(self, sid: str, uid: str | None, state: str,
                               params: dict[str, Any] | None = None) -> None:
        if state != "stopped" and uid and uid in self.results:
            return
        if sid in self.workers:
            if self.workers[sid].get("pending") is not None:
                return  # already running (a migration task in progress)
            del self.workers[sid]
        self.workers[sid] = {"sid": sid, "uid": uid, "state": state, "start_tries": 0, "params": params or {}}

    def run_workers(self) -> int:
        """Run queued agents; returns how many are still queued or running.

        Agents run inline (as in the regression harness, which never forks) unless the
        environment hands back a pending task (a migration on the cluster simulator):
        such a worker stays "running" and is polled on later rounds, like a forked worker.
        """
        if not self.workers:
            return 0
        sc = self.haenv.read_service_config()
        order = sorted(self.workers, key=lambda s: (-self.workers[s]["start_tries"], s))
        finished = False
        for sid in order:
            w = self.workers[sid]
            if w.get("pending") is not None:
                res = w["pending"].poll()
                if res is None:
                    continue
            else:
                w["start_tries"] += 1
                res = agents.exec_resource_agent(self.haenv, sid, sc.get(sid), w["state"], w["params"])
                if not isinstance(res, int):
                    w["pending"] = res
                    continue
            if w["uid"] is not None:
                finished = self.resource_command_finished(sid, w["uid"], res, sc) or finished
            else:
                self.stop_command_finished(sid, res)
        if finished:
            # keep only results the CRM can still ask for (LRM.pm prunes after every result; same outcome)
            valid = {sd.get("uid") for sd in self.service_status.values() if sd.get("uid")}
            self.results = {k: v for k, v in self.results.items() if k in valid}
        return len(self.workers)

    def stop_command_finished(self, sid: str, exit_code: int) -> None:
        if self.workers.pop(sid, None) is not None and exit_code != 0:
            self.shutdown_errors += 1

    def resource_command_finished(self, sid: str, uid: str, exit_code: int, sc: dict[str, Any]) -> bool:
        """Record an agent's result for the CRM; False if the restart policy retries instead."""
        w = self.workers.pop(sid, None)
        if w is None:
            return False
        exit_code = self.handle_service_exitcode(sid, w["state"], exit_code, sc)
        if exit_code == tools.ETRY_AGAIN:
            return False
        self.results[uid] = {"sid": w["sid"], "state": w["state"], "exit_code": exit_code}
        return True

    def handle_service_exitcode(self, sid: str, cmd: str, exit_code: int, sc: dict[str, Any]) -> int:
        """Restart policy: retry a failed start `max_restart` times before telling the CRM."""
        cd = sc.get(sid)
        max_restart = tools.as_int(cd.get("max_restart"), 1) if cd else 0
        if cmd != "started":
            return exit_code
        if exit_code == tools.SUCCESS:
            self.restart_tries[sid] = 0
            return exit_code
        if exit_code == tools.ERROR:
            tries = self.restart_tries.setdefault(sid, 0)
            if tries >= max_restart:
                self.haenv.log("err", f"unable to start service {sid} on local node after {tries} retries")
                self.restart_tries[sid] = 0
                return tools.ERROR
            self.restart_tries[sid] = tries + 1
            self.haenv.log("warning", f"restart policy: retry number {tries + 1} for service '{sid}'")
            return tools.ETRY_AGAIN
        return exit_code

