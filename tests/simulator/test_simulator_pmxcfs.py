"""pmxcfs: read-only without quorum, cluster locks, and split brain."""

from __future__ import annotations

from simulator.cluster import Cluster


def test_etc_pve_is_read_only_on_a_node_without_quorum(cluster: Cluster) -> None:
    cluster.network("pve2", False)
    assert cluster.run("pve2", "pct set 200 --memory 1024").output.startswith(
        "unable to open file '/etc/pve/nodes/pve2/lxc/200.conf.tmp.")
    assert cluster.run("pve2", "qm create 400").output == "cluster not ready - no quorum?"
    assert cluster.run("pve2", "pct list").ok  # reads still work


def test_a_lock_expires_120_seconds_after_its_last_renewal(cluster: Cluster) -> None:
    assert cluster.cfs_lock_acquire("pve1", "ha_manager_lock")
    assert not cluster.cfs_lock_acquire("pve2", "ha_manager_lock")
    cluster.advance(100)
    assert cluster.cfs_lock_acquire("pve1", "ha_manager_lock")  # renewal
    cluster.advance(119)
    assert not cluster.cfs_lock_acquire("pve2", "ha_manager_lock")
    cluster.advance(1)
    assert cluster.cfs_lock_acquire("pve2", "ha_manager_lock")
    assert cluster.cfs_lock_holder("ha_manager_lock", "pve3") == "pve2"


def test_taking_a_lock_needs_quorum(cluster: Cluster) -> None:
    cluster.network("pve3", False)
    assert not cluster.cfs_lock_acquire("pve3", "ha_agent_pve3_lock")
    assert cluster.cfs_lock_acquire("pve1", "ha_agent_pve1_lock")


def test_forced_quorum_on_both_sides_lets_both_start_the_same_vm_and_reconnect_reports_it() -> None:
    from simulator.scenario import build

    cluster = build({"topology": {
        "cluster": {"name": "duo", "nodes": ["pve1", "pve2"]},
        "storages": [{"id": "nas", "type": "nfs", "server": "10.0.0.5", "export": "/srv"}],
        "guests": [{"vmid": 100, "node": "pve1", "disks": {"scsi0": "nas:8"}, "running": True}]}})
    cluster.link("pve1", "pve2", up=False)
    assert cluster.run("pve1", "pvecm expected 1").ok
    assert cluster.run("pve2", "pvecm expected 1").ok
    assert cluster.split_brains[0]["kind"] == "quorate-partitions"
    mv = "mv /etc/pve/nodes/pve1/qemu-server/100.conf /etc/pve/nodes/pve2/qemu-server/"
    assert cluster.run("pve2", mv).ok
    assert cluster.run("pve2", "qm start 100").ok
    assert cluster.run("pve1", "qm set 100 --memory 1024").ok  # both sides now write
    assert cluster.guest_location(100, "pve1") == "pve1" and cluster.guest_location(100, "pve2") == "pve2"
    assert cluster.duplicate_guests() == {100: ["pve1", "pve2"]}
    cluster.link("pve1", "pve2", up=True)
    kinds = [r["kind"] for r in cluster.split_brains]
    assert kinds == ["quorate-partitions", "config-divergence", "duplicate-guest"]
    assert cluster.nodes["pve1"].db == cluster.nodes["pve2"].db
    assert any("running on pve1 and pve2" in e.message for e in cluster.log.entries)


def test_writes_on_the_quorate_side_win_silently_after_a_partition_heals(cluster: Cluster) -> None:
    cluster.network("pve3", False)
    assert cluster.run("pve1", "qm set 101 --memory 1024").ok
    assert cluster.guests("pve3")[1]["memory_mib"] == 4096  # the isolated copy is stale
    cluster.network("pve3", True)
    assert cluster.guests("pve3")[1]["memory_mib"] == 1024
    assert cluster.split_brains == []
    assert len({n.db for n in cluster.nodes.values()}) == 1


def test_a_crashed_corosync_takes_the_node_out_until_restarted(cluster: Cluster) -> None:
    assert cluster.run("pve1", "crash pve3 corosync").ok
    assert cluster.partition_of("pve1") == ["pve1", "pve2"]
    status = cluster.run("pve3", "systemctl status corosync")
    assert status.exit_code == 3 and "Active: failed (Result: signal)" in status.output
    assert cluster.run("pve3", "systemctl restart corosync").ok
    assert cluster.partition_of("pve1") == ["pve1", "pve2", "pve3"]
    journal = cluster.run("pve3", "journalctl -u corosync").output
    assert "Started corosync.service - Corosync Cluster Engine." in journal
    assert "[QUORUM] This node is within the primary component and will provide service." in journal


def test_a_stopped_pve_cluster_makes_etc_pve_unreachable(cluster: Cluster) -> None:
    cluster.run("pve2", "systemctl stop pve-cluster")
    assert cluster.run("pve2", "qm list").output.startswith("ipcc_send_rec[1] failed: Connection refused")
