"""The HA environment of the regression harness (pve-ha-manager's Sim::Env/TestEnv).

One `TestEnv` per daemon (node1/crm, node1/lrm, ...) with its own clock: each
daemon iteration starts at the harness time and costs one simulated second.
Locks expire after 120 s, quorum and membership come from the simulated
power/network switches, and the cluster file system can be made to fail per
node (`cfs <node> rw fail`). Resource agents act on the simulated service
status (`vm`, `ct` and failure-injecting `fa` resources, as Sim/Resources).
Leaves out: hardware fencing agents.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from .env import HAEnv
from .tools import HAError

if TYPE_CHECKING:
    from .testhw import Hardware

LOCK_TIMEOUT = 120
CFS_ERROR = "cfs connection refused - not mounted?"


class TestEnv(HAEnv):
    __test__ = False  # not a pytest class

    def __init__(self, nodename: str, hardware: Hardware, log_id: str) -> None:
        self.node = nodename
        self.hw = hardware
        self.log_id = log_id
        self.cur_time = 0
        self.loop_delay = 0

    def nodename(self) -> str:
        return self.node

    def get_time(self) -> int:
        return self.cur_time

    def log(self, level: str, msg: str) -> None:
        if level == "debug":
            return
        self.hw.emit(level[:4], self.cur_time, f"{self.node}/{self.log_id}", msg)

    def sleep(self, seconds: int) -> None:
        self.loop_delay += seconds

    def sleep_until(self, end_time: int) -> None:
        now = self.cur_time + self.loop_delay
        if now < end_time:
            self.loop_delay += end_time - now

    def loop_start_hook(self) -> None:
        self.loop_delay = 0
        self.cur_time = self.hw.cur_time

    def loop_end_hook(self) -> None:
        self.loop_delay = 0
        self.cur_time += self.hw.iteration_cost

    def _assert_cfs(self) -> None:
        if not self.hw.cfs_state(self.node, "rw"):
            raise HAError(CFS_ERROR)

    # membership, locks, watchdog --------------------------------------------
    def quorate(self) -> bool:
        info, quorate = self.hw.node_info()
        return bool(info[self.node]["online"]) and quorate

    def get_node_info(self) -> dict[str, dict[str, int]]:
        return self.hw.node_info()[0]

    def cluster_state_update(self) -> bool:
        return self.hw.cfs_state(self.node, "update")

    def _lock(self, name: str, unlock: bool = False) -> bool:
        self.loop_delay += 0 if unlock else 1
        if not self.quorate():
            return False
        return self.hw.cluster_lock(name, self.node, self.cur_time, unlock, self.log)

    def get_ha_manager_lock(self) -> bool:
        return self._lock("ha_manager_lock")

    def release_ha_manager_lock(self) -> bool:
        return self._lock("ha_manager_lock", unlock=True)

    def get_ha_agent_lock(self, node: str | None = None) -> bool:
        return self._lock(f"ha_agent_{node or self.node}_lock")

    def release_ha_agent_lock(self) -> bool:
        return self._lock(f"ha_agent_{self.node}_lock", unlock=True)

    def watchdog_open(self) -> str:
        return self.hw.watchdog_open(self.node)

    def watchdog_update(self, handle: str) -> None:
        self.hw.watchdog_update(handle)

    def watchdog_close(self, handle: str) -> None:
        self.hw.watchdog_close(handle)

    def is_node_shutdown(self) -> tuple[bool, bool]:
        target = self.hw.status[self.node].get("shutdown")
        return (target in ("shutdown", "reboot"), target == "reboot")

    def get_node_version(self, node: str) -> str | None:
        return self.hw.status.get(node, {}).get("pve-manager-version")

    # shared state ---------------------------------------------------------
    def read_manager_status(self) -> dict[str, Any]:
        self._assert_cfs()
        return json.loads(self.hw.manager_status)

    def write_manager_status(self, status: dict[str, Any]) -> None:
        self._assert_cfs()
        self.hw.manager_status = json.dumps(status)

    def read_lrm_status(self, node: str | None = None) -> dict[str, Any]:
        self._assert_cfs()
        return json.loads(self.hw.lrm_status.get(node or self.node, "{}"))

    def write_lrm_status(self, status: dict[str, Any]) -> None:
        self._assert_cfs()
        self.hw.lrm_status[self.node] = json.dumps(status)

    def read_service_config(self) -> dict[str, dict[str, Any]]:
        self._assert_cfs()
        return self.hw.read_service_config()

    def update_service_config(self, sid: str, params: dict[str, Any], delete: str | None = None) -> None:
        self.hw.update_service_config(sid, params, delete)

    def read_group_config(self) -> dict[str, Any]:
        self._assert_cfs()
        return self.hw.read_group_config()

    def delete_group_config(self) -> None:
        self.hw.groups_raw = None

    def read_rules_config(self) -> dict[str, Any]:
        return self.hw.read_rules_config()

    def write_rules_config(self, rules: dict[str, Any]) -> None:
        self.hw.write_rules_config(rules)

    def read_crm_commands(self) -> str:
        self._assert_cfs()
        data, self.hw.crm_commands = self.hw.crm_commands, ""
        return data

    def any_pending_crm_command(self) -> bool:
        return bool(self.hw.crm_commands)

    def queue_crm_commands(self, cmd: str) -> None:
        self._assert_cfs()
        self.hw.crm_commands += cmd.strip() + "\n"

    def steal_service(self, sid: str, current_node: str, new_node: str) -> None:
        self._assert_cfs()
        self.hw.change_service_location(sid, current_node, new_node)
        self.hw.history.append((self.cur_time, "recovered-from", f"{sid} {current_node}"))

    def get_datacenter_settings(self) -> dict[str, Any]:
        return self.hw.datacenter

    def get_static_node_stats(self) -> dict[str, dict[str, float]]:
        return {n: {"maxcpu": s.get("maxcpu"), "maxmem": s.get("maxmem")} for n, s in self.hw.status.items()}

    # resource agents (Sim/Resources.pm, VirtFail.pm) ----------------------
    def resource_check_running(self, sid: str) -> bool:
        return bool(self.hw.service_status[self.node].get(sid))

    def _locked(self, sid: str, what: str) -> bool:
        lock = self.hw.service_config.get(sid, {}).get("lock")
        if lock:
            self.log("err", f"service '{sid}' locked ({lock}), unable to {what}!")
        return bool(lock)

    def _fail_digits(self, sid: str) -> tuple[int, int, int]:
        """fa:abcd -> (b failed starts, c failed migrations, d != 0: cannot stop)."""
        digits = sid.split(":", 1)[1]
        start = int(digits[1]) if len(digits) > 1 else 0
        migrate = int(digits[2]) if len(digits) > 2 else 0
        stop = int(digits[3]) if len(digits) > 3 else 0
        return start, migrate, stop

    def _fails(self, sid: str, kind: str) -> bool:
        if not sid.startswith("fa:"):
            return False
        start, migrate, _ = self._fail_digits(sid)
        limit = start if kind == "start" else migrate
        tries = self.hw.fail_tries[kind]
        tries[sid] = tries.get(sid, 0) + 1
        if limit >= tries[sid]:
            return True
        tries[sid] = 0
        return False

    def resource_start(self, sid: str) -> None:
        if self._fails(sid, "start") or self._locked(sid, "start"):
            return
        self.sleep(2)
        self.hw.service_status[self.node][sid] = 1

    def resource_shutdown(self, sid: str, timeout: int | None) -> None:
        if sid.startswith("fa:") and self._fail_digits(sid)[2]:
            return
        if self._locked(sid, "shutdown"):
            return
        self.sleep(2)
        self.hw.service_status[self.node][sid] = 0

    def resource_migrate(self, sid: str, target: str, online: bool) -> bool:
        if self._fails(sid, "migrate"):
            return False
        cmd = "migrate" if online else "relocate"
        self.log("info", f"service {sid} - start {cmd} to node '{target}'")
        if self._locked(sid, cmd):
            return False
        if not online and self.resource_check_running(sid):
            self.log("info", f"stopping service {sid} (relocate)")
            self.resource_shutdown(sid, None)
            self.log("info", f"service status {sid} stopped")
        else:
            self.sleep(2)
        self.hw.change_service_location(sid, self.node, target)
        self.log("info", f"service {sid} - end {cmd} to node '{target}'")
        self.hw.service_status[self.node].pop(sid, None)
        return True

    def resource_remove_locks(self, sid: str, locks: list[str], node: str) -> str | None:
        conf = self.hw.service_config.get(sid, {})
        if conf.get("lock") in locks:
            return conf.pop("lock")
        return None

    def resource_static_stats(self, sid: str) -> dict[str, float]:
        stats = self.hw.static_service_stats.get(sid)
        if stats:
            return stats
        digits = sid.split(":", 1)[1]
        if len(digits) >= 3 and digits[:3].isdigit():
            return {"maxcpu": int(digits[0]) + 1, "maxmem": (int(digits[1:3]) + 1) << 29}
        return {}

    # administration (ha-manager) ----------------------------------------------
    def read_resources(self) -> dict[str, dict[str, Any]]:
        self._assert_cfs()
        hidden = ("node", "type", "name", "lock")
        return {sid: {k: v for k, v in cd.items() if k not in hidden} for sid, cd in self.hw.service_config.items()}

    def write_resources(self, resources: dict[str, dict[str, Any]]) -> None:
        self._assert_cfs()
        old = self.hw.service_config
        new: dict[str, dict[str, Any]] = {}
        for sid, cd in resources.items():
            node = old[sid]["node"] if sid in old else self.hw.guests.get(sid)
            entry = {**cd, "node": node}
            if sid in old and "lock" in old[sid]:
                entry["lock"] = old[sid]["lock"]
            new[sid] = entry
        self.hw.service_config = new

    def write_group_config(self, groups: dict[str, Any]) -> None:
        from .config import format_groups

        self._assert_cfs()
        self.hw.groups_raw = format_groups(groups)

    def ha_groups_migrated(self) -> bool:
        return not self.hw.read_group_config()["ids"]

    def guest_type(self, vmid: str) -> str | None:
        for sid in (*self.hw.service_config, *self.hw.guests):
            kind, _, ident = sid.partition(":")
            if ident == vmid and kind in ("vm", "ct"):
                return kind
        return None
