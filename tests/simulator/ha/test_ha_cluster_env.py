"""The HA stack on the cluster simulator: quorum from corosync, locks in pmxcfs, real guests, fencing."""

from __future__ import annotations

from typing import Any

import pytest

from simulator.cluster import Cluster
from simulator.ha.cluster_env import install
from simulator.scenario import build


def lab(nodes: int = 3, guests: list[dict[str, Any]] | None = None) -> Cluster:
    topology: dict[str, Any] = {"cluster": {"name": "lab"}, "guests": guests or []}
    if nodes != 3:
        topology["nodes"] = [{"name": f"pve{i}", "ip": f"192.168.1.{10 + i}"} for i in range(1, nodes + 1)]
    cluster = build({"topology": topology})
    install(cluster)
    return cluster


def vm(vmid: int, node: str) -> dict[str, Any]:
    return {"vmid": vmid, "type": "qemu", "node": node, "name": f"vm{vmid}", "running": True}


def runs_on(cluster: Cluster, vmid: int) -> list[str]:
    return sorted(n for n, node in cluster.nodes.items() if node.is_running(vmid))


def ha(cluster: Cluster, line: str, node: str = "pve1") -> str:
    result = cluster.run(node, f"ha-manager {line}")
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def cluster() -> Cluster:
    c = lab(3, [vm(100, "pve2"), vm(101, "pve1")])
    ha(c, "add vm:100")
    ha(c, "add 101")
    c.advance(60)
    return c


def test_ha_manager_status_on_the_cluster_shell(cluster: Cluster) -> None:
    lines = ha(cluster, "status").splitlines()
    assert lines[0] == "quorum OK"
    assert lines[1].startswith("master pve1 (active, ")
    assert lines[-2:] == ["service vm:100 (pve2, started)", "service vm:101 (pve1, started)"]


def test_network_loss_self_fences_the_node_and_recovers_the_vm_about_two_minutes_later(cluster: Cluster) -> None:
    failed_at = cluster.clock.now
    cluster.network("pve2", False)
    recovered_at = None
    for _ in range(30):
        cluster.advance(10)
        assert len(runs_on(cluster, 100)) <= 1
        if recovered_at is None and runs_on(cluster, 100) and runs_on(cluster, 100) != ["pve2"]:
            recovered_at = cluster.clock.now
            assert not cluster.nodes["pve2"].power, "pve2 must be fenced (powered off) first"
    assert recovered_at is not None and 100 <= recovered_at - failed_at <= 150
    assert runs_on(cluster, 100) == ["pve3"]
    assert cluster.guest_location(100) == "pve3"
    assert "service vm:100 (pve3, started)" in ha(cluster, "status")


def test_qm_stop_on_an_ha_managed_vm_becomes_an_ha_request(cluster: Cluster) -> None:
    result = cluster.run("pve2", "qm stop 100")
    assert result.output == "Requesting HA stop for VM 100"
    cluster.advance(30)
    assert runs_on(cluster, 100) == []
    assert "service vm:100 (pve2, stopped)" in ha(cluster, "status")


def test_ha_migrate_moves_the_running_vm(cluster: Cluster) -> None:
    ha(cluster, "migrate vm:101 pve3")
    cluster.advance(30)
    assert runs_on(cluster, 101) == ["pve3"]
    assert cluster.guest_location(101) == "pve3"


def test_two_node_cluster_cannot_recover_without_quorum() -> None:
    cluster = lab(2, [vm(100, "pve2")])
    ha(cluster, "add vm:100")
    cluster.advance(60)
    cluster.power("pve2", False)
    cluster.advance(600)
    assert runs_on(cluster, 100) == []
    assert cluster.guest_location(100) == "pve2"
    assert ha(cluster, "status").startswith("quorum No quorum on node 'pve1'!")


def test_ha_state_survives_a_save_and_restore(cluster: Cluster) -> None:
    restored = Cluster.from_json(cluster.to_json())
    restored.network("pve2", False)
    restored.advance(300)
    assert runs_on(restored, 100) == ["pve3"]
    assert not restored.nodes["pve2"].power


def test_ha_manager_errors_come_through_the_shell(cluster: Cluster) -> None:
    result = cluster.run("pve1", "ha-manager add vm:100")
    assert (result.exit_code, result.output) == (255, "create resource failed: resource ID 'vm:100' already defined")
    result = cluster.run("pve1", "ha-manager add vm:555")
    assert result.output == "resource 'vm:555' does not exist in cluster"


def test_ha_migration_is_a_real_migration_task_and_survives_a_restore_midway() -> None:
    cluster = lab(3, [{**vm(101, "pve1"), "memory": 4096},
                      {"vmid": 200, "type": "lxc", "node": "pve1", "name": "ct200", "running": True}])
    ha(cluster, "add vm:101")
    ha(cluster, "add ct:200")
    cluster.advance(30)
    ha(cluster, "migrate vm:101 pve3")
    ha(cluster, "relocate ct:200 pve2")
    cluster.advance(10)
    status = ha(cluster, "status")
    assert "service vm:101 (pve1, migrate)" in status and "service ct:200 (pve1, relocate)" in status
    assert any(t.type == "qmigrate" and t.running for t in cluster.nodes["pve1"].tasks)
    restored = Cluster.from_json(cluster.to_json())
    restored.advance(40)
    assert runs_on(restored, 101) == ["pve3"] and runs_on(restored, 200) == ["pve2"]
    assert "service vm:101 (pve3, started)" in ha(restored, "status")
    assert not any(e.message.startswith("status change startup") for e in restored.log.since(0)
                   if e.time > 30), "restoring must not restart the daemons"


def test_a_refused_migration_leaves_the_vm_where_it_was() -> None:
    cluster = lab(3, [vm(101, "pve1")])
    ha(cluster, "add vm:101")
    cluster.advance(30)
    cluster.run("pve1", "qm set 101 --hostpci0 01:00.0")
    ha(cluster, "migrate vm:101 pve2")
    cluster.advance(40)
    assert runs_on(cluster, 101) == ["pve1"]
    messages = [e.message for e in cluster.log.since(0) if e.source == "pve-ha-crm"]
    assert "service 'vm:101' - migration failed (exit code 1)" in messages
    assert "service vm:101 (pve1, started)" in ha(cluster, "status")


def test_a_restore_midway_through_fencing_changes_nothing_about_its_timing() -> None:
    def fencing_times(restore_at: float | None) -> list[tuple[float, str]]:
        cluster = lab(3, [vm(100, "pve2")])
        ha(cluster, "add vm:100")
        cluster.advance(40)
        cluster.network("pve2", False)
        if restore_at is not None:
            cluster.advance(restore_at)
            cluster = Cluster.from_json(cluster.to_json())
        cluster.advance(300)
        return [(e.time, e.message) for e in cluster.log.since(0)
                if e.source == "pve-ha-crm" and ("fence" in e.message or "recover" in e.message)]

    assert fencing_times(None) == fencing_times(45) == fencing_times(100)
