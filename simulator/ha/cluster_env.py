"""The HA stack running on the cluster simulator (pve-ha-manager's Env/PVE2.pm).

`install(cluster)` registers the `ha` subsystem (every 10 virtual seconds,
each powered, clustered node runs one CRM and one LRM round in node order),
the `ha-manager` command and the guest request hook (`qm start/stop/migrate`
on an HA-managed guest is handed to HA). `ClusterEnv` gives the state
machines the cluster's world: quorum and membership from the corosync model,
locks from pmxcfs (`/etc/pve/priv/lock`, 120 s), the HA files in /etc/pve
(`ha/manager_status`, `ha/resources.cfg`, `ha/groups.cfg`, `ha/rules.cfg`,
`ha/crm_commands`, `nodes/<node>/lrm_status`), the real guests (start, stop,
migrate, move config on recovery), and watchdogs: a watchdog not updated for
60 s powers its node off (the simulated reset).

HA migrations run as the cluster's real migration tasks (`MigrationWait`);
`is_node_shutdown()` reports a clean shutdown or reboot the cluster has begun
(simulator/shutdown.py), so the LRM picks its shutdown policy from
datacenter.cfg (`ha: shutdown_policy=...`). Leaves out: hardware fencing.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from . import config
from .env import HAEnv
from .tools import HAError

if TYPE_CHECKING:
    from simulator.cluster import Cluster

    from .cluster_ha import ClusterHA

WATCHDOG_TIMEOUT = 60
ROUND = 10.0
MANAGER_STATUS = "ha/manager_status"
RESOURCES = "ha/resources.cfg"
GROUPS = "ha/groups.cfg"
RULES = "ha/rules.cfg"
CRM_COMMANDS = "ha/crm_commands"
NODE_VERSION = "9.1.2"  # the simulated cluster is PVE 9.1 (groups migrate to rules)


def _pve_error() -> type[Exception]:
    from simulator.errors import PveError

    return PveError


class ClusterEnv(HAEnv):
    """One daemon's (or the CLI's) view of the cluster, from node `node`."""

    def __init__(self, ha: ClusterHA, cluster: Cluster, node: str, role: str) -> None:
        self.ha, self.cluster, self.node, self.role = ha, cluster, node, role
        self.muted = False  # while a restored daemon is rebuilt, its constructor must not log

    def nodename(self) -> str:
        return self.node

    def get_time(self) -> int:
        return int(self.cluster.clock.now)

    def log(self, level: str, msg: str) -> None:
        if self.role != "cli" and level != "debug" and not self.muted:
            self.cluster.log.add(self.cluster.clock.now, self.node, f"pve-ha-{self.role}", msg.rstrip("\n"))

    def sleep(self, seconds: int) -> None:
        pass

    def sleep_until(self, end_time: int) -> None:
        pass

    def format_time(self, timestamp: int) -> str:
        return time.asctime(time.gmtime(self.cluster.clock.wall(timestamp)))

    # membership, locks, watchdog ---------------------------------------------
    def quorate(self) -> bool:
        return self.cluster.is_clustered(self.node) and self.cluster.is_quorate(self.node)

    def cluster_nodes(self) -> list[str]:
        conf = self.cluster.conf_of(self.node)
        return sorted(conf.nodes) if conf else [self.node]

    def get_node_info(self) -> dict[str, dict[str, int]]:
        quorate = self.quorate()
        members = set(self.cluster.partition_of(self.node)) if quorate else set()
        return {n: {"online": 1 if n in members and self.cluster.nodes[n].power else 0} for n in self.cluster_nodes()}

    def cluster_state_update(self) -> bool:
        return bool(self.cluster.nodes[self.node].services.get("pve-cluster"))

    def _lock(self, name: str) -> bool:
        if not self.quorate():
            return False
        before = self.cluster.cfs_lock_holder(name, self.node)
        ok = self.cluster.cfs_lock_acquire(self.node, name)
        if ok and before != self.node:
            self.log("info", f"got lock '{name}'")
        return ok

    def get_ha_manager_lock(self) -> bool:
        return self._lock("ha_manager_lock")

    def release_ha_manager_lock(self) -> bool:
        return self.cluster.cfs_lock_release(self.node, "ha_manager_lock")

    def get_ha_agent_lock(self, node: str | None = None) -> bool:
        return self._lock(f"ha_agent_{node or self.node}_lock")

    def release_ha_agent_lock(self) -> bool:
        return self.cluster.cfs_lock_release(self.node, f"ha_agent_{self.node}_lock")

    def watchdog_open(self) -> str:
        return self.ha.watchdog_open(self.node, self.get_time())

    def watchdog_update(self, handle: str) -> None:
        self.ha.watchdogs[handle]["update_time"] = self.get_time()

    def watchdog_close(self, handle: str) -> None:
        self.ha.watchdogs.pop(handle, None)

    def get_node_version(self, node: str) -> str | None:
        return NODE_VERSION

    def is_node_shutdown(self) -> tuple[bool, bool]:
        kind = self.cluster.shutting_down(self.node)
        return (kind is not None, kind == "reboot")

    # files in /etc/pve ---------------------------------------------------------
    def _read(self, path: str) -> str:
        try:
            return self.cluster.cfs_read(self.node, path) or ""
        except _pve_error() as err:
            raise HAError(str(err)) from err

    def _write(self, path: str, content: str) -> None:
        try:
            self.cluster.cfs_write(self.node, path, content)
        except _pve_error() as err:
            raise HAError(str(err)) from err

    def read_manager_status(self) -> dict[str, Any]:
        return json.loads(self._read(MANAGER_STATUS) or "{}")

    def write_manager_status(self, status: dict[str, Any]) -> None:
        self._write(MANAGER_STATUS, json.dumps(status, sort_keys=True))

    def read_lrm_status(self, node: str | None = None) -> dict[str, Any]:
        return json.loads(self._read(f"nodes/{node or self.node}/lrm_status") or "{}")

    def write_lrm_status(self, status: dict[str, Any]) -> None:
        self._write(f"nodes/{self.node}/lrm_status", json.dumps(status, sort_keys=True))

    def read_resources(self) -> dict[str, dict[str, Any]]:
        return config.parse_resources("/etc/pve/ha/resources.cfg", self._read(RESOURCES))

    def write_resources(self, resources: dict[str, dict[str, Any]]) -> None:
        self._write(RESOURCES, config.format_resources(resources))

    def read_service_config(self) -> dict[str, dict[str, Any]]:
        result = {}
        for sid, cd in self.read_resources().items():
            node = self.cluster.guest_location(int(sid.split(":")[1]), self.node)
            if node is not None:
                result[sid] = config.service_defaults(sid, {**cd, "node": node})
        return result

    def update_service_config(self, sid: str, params: dict[str, Any], delete: str | None = None) -> None:
        resources = self.read_resources()
        if sid not in resources:
            raise HAError(f"no such resource '{sid}'")
        resources[sid].update(params)
        if delete:
            resources[sid].pop(delete, None)
        self.write_resources(resources)

    def read_group_config(self) -> dict[str, Any]:
        return config.parse_groups("/etc/pve/ha/groups.cfg", self._read(GROUPS))

    def write_group_config(self, groups: dict[str, Any]) -> None:
        self._write(GROUPS, config.format_groups(groups))

    def delete_group_config(self) -> None:
        self._write(GROUPS, "")

    def ha_groups_migrated(self) -> bool:
        return not self.read_group_config()["ids"]

    def read_rules_config(self) -> dict[str, Any]:
        return config.parse_rules("/etc/pve/ha/rules.cfg", self._read(RULES))

    def write_rules_config(self, rules: dict[str, Any]) -> None:
        self._write(RULES, config.format_rules(rules))

    def read_crm_commands(self) -> str:
        data = self._read(CRM_COMMANDS)
        if data:
            self._write(CRM_COMMANDS, "")
        return data

    def any_pending_crm_command(self) -> bool:
        return bool(self._read(CRM_COMMANDS))

    def queue_crm_commands(self, cmd: str) -> None:
        self._write(CRM_COMMANDS, self._read(CRM_COMMANDS) + cmd.strip() + "\n")

    def get_datacenter_settings(self) -> dict[str, Any]:
        """datacenter.cfg lines like `ha: shutdown_policy=migrate` and `crs: ha=static`."""
        settings: dict[str, Any] = {}
        for line in self._read("datacenter.cfg").splitlines():
            key, _, value = line.partition(":")
            if key.strip() in ("ha", "crs"):
                pairs = [p.split("=", 1) for p in value.strip().split(",") if "=" in p]
                settings[key.strip()] = {k.strip(): v.strip() for k, v in pairs}
        return settings

    def get_static_node_stats(self) -> dict[str, dict[str, float]]:
        return {n: {"maxcpu": node.cpus, "maxmem": node.memory_mib * 1024 * 1024}
                for n, node in self.cluster.nodes.items()}

    # guests ----------------------------------------------------------------------
    def guest_type(self, vmid: str) -> str | None:
        guest = self.cluster.find_guest(int(vmid), self.node) if vmid.isdigit() else None
        if guest is None:
            return None
        return "vm" if guest.type == "qemu" else "ct"

    def steal_service(self, sid: str, current_node: str, new_node: str) -> None:
        try:
            self.cluster.move_guest_config(self.node, int(sid.split(":")[1]), new_node)
        except _pve_error() as err:
            raise HAError(str(err)) from err

    def resource_check_running(self, sid: str) -> bool:
        return self.cluster.nodes[self.node].is_running(int(sid.split(":")[1]))

    def _guest_call(self, method: str, sid: str, **kwargs: Any) -> bool:
        kind, vmid = sid.split(":")
        try:
            getattr(self.cluster, method)(self.node, int(vmid), "qemu" if kind == "vm" else "lxc", **kwargs)
        except _pve_error() as err:
            self.log("err", f"{sid}: {err}")
            return False
        return True

    def resource_start(self, sid: str) -> None:
        self._guest_call("start_guest", sid)

    def resource_shutdown(self, sid: str, timeout: int | None) -> None:
        self._guest_call("stop_guest", sid, shutdown=timeout is None or int(timeout) > 0)

    def resource_migrate(self, sid: str, target: str, online: bool) -> Any:
        """Start `qm migrate`/`pct migrate` as a task; the LRM polls the returned MigrationWait.

        Relocation (online=False) shuts a running guest down first, as the HA resource agents do.
        """
        kind, vmid = sid.split(":")
        guest_type = "qemu" if kind == "vm" else "lxc"
        running = self.resource_check_running(sid)
        cmd = "migrate" if online else "relocate"
        self.log("info", f"service {sid} - start {cmd} to node '{target}'")
        if not online and running:
            self.log("info", f"stopping service {sid} (relocate)")
            if not self._guest_call("stop_guest", sid, shutdown=True):
                return False
            running = False
        try:
            task = self.cluster.migrate_guest(self.node, int(vmid), guest_type, target,
                                              online=online and running and guest_type == "qemu",
                                              restart=guest_type == "lxc" and running)
        except _pve_error() as err:
            self.log("err", f"service {sid} - {cmd} to node '{target}' refused: {err}")
            return False
        return MigrationWait(self, sid, target, cmd, task.upid)

    def resource_remove_locks(self, sid: str, locks: list[str], node: str) -> str | None:
        guest = self.cluster.find_guest(int(sid.split(":")[1]), self.node)
        lock = guest.config.get("lock") if guest else None
        if lock in locks:
            self.cluster.set_guest_lock(self.node, guest.vmid, None)
            return lock
        return None

    def resource_static_stats(self, sid: str) -> dict[str, float]:
        guest = self.cluster.find_guest(int(sid.split(":")[1]), self.node)
        if guest is None:
            return {}
        return {"maxcpu": float(guest.config.get("cores", 1)), "maxmem": guest.memory_mib * 1024 * 1024}


def install(cluster: Cluster) -> ClusterHA:
    """Run the HA stack on `cluster`: the `ha` subsystem, `ha-manager`, the guest request hook."""
    from .cluster_ha import install as _install

    return _install(cluster)


class MigrationWait:
    """A migration task the LRM waits for, like a forked worker (`poll` -> exit code or None)."""

    def __init__(self, env: ClusterEnv, sid: str, target: str, cmd: str, upid: str) -> None:
        self.env, self.sid, self.target, self.cmd, self.upid = env, sid, target, cmd, upid

    def poll(self) -> int | None:
        from .tools import ERROR, SUCCESS

        task = self.env.cluster.find_task(self.upid)
        if task is not None and task.running:
            return None
        if task is not None and task.status == "OK":
            self.env.log("info", f"service {self.sid} - end {self.cmd} to node '{self.target}'")
            return SUCCESS
        reason = task.status if task is not None else "task vanished"
        self.env.log("err", f"service {self.sid} not moved (migration error: {reason})")
        return ERROR

    def to_json(self) -> dict[str, str]:
        return {"sid": self.sid, "target": self.target, "cmd": self.cmd, "upid": self.upid}
