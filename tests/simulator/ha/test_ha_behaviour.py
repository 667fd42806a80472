"""HA behaviours beyond the regression folders: shutdown policies, disarm, gone nodes, errors."""

from __future__ import annotations

from simulator.ha.harness import advance, new_world, sim_hardware_cmd
from simulator.ha.testhw import Hardware


def running(hw: Hardware, sid: str) -> list[str]:
    return sorted(n for n, services in hw.service_status.items() if services.get(sid))


def crm_state(hw: Hardware, sid: str) -> str:
    return hw.manager_status_dict()["service_status"][sid]["state"]


def test_shutdown_policy_migrate_drains_the_node_and_moves_services_back_after_boot() -> None:
    hw = new_world(3, {"vm:100": {"node": "node3"}, "ct:101": {"node": "node3"}})
    hw.datacenter = {"ha": {"shutdown_policy": "migrate"}}
    advance(hw, 60)
    sim_hardware_cmd(hw, "shutdown node3", "cmdlist")
    advance(hw, 120)
    assert hw.status["node3"]["power"] == "off"
    assert running(hw, "vm:100") == ["node2"] and running(hw, "ct:101") == ["node1"]
    assert hw.manager_status_dict()["node_status"]["node3"] == "maintenance"
    sim_hardware_cmd(hw, "power node3 on", "cmdlist")
    advance(hw, 100)
    assert running(hw, "vm:100") == ["node3"] and running(hw, "ct:101") == ["node3"]


def test_shutdown_policy_failover_on_poweroff_recovers_after_the_fence_delay() -> None:
    hw = new_world(3, {"vm:100": {"node": "node3"}})
    hw.datacenter = {"ha": {"shutdown_policy": "failover"}}
    advance(hw, 60)
    sim_hardware_cmd(hw, "shutdown node3", "cmdlist")
    advance(hw, 200)
    assert running(hw, "vm:100") in (["node1"], ["node2"])
    assert not any(e == "watchdog-fenced" for _t, e, _s in hw.history), "a clean shutdown needs no watchdog"


def test_disarm_freeze_keeps_vms_running_and_arm_resumes_management() -> None:
    hw = new_world(3, {"vm:100": {"node": "node1"}, "vm:101": {"node": "node2"}})
    advance(hw, 60)
    sim_hardware_cmd(hw, "crm node1 disarm-ha freeze", "cmdlist")
    advance(hw, 60)
    assert crm_state(hw, "vm:100") == "freeze"
    assert running(hw, "vm:100") == ["node1"]
    assert not hw.watchdogs, "every LRM and the CRM let go of their watchdogs"
    assert any("HA stack is now fully disarmed" in line for line in hw.lines)
    sim_hardware_cmd(hw, "crm node1 arm-ha", "cmdlist")
    advance(hw, 60)
    assert crm_state(hw, "vm:100") == "started"
    assert hw.watchdogs


def test_disarmed_cluster_does_not_fence_a_node_that_loses_its_network() -> None:
    hw = new_world(3, {"vm:100": {"node": "node2"}})
    advance(hw, 60)
    sim_hardware_cmd(hw, "crm node1 disarm-ha ignore", "cmdlist")
    advance(hw, 60)
    sim_hardware_cmd(hw, "network node2 off", "cmdlist")
    advance(hw, 300)
    assert hw.status["node2"]["power"] == "on"
    assert running(hw, "vm:100") == ["node2"]


def test_a_failed_vm_exhausts_restart_and_relocate_policy_and_enters_error() -> None:
    hw = new_world(3, {"fa:190": {"node": "node1", "max_restart": 1, "max_relocate": 1}})
    advance(hw, 400)
    assert crm_state(hw, "fa:190") == "error"
    assert any("recovery policy for service fa:190 failed, entering error state" in line for line in hw.lines)
    hw.service_config["fa:190"]["state"] = "disabled"
    advance(hw, 40)
    assert crm_state(hw, "fa:190") == "stopped"


def test_master_failure_moves_the_manager_lock_to_another_node() -> None:
    hw = new_world(3, {"vm:100": {"node": "node2"}})
    advance(hw, 60)
    sim_hardware_cmd(hw, "power node1 off", "cmdlist")
    advance(hw, 200)
    assert hw.manager_status_dict()["master_node"] in ("node2", "node3")
    assert hw.cluster_locks["ha_manager_lock"]["node"] != "node1"


def test_rebalance_on_start_spreads_new_services_over_the_nodes() -> None:
    hw = new_world(3, {f"vm:{100 + i}": {"node": "node1"} for i in range(3)}, powered=False)
    hw.datacenter = {"crs": {"ha-rebalance-on-start": 1}}
    for node in ("node1", "node2", "node3"):
        sim_hardware_cmd(hw, f"power {node} on", "cmdlist")
    advance(hw, 80)
    assert sorted(running(hw, f"vm:{100 + i}")[0] for i in range(3)) == ["node1", "node2", "node3"]
    assert any("re-balance selected new node" in line for line in hw.lines)
