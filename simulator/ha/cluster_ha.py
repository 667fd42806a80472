"""The `ha` subsystem of the cluster simulator: CRM and LRM daemons on every node.

Models pve-ha-crm and pve-ha-lrm on each powered, clustered node (started at
boot, killed by power loss), one round every 10 virtual seconds in node
order, watchdog-mux (a watchdog not updated for 60 s resets the node: the
simulator powers it off), the `ha-manager` command, and `qm`/`pct` requests
on HA-managed guests being turned into HA requests (`Requesting HA start for
VM 100`), and a clean node shutdown or reboot (simulator/shutdown.py): systemd
stops pve-ha-lrm first (`received signal TERM`, then the LRM's shutdown request,
which picks freeze, stop or maintenance from the shutdown policy and keeps the
node going down until its services are frozen, stopped or migrated away), then
pve-ha-crm; neither restarts before the node boots again. The daemons' state
survives `Cluster.to_json()`/`from_json()`.
Leaves out: `systemctl stop pve-ha-lrm` by hand and the `watchdog closed` lines.
"""

from __future__ import annotations

import copy
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
UNITS = {"crm": "PVE Cluster HA Resource Manager Daemon", "lrm": "PVE Local HA Resource Manager Daemon"}


class ClusterHA:
    def __init__(self, state: dict[str, Any] | None = None) -> None:
        self.watchdogs: dict[str, dict[str, Any]] = {}
        self.wd_counter = 0
        self.crm: dict[str, CRM] = {}
        self.lrm: dict[str, LRM] = {}
        self.saved = state or {}
        self.cluster: Cluster | None = None
        self.stopped: dict[str, float] = {}  # node -> boot time whose daemons stopped for a clean shutdown
        if state:
            self.watchdogs = {k: dict(v) for k, v in state.get("watchdogs", {}).items()}
            self.wd_counter = int(state.get("wd_counter", 0))
            self.stopped = {k: float(v) for k, v in state.get("stopped", {}).items()}

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
            boot = cluster.nodes[node].boot_time
            if self.stopped.get(node) == boot:
                self._check_watchdogs(cluster, now)
                continue  # stopped for a shutdown; they start again with the next boot
            self.stopped.pop(node, None)
            if node not in self.crm and node not in self.lrm:
                if cluster.shutting_down(node):
                    self.stopped[node] = boot  # going down before they ever ran
                    continue
                self.crm[node] = CRM(ClusterEnv(self, cluster, node, "crm"))
                self.lrm[node] = LRM(ClusterEnv(self, cluster, node, "lrm"))
            for kind, daemons in (("crm", self.crm), ("lrm", self.lrm)):
                daemon = daemons.get(node)
                if daemon is None:
                    continue
                try:
                    running = daemon.do_one_iteration()
                except HAError as err:
                    cluster.log.add(now, node, "pve-ha", f"unexpected error - {err}")
                    continue
                if not running and daemon.shutdown_request:
                    self._daemon_exited(cluster, node, kind, now)
            self._check_watchdogs(cluster, now)

    def to_json(self) -> dict[str, Any]:
        daemons = {node: {"crm": _crm_state(self.crm[node]) if node in self.crm else None,
                          "lrm": _lrm_state(self.lrm[node]) if node in self.lrm else None}
                   for node in sorted(set(self.crm) | set(self.lrm))}
        return {"watchdogs": self.watchdogs, "wd_counter": self.wd_counter, "daemons": daemons,
                "stopped": dict(sorted(self.stopped.items()))}

    # clean node shutdown (simulator/shutdown.py) ------------------------------------
    def node_shutdown(self, cluster: Cluster, node: str, reboot: bool) -> None:
        """systemd stops pve-ha-lrm first: its shutdown request applies the shutdown policy."""
        lrm = self.lrm.get(node)
        if lrm is not None:
            self._stop_unit(cluster, node, "lrm")
            lrm.request_shutdown()
        elif node in self.crm:
            self._stop_unit(cluster, node, "crm")
            self.crm[node].request_shutdown()

    def node_shutdown_busy(self, cluster: Cluster, node: str) -> bool:
        return self._alive(cluster, node) and (node in self.crm or node in self.lrm)

    def _stop_unit(self, cluster: Cluster, node: str, kind: str) -> None:
        now = cluster.clock.now
        cluster.log.add(now, node, f"systemd:pve-ha-{kind}", f"Stopping pve-ha-{kind}.service - {UNITS[kind]}...")
        cluster.log.add(now, node, f"pve-ha-{kind}", "received signal TERM")

    def _daemon_exited(self, cluster: Cluster, node: str, kind: str, now: float) -> None:
        (self.crm if kind == "crm" else self.lrm).pop(node, None)
        cluster.log.add(now, node, f"pve-ha-{kind}", "server stopped")  # UNVERIFIED: PVE::Daemon's last line
        cluster.log.add(now, node, f"systemd:pve-ha-{kind}", f"Stopped pve-ha-{kind}.service - {UNITS[kind]}.")
        if kind == "lrm" and node in self.crm:
            self._stop_unit(cluster, node, "crm")  # pve-ha-lrm is ordered after pve-ha-crm: it stops first
            self.crm[node].request_shutdown()
        elif node not in self.crm and node not in self.lrm:
            self.stopped[node] = cluster.nodes[node].boot_time

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
        if saved.get("crm") is not None:
            crm = CRM(crm_env)
            _restore_crm(crm, saved["crm"])
            self.crm[node] = crm
        if saved.get("lrm") is not None:
            lrm = LRM(lrm_env)
            _restore_lrm(lrm, saved["lrm"])
            self.lrm[node] = lrm
        crm_env.muted = lrm_env.muted = False


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
            "shutdown_errors": lrm.shutdown_errors, "workers": workers,
            # what the LRM last read from the manager status: a shutdown request acts on it at once
            "service_status": copy.deepcopy(lrm.service_status), "node_status": lrm.node_status,
            "disarm_requested": lrm.disarm_requested}


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
    lrm.service_status = copy.deepcopy(saved.get("service_status", {}))
    lrm.node_status = saved.get("node_status", "unknown")
    lrm.disarm_requested = bool(saved.get("disarm_requested", False))
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
