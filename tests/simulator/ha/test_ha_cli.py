"""The ha-manager command on a harness world: layouts, state changes and PVE's errors."""

from __future__ import annotations

import pytest

from simulator.ha.cli import run_ha_manager
from simulator.ha.harness import advance, new_world
from simulator.ha.testhw import Hardware


@pytest.fixture
def world() -> Hardware:
    hw = new_world(3, {"vm:101": {"node": "node1", "state": "started"},
                       "vm:102": {"node": "node2", "state": "started"}})
    hw.guests["ct:200"] = "node3"
    advance(hw, 60)
    return hw


def ha(hw: Hardware, *argv: str) -> tuple[int, str]:
    result = run_ha_manager(hw.nodes["node1"].crm_env, list(argv))
    return result.code, result.output


def test_status_shows_quorum_master_lrms_and_services(world: Hardware) -> None:
    code, out = ha(world, "status")
    lines = out.splitlines()
    assert code == 0
    assert lines[0] == "quorum OK"
    assert lines[1].startswith("master node1 (active, Thu Jan  1 00:00:")
    assert lines[2].startswith("lrm node1 (active, ")
    assert lines[4].startswith("lrm node3 (idle, ")
    assert lines[5:] == ["service vm:101 (node1, started)", "service vm:102 (node2, started)"]


def test_add_by_vmid_detects_the_container_and_the_crm_starts_it(world: Hardware) -> None:
    assert ha(world, "add", "200", "--max_restart", "2") == (0, "")
    assert "service ct:200 (node3, queued)" in ha(world, "status")[1]
    advance(world, 40)
    assert world.service_status["node3"]["ct:200"] == 1
    assert ha(world, "config")[1].startswith("ct:200\n\tmax_restart 2")


def test_adding_twice_or_an_unknown_guest_gives_the_real_errors(world: Hardware) -> None:
    assert ha(world, "add", "vm:101") == (255, "create resource failed: resource ID 'vm:101' already defined")
    assert ha(world, "add", "vm:999") == (255, "resource 'vm:999' does not exist in cluster")
    assert ha(world, "add", "999") == (255, "unable do detect SID from VMID - VM/CT 999 does not exist")


@pytest.mark.parametrize(("argv", "expected"), [
    (["add"], "400 not enough arguments\nha-manager add <sid> [OPTIONS]"),
    (["add", "vm:101", "vm:102"], "400 too many arguments\nha-manager add <sid> [OPTIONS]"),
    (["add", "vm:101", "--colour", "red"], "Unknown option: colour\n400 unable to parse option\n"
                                           "ha-manager add <sid> [OPTIONS]"),
    (["set", "vm:101", "--max_restart", "many"], "400 Parameter verification failed.\n"
                                                 "max_restart: type check ('integer') failed - got 'many'\n"
                                                 "ha-manager set <sid> [OPTIONS]"),
    (["set", "vm:101", "--state", "running"], "400 Parameter verification failed.\nstate: value 'running' does "
                                              "not have a value in the enumeration 'started, stopped, enabled, "
                                              "disabled, ignored'\nha-manager set <sid> [OPTIONS]"),
    (["migrate", "banana", "node2"], "400 Parameter verification failed.\nsid: value does not look like a valid "
                                     "ha resource id\nha-manager migrate <sid> <node>"),
])
def test_malformed_arguments_get_the_usage_error_naming_the_argument(world: Hardware, argv: list[str],
                                                                     expected: str) -> None:
    assert ha(world, *argv) == (255, expected)


def test_unknown_command_prints_the_usage(world: Hardware) -> None:
    code, out = ha(world, "frobnicate")
    assert code == 255
    assert out.startswith("ERROR: unknown command 'ha-manager frobnicate'\nUSAGE: ha-manager <COMMAND>")


def test_migrate_queues_a_crm_command_and_the_vm_moves(world: Hardware) -> None:
    assert ha(world, "migrate", "vm:101", "node3") == (0, "")
    advance(world, 60)
    assert world.service_config["vm:101"]["node"] == "node3"
    assert "service vm:101 (node3, started)" in ha(world, "status")[1]


def test_set_state_disabled_stops_the_vm_and_remove_forgets_it(world: Hardware) -> None:
    assert ha(world, "set", "vm:102", "--state", "disabled") == (0, "")
    advance(world, 40)
    assert world.service_status["node2"].get("vm:102") == 0
    assert "service vm:102 (node2, disabled)" in ha(world, "status")[1]
    assert ha(world, "remove", "vm:102") == (0, "")
    assert ha(world, "remove", "vm:102") == (255, "cannot delete service 'vm:102', not HA managed!")


def test_errored_service_must_be_disabled_before_anything_else(world: Hardware) -> None:
    world.service_config["fa:1001"] = {"node": "node3", "state": "started"}
    advance(world, 40)
    world.crm_commands += "stop fa:1001 0\n"
    advance(world, 60)
    assert "service fa:1001 (node3, error)" in ha(world, "status")[1]
    world.guests["fa:1001"] = "node3"
    message = "service 'fa:1001' in error state, must be disabled and fixed first"
    assert ha(world, "set", "vm:101", "--state", "started") == (0, "")
    world.service_config["vm:900"] = world.service_config.pop("fa:1001")
    world.manager_status = world.manager_status.replace("fa:1001", "vm:900")
    assert ha(world, "set", "vm:900", "--state", "started") == (255, message.replace("fa:1001", "vm:900"))
    assert ha(world, "set", "vm:900", "--state", "disabled") == (0, "")


def test_groups_are_refused_once_migrated_to_rules(world: Hardware) -> None:
    assert ha(world, "groupadd", "prefer1", "--nodes", "node1:2,node2") == (
        255, "cannot create group: ha groups have been migrated to rules")
    assert ha(world, "groupconfig") == (255, "cannot index group: ha groups have been migrated to rules")


def test_groups_work_while_groups_cfg_has_groups(world: Hardware) -> None:
    world.groups_raw = "group: existing\n\tnodes node3\n"
    assert ha(world, "groupadd", "prefer1", "--nodes", "node1:2,node2", "--restricted") == (0, "")
    assert ha(world, "groupconfig")[1] == ("group: existing\n\tnodes node3\n\ngroup: prefer1\n"
                                          "\tnodes node1:2,node2\n\trestricted 1")
    assert ha(world, "groupadd", "prefer1", "--nodes", "node1") == (
        255, "create ha group failed: ha group ID 'prefer1' already defined")


def test_rules_add_config_and_remove(world: Hardware) -> None:
    assert ha(world, "rules", "add", "node-affinity", "keep-on-3", "--resources", "vm:101", "--nodes",
              "node3", "--strict", "1") == (0, "")
    assert ha(world, "rules", "config")[1].splitlines()[1:4:2] == [
        "│ enabled │ state  │ rule      │ type          │ resources │ comment │",
        "│       1 │ in use │ keep-on-3 │ node-affinity │ vm:101    │         │"]
    advance(world, 60)
    assert world.service_config["vm:101"]["node"] == "node3"
    assert ha(world, "rules", "remove", "keep-on-3") == (0, "")
    assert ha(world, "rules", "remove", "keep-on-3") == (0, "")
    assert ha(world, "rules", "config")[1].count("│") == 7, "only the header row is left"


def test_negative_affinity_refuses_a_migration_onto_the_partner(world: Hardware) -> None:
    assert ha(world, "rules", "add", "resource-affinity", "apart", "--resources", "vm:101,vm:102",
              "--affinity", "negative") == (0, "")
    code, out = ha(world, "migrate", "vm:101", "node2")
    assert code == 255
    assert out == ("cannot migrate resource 'vm:101' to node 'node2':\n\n"
                   "- resource 'vm:102' on target node 'node2' in negative affinity with resource 'vm:101'")


def test_infeasible_rule_is_refused(world: Hardware) -> None:
    code, out = ha(world, "rules", "add", "resource-affinity", "lonely", "--resources", "vm:101",
                   "--affinity", "positive")
    assert (code, out) == (255, "create ha rule failed: 400 Rule 'lonely' is invalid.\n"
                                "resources: rule is ineffective as there are less than two resources")


def test_rules_refuse_unmanaged_resources_and_unknown_nodes(world: Hardware) -> None:
    assert ha(world, "rules", "add", "node-affinity", "rx", "--resources", "vm:555", "--nodes", "node1") == (
        255, "create ha rule failed: cannot use unmanaged resource(s) vm:555.")
    assert ha(world, "rules", "add", "node-affinity", "rx", "--resources", "vm:101", "--nodes", "node9") == (
        255, "create ha rule failed: cannot use non-existant node(s) node9.")
    assert ha(world, "rules", "set", "node-affinity", "nope", "--strict", "1") == (
        255, "update HA rules failed: HA rule 'nope' does not exist")
    assert ha(world, "rules", "add", "node-affinity", "r", "--resources", "vm:101", "--nodes", "node1") == (
        255, "400 Parameter verification failed.\nrule: invalid configuration ID 'r'\n"
             "ha-manager rules add <type> <rule> [OPTIONS]")


def test_node_maintenance_drains_the_node_and_status_shows_it(world: Hardware) -> None:
    assert ha(world, "crm-command", "node-maintenance", "enable", "node2") == (0, "")
    advance(world, 60)
    out = ha(world, "status")[1]
    assert "lrm node2 (maintenance mode, " in out
    assert world.service_config["vm:102"]["node"] != "node2"
    assert ha(world, "crm-command", "node-maintenance", "enable", "node9") == (255, "no such cluster node 'node9'")
