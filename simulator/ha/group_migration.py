"""PVE 9's one-time migration of HA groups to rules (Manager.pm `try_persistent_group_migration`).

Models the checks (quorate, every node online, every LRM active or idle in
mode active, every node at pve-manager >= 9.0.0~16), writing the
`ha-group-<g>` node-affinity rules, moving `nofailback` into each
resource's `failback`, deleting groups.cfg, and retrying every 6 rounds.
Leaves out: nothing the harness exercises.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import config
from .tools import HAError, has_min_version

if TYPE_CHECKING:
    from .manager import Manager

HA_RULES_MINVERSION = "9.0.0~16"
GROUP_MIGRATION_COOLDOWN = 6


def _assert_cluster_can_migrate_groups(mgr: Manager) -> None:
    haenv, ns, ss = mgr.haenv, mgr.ns, mgr.ss
    if not haenv.quorate():
        raise HAError("cluster is not quorate")
    nodes = ns.list_nodes()
    if not nodes:
        raise HAError("node list is empty")
    for node in nodes:
        state = ns.get_node_state(node)
        haenv.log("notice", f"ha groups migration: node '{node}' is in state '{state}'")
        if state != "online":
            raise HAError(f"node '{node}' is not online")
        lrm = haenv.read_lrm_status(node)
        lrm_state, lrm_mode = lrm.get("state"), lrm.get("mode")
        if not lrm_state or not lrm_mode:
            raise HAError(f"could not retrieve state for lrm '{node}'")
        haenv.log("notice", f"ha groups migration: lrm '{node}' is in state '{lrm_state}' and mode '{lrm_mode}'")
        active = sum(1 for sd in ss.values() if sd.get("node") == node
                     and sd.get("state") not in ("stopped", "freeze", "error"))
        if not (lrm_state == "active" or (lrm_state == "wait_for_agent_lock" and not active)):
            raise HAError(f"lrm '{node}' is not in state 'active' or 'idle'")
        if lrm_mode != "active":
            raise HAError(f"lrm '{node}' is not in mode 'active'")
        version = haenv.get_node_version(node)
        if not version:
            raise HAError(f"could not retrieve version from node '{node}'")
        haenv.log("notice", f"ha groups migration: node '{node}' has version '{version}'")
        if not has_min_version(version, HA_RULES_MINVERSION):
            raise HAError(f"node '{node}' needs at least pve-manager version '{HA_RULES_MINVERSION}'")


def _migrate_groups_persistently(mgr: Manager) -> bool:
    haenv = mgr.haenv
    try:
        _assert_cluster_can_migrate_groups(mgr)
        resources = haenv.read_service_config()
        groups = haenv.read_group_config()
        new_rules = haenv.read_rules_config()
        config.migrate_groups_to_rules(new_rules, groups, resources)
        haenv.write_rules_config(new_rules)
        haenv.log("notice", "ha groups migration: migration to rules config successful")
        config.migrate_groups_to_resources(groups, resources)
        for sid in sorted(resources):
            haenv.update_service_config(sid, {"failback": resources[sid]["failback"]}, delete="group")
        haenv.log("notice", "ha groups migration: migration to resources config successful")
        haenv.delete_group_config()
        haenv.log("notice", "ha groups migration: group config deletion successful")
    except HAError as err:
        haenv.log("err", f"abort ha groups migration: {err}")
        return False
    return True


def try_persistent_group_migration(mgr: Manager) -> None:
    groups = mgr.haenv.read_group_config()
    if not groups or not groups.get("ids"):
        return
    mgr.group_migration_round -= 1
    if mgr.group_migration_round > 0:
        return
    mgr.group_migration_round = GROUP_MIGRATION_COOLDOWN
    mgr.haenv.log("notice", "start ha group migration...")
    if _migrate_groups_persistently(mgr):
        mgr.haenv.log("notice", "ha groups migration successful")
    else:
        mgr.haenv.log("err", "ha groups migration failed")
        mgr.haenv.log("notice", f"retry ha groups migration in {GROUP_MIGRATION_COOLDOWN} rounds (~ "
                                f"{GROUP_MIGRATION_COOLDOWN * 10} seconds)")


