"""The `ha` subsystem of the cluster simulator: CRM and LRM daemons on every node.

Models pve-ha-crm and pve-ha-lrm on each powered, clustered node (started at
boot, killed by power loss), one round every 10 virtual seconds in node
order, watchdog-mux (a watchdog not updated for 60 s resets the node: the
simulator powers it off), the `ha-manager` command, and `qm`/`pct` requests
on HA-managed guests being turned into HA requests (`Requesting HA start for
VM 100`). The daemons' state survives `Cluster.to_json()`/`from_json()`.
Leaves out: node shutdown and reboot (the cluster has no such command yet).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .cli import run_ha_manager
from .cluster_env import ROUND, WATCHDOG_TIMEOUT, ClusterEnv, MigrationWait
from .crm import CRM
from .lrm import LRM
from .tools import HAError

if TYPE_CHECKING:
    from simulator.cluster import Cluster
    from simulator.subsystems import GuestRequest

NAME = "ha"


class ClusterHA:
    def __init__(self, state: dict[str, Any] | None = None) -> None:
        self.watchdogs: dict[str, dict[str, Any]] = {}
        self.wd_counter = 0
        self.crm: dict[str, CRM] = {}
        self.lrm: dict[str, LRM] = {}
        self.saved = state or {}
        self.cluster: Cluster | None = None
        if state:
            self.watchdogs = {k: dict(v) for k, v in state.get("watchdogs", {}).items()}
            self.wd_counter = int(state.get("wd_counter", 0))

    # subsystem protocol -----------------------------------------------------------
    def attach(self, cluster: Cluster) -> None:
        self.cluster = cluster
        cluster.register_command("ha-manager", self.command)
        cluster.guest_request_hook = self.guest_request
        for node, saved in sorted(self.saved.get("daemons", {}).items()):
            if node in cluster.nodes:
                self._restore(cluster, node, saved)
        self.saved = {}

    def tick(self, cluster: Cluster, now: float) -> None:
        self.cluster = cluster
        for node in sorted(cluster.nodes):
            if not self._alive(cluster, node):
                self._kill(node)
                continue
            if node not in self.crm:
                self.crm[node] = CRM(ClusterEnv(self, cluster, node, "crm"))
                self.lrm[node] = LRM(ClusterEnv(self, cluster, node, "lrm"))
            for daemon in (self.crm[node], self.lrm[node]):
                try:
                    daemon.do_one_iteration()
                except HAError as err:
                    cluster.log.add(now, node, "pve-ha", f"unexpected error - {err}")
            self._check_watchdogs(cluster, now)

    def to_json(self) -> dict[str, Any]:
        daemons = {node: {"crm": _crm_state(self.crm[node]), "lrm": _lrm_state(self.lrm[node])}
                   for node in sorted(self.crm)}
        return {"watchdogs": self.watchdogs, "wd_counter": self.wd_counter, "daemons": daemons}

    # watchdog-mux -----------------------------------------------------------------
    def watchdog_open(self, node: str, now: int) -> str:
        self.wd_counter += 1
        handle = f"WD:{node}:{self.wd_counter}"
        self.watchdogs[handle] = {"node": node, "update_time": now}
        return handle

    def _check_watchdogs(self, cluster: Cluster, now: float) -> None:
        for handle, wd in sorted(self.watchdogs.items()):
            if now - wd["update_time"] > WATCHDOG_TIMEOUT and handle in self.watchdogs:
                node = wd["node"]
                cluster.log.add(now, node, "watchdog-mux", "client watchdog expired - disable watchdog updates")
                cluster.log.add(now, node, "kernel", "watchdog: watchdog0: watchdog did not stop! (node reset)")
                cluster.power(node, False)
                self._kill(node)

    def _alive(self, cluster: Cluster, node: str) -> bool:
        n = cluster.nodes[node]
        return bool(n.power and cluster.is_clustered(node))

    def _kill(self, node: str) -> None:
        self.crm.pop(node, None)
        self.lrm.pop(node, None)
        for handle in [h for h, wd in self.watchdogs.items() if wd["node"] == node]:
            del self.watchdogs[handle]

    # shell integration --------------------------------------------------------------
    def command(self, ctx: Any, argv: list[str]) -> Any:
        from simulator.cluster import CommandResult

        result = run_ha_manager(ClusterEnv(self, ctx.cluster, ctx.node, "cli"), argv)
        return CommandResult(result.output, result.code)

    def guest_request(self, cluster: Cluster, request: GuestRequest) -> str | None:
        """HA-managed guests: `qm start/stop/shutdown/migrate` become HA requests."""
        env = ClusterEnv(self, cluster, request.node, "cli")
        sid = f"{'vm' if request.guest_type == 'qemu' else 'ct'}:{request.vmid}"
        try:
            resources = env.read_resources()
        except HAError:
            return None
        if sid not in resources or resources[sid].get("state") == "ignored":
            return None
        kind = "VM" if request.guest_type == "qemu" else "CT"
        try:
            if request.action == "migrate" and request.target:
                env.queue_crm_commands(f"migrate {sid} {request.target}")
                return f"Requesting HA migration for {kind} {request.vmid} to node {request.target}"
            state = "started" if request.action == "start" else "stopped"
            env.update_service_config(sid, {"state": state})
        except HAError as err:
            from simulator.errors import PveError

            raise PveError(str(err)) from err
        return f"Requesting HA {'start' if state == 'started' else 'stop'} for {kind} {request.vmid}"

    def _restore(self, cluster: Cluster, node: str, saved: dict[str, Any]) -> None:
        crm_env, lrm_env = ClusterEnv(self, cluster, node, "crm"), ClusterEnv(self, cluster, node, "lrm")
        crm_env.muted = lrm_env.muted = True
        crm, lrm = CRM(crm_env), LRM(lrm_env)
        _restore_crm(crm, saved["crm"])
        _restore_lrm(lrm, saved["lrm"])
        crm_env.muted = lrm_env.muted = False
        self.crm[node], self.lrm[node] = crm, lrm


def _crm_state(crm: CRM) -> dict[str, Any]:
    state = {"state": crm.state, "wd": crm.ha_manager_wd, "idle": crm.active_idle_rounds,
             "shutdown": crm.shutdown_request}
    if crm.manager is not None:
        # the fence delay counts from these; without them a restored master would restart the 60 s
        state["last_online"] = crm.manager.ns.last_online
        state["group_migration_round"] = crm.manager.group_migration_round
    return state


def _lrm_state(lrm: LRM) -> dict[str, Any]:
    workers = {sid: {**{k: v for k, v in w.items() if k != "pending"},
                     "pending": w["pending"].to_json() if w.get("pending") is not None else None}
               for sid, w in lrm.workers.items()}
    return {"state": lrm.state, "wd": lrm.ha_agent_wd, "idle": lrm.active_idle_rounds, "mode": lrm.mode,
            "results": lrm.results, "restart_tries": lrm.restart_tries, "shutdown": lrm.shutdown_request,
            "shutdown_errors": lrm.shutdown_errors, "workers": workers}


def _restore_crm(crm: CRM, saved: dict[str, Any]) -> None:
    crm.status = {"state": saved["state"]}
    crm.ha_manager_wd, crm.active_idle_rounds = saved["wd"], saved["idle"]
    crm.shutdown_request = saved["shutdown"]
    if saved["state"] == "master":
        from .manager import Manager

        crm.manager = Manager(crm.haenv)
        crm.manager.ns.last_online.update(saved.get("last_online", {}))
        crm.manager.group_migration_round = saved.get("group_migration_round", 3)


def _restore_lrm(lrm: LRM, saved: dict[str, Any]) -> None:
    lrm.status = {"state": saved["state"]}
    lrm.ha_agent_wd, lrm.active_idle_rounds, lrm.mode = saved["wd"], saved["idle"], saved["mode"]
    lrm.results, lrm.restart_tries = dict(saved["results"]), dict(saved["restart_tries"])
    lrm.shutdown_request, lrm.shutdown_errors = saved["shutdown"], saved["shutdown_errors"]
    for sid, w in saved.get("workers", {}).items():
        pending = w.get("pending")
        lrm.workers[sid] = {**w, "pending": MigrationWait(lrm.haenv, **pending) if pending else None}


def install(cluster: Cluster) -> ClusterHA:
    """Run the HA stack on `cluster` (idempotent)."""
    existing = cluster.subsystems.get(NAME)
    if isinstance(existing, ClusterHA):
        return existing
    ha = ClusterHA()
    cluster.register_subsystem(NAME, ha, interval=ROUND)
    return ha


def _register_type() -> None:
    from simulator.subsystems import register_subsystem_type

    register_subsystem_type(NAME, ClusterHA)


_register_type()
