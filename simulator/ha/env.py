"""The environment the HA state machines see (pve-ha-manager's PVE::HA::Env).

CRM, LRM and Manager never touch the world directly: time, logging, cluster
locks, quorum, the watchdog, the shared config files (manager status, LRM
status, resources, groups, rules, CRM command queue) and the resource agents
(start, stop, migrate a guest) all go through one `HAEnv` object per daemon.
`testhw.TestEnv` implements it for the regression harness; a cluster adapter
implements it on the cluster simulator.

Leaves out: forking workers (`get_max_workers` is 0, agents run inline) and
hardware fencing devices.
"""

from __future__ import annotations

from typing import Any


class HAEnv:
    """Abstract interface; every method raises until a world implements it."""

    # identity, time, logging --------------------------------------------
    def nodename(self) -> str:
        raise NotImplementedError

    def get_time(self) -> int:
        raise NotImplementedError

    def sleep(self, seconds: int) -> None:
        raise NotImplementedError

    def sleep_until(self, end_time: int) -> None:
        raise NotImplementedError

    def log(self, level: str, msg: str) -> None:
        raise NotImplementedError

    def send_notification(self, prefix: str, subject: str, node: str) -> None:
        """Fence notifications; the harness logs them as `emai` lines."""
        self.log("email", f"{prefix}: {subject}")

    def loop_start_hook(self) -> None:
        pass

    def loop_end_hook(self) -> None:
        pass

    # cluster membership, locks, watchdog ----------------------------------
    def quorate(self) -> bool:
        raise NotImplementedError

    def get_node_info(self) -> dict[str, dict[str, int]]:
        """{node: {"online": 0|1}} for every cluster member (offline if not quorate)."""
        raise NotImplementedError

    def cluster_state_update(self) -> bool:
        return True

    def get_ha_manager_lock(self) -> bool:
        raise NotImplementedError

    def release_ha_manager_lock(self) -> bool:
        raise NotImplementedError

    def get_ha_agent_lock(self, node: str | None = None) -> bool:
        raise NotImplementedError

    def release_ha_agent_lock(self) -> bool:
        raise NotImplementedError

    def watchdog_open(self) -> str:
        raise NotImplementedError

    def watchdog_update(self, handle: str) -> None:
        raise NotImplementedError

    def watchdog_close(self, handle: str) -> None:
        raise NotImplementedError

    def is_node_shutdown(self) -> tuple[bool, bool]:
        """(shutdown, reboot) for this node."""
        return (False, False)

    def get_node_version(self, node: str) -> str | None:
        return None

    # shared state (pmxcfs) -------------------------------------------------
    def read_manager_status(self) -> dict[str, Any]:
        raise NotImplementedError

    def write_manager_status(self, status: dict[str, Any]) -> None:
        raise NotImplementedError

    def read_lrm_status(self, node: str | None = None) -> dict[str, Any]:
        raise NotImplementedError

    def write_lrm_status(self, status: dict[str, Any]) -> None:
        raise NotImplementedError

    def read_service_config(self) -> dict[str, dict[str, Any]]:
        """{sid: {node, state, type, name, failback, max_restart, max_relocate, ...}}."""
        raise NotImplementedError

    def update_service_config(self, sid: str, params: dict[str, Any], delete: str | None = None) -> None:
        raise NotImplementedError

    def read_group_config(self) -> dict[str, Any]:
        """{"ids": {group: {...}}, "digest": str}."""
        return {"ids": {}, "digest": ""}

    def delete_group_config(self) -> None:
        pass

    def read_rules_config(self) -> dict[str, Any]:
        """{"ids": {ruleid: {...}}, "order": {ruleid: n}, "digest": str}."""
        return {"ids": {}, "order": {}, "digest": ""}

    def write_rules_config(self, rules: dict[str, Any]) -> None:
        pass

    def read_crm_commands(self) -> str:
        raise NotImplementedError

    def any_pending_crm_command(self) -> bool:
        return False

    def queue_crm_commands(self, cmd: str) -> None:
        raise NotImplementedError

    def steal_service(self, sid: str, current_node: str, new_node: str) -> None:
        raise NotImplementedError

    def get_datacenter_settings(self) -> dict[str, Any]:
        return {}

    def get_ha_settings(self) -> dict[str, Any]:
        return self.get_datacenter_settings().get("ha") or {}

    def get_static_node_stats(self) -> dict[str, dict[str, float]]:
        return {}

    # resource agents ------------------------------------------------------
    def resource_exists(self, sid: str) -> bool:
        return True

    def resource_check_running(self, sid: str) -> bool:
        raise NotImplementedError

    def resource_start(self, sid: str) -> None:
        raise NotImplementedError

    def resource_shutdown(self, sid: str, timeout: int | None) -> None:
        raise NotImplementedError

    def resource_migrate(self, sid: str, target: str, online: bool) -> bool:
        raise NotImplementedError

    def resource_remove_locks(self, sid: str, locks: list[str], node: str) -> str | None:
        return None

    def resource_static_stats(self, sid: str) -> dict[str, float]:
        return {}

    # administration (the `ha-manager` CLI) -----------------------------------
    def read_resources(self) -> dict[str, dict[str, Any]]:
        """resources.cfg as written: {sid: {state?, group?, failback?, max_restart?, ...}} (no defaults)."""
        raise NotImplementedError

    def write_resources(self, resources: dict[str, dict[str, Any]]) -> None:
        raise NotImplementedError

    def write_group_config(self, groups: dict[str, Any]) -> None:
        raise NotImplementedError

    def ha_groups_migrated(self) -> bool:
        """PVE 9: groups.cfg missing or empty means groups became rules."""
        return False

    def guest_type(self, vmid: str) -> str | None:
        """`vm` or `ct` for an existing guest, None if there is none."""
        raise NotImplementedError

    def cluster_nodes(self) -> list[str]:
        return sorted(self.get_node_info())

    def format_time(self, timestamp: int) -> str:
        """Perl's scalar(localtime), e.g. `Wed Nov 23 11:07:23 2016`."""
        import time

        return time.asctime(time.gmtime(timestamp))
