"""Guests, snapshots, tasks and live migration."""

from __future__ import annotations

from simulator.cluster import Cluster
from simulator.tasks import parse_upid


def test_qm_create_allocates_disks_and_records_a_task_with_the_user(cluster: Cluster) -> None:
    result = cluster.run("pve2", "qm create 300 --name app --memory 1024 --scsi0 local-lvm:10", "alice@pve")
    assert result.output == '  Logical volume "vm-300-disk-0" created.'
    guest = cluster.find_guest(300)
    assert guest is not None and guest.config["scsi0"] == "local-lvm:vm-300-disk-0,size=10G"
    task = cluster.nodes["pve2"].tasks[-1]
    assert (task.type, task.id, task.user, task.status) == ("qmcreate", "300", "alice@pve", "OK")
    assert parse_upid(task.upid)["user"] == "alice@pve"


def test_a_vm_cannot_have_its_disk_on_storage_without_images_content(cluster: Cluster) -> None:
    result = cluster.run("pve2", "qm create 300 --scsi0 local:10")
    assert result.output == "storage 'local' does not support vm images"
    assert cluster.find_guest(300) is None


def test_a_duplicate_vmid_is_refused_with_its_location(cluster: Cluster) -> None:
    assert cluster.run("pve2", "qm create 100").output == "VM 100 already exists on node 'pve1'"


def test_start_stop_and_status_follow_the_guest(cluster: Cluster) -> None:
    assert cluster.run("pve2", "pct start 200").ok
    assert cluster.run("pve2", "pct status 200").output == "status: running"
    assert cluster.run("pve2", "pct start 200").output == "CT 200 already running"
    assert cluster.run("pve2", "pct shutdown 200").ok
    assert cluster.run("pve2", "pct status 200").output == "status: stopped"


def test_a_guest_is_only_managed_on_the_node_that_holds_its_config(cluster: Cluster) -> None:
    result = cluster.run("pve2", "qm stop 100")
    assert result.output == "Configuration file 'nodes/pve2/qemu-server/100.conf' does not exist"


def test_snapshots_roll_back_and_delete(cluster: Cluster) -> None:
    assert cluster.run("pve1", "qm snapshot 100 before").ok
    assert cluster.run("pve1", "qm set 100 --memory 8192").output == "update VM 100: -memory 8192"
    assert cluster.run("pve1", "qm snapshot 100 before").output == "snapshot name 'before' already used"
    assert cluster.run("pve1", "qm rollback 100 before").ok
    guest = cluster.find_guest(100)
    assert guest is not None and guest.config["memory"] == "2048" and guest.config["parent"] == "before"
    assert cluster.run("pve1", "qm delsnapshot 100 before").ok
    assert "parent" not in cluster.find_guest(100).config  # type: ignore[union-attr]
    assert cluster.run("pve1", "qm snapshot 100 current").output == \
        "unable to use snapshot name 'current' (reserved name)"


def test_live_migration_with_shared_storage_moves_the_running_vm(cluster: Cluster) -> None:
    start = cluster.clock.now
    result = cluster.run("pve1", "qm migrate 101 pve2 --online")
    assert result.ok, result.output
    assert result.output.endswith("migration finished successfully (duration 00:00:06)")
    assert cluster.guest_location(101) == "pve2" and cluster.guest_is_running(101)
    assert cluster.clock.now - start == 6.0  # 2 s setup + 4096 MiB of RAM at 1 GiB/s
    assert cluster.nodes["pve1"].tasks[-1].type == "qmigrate"


def test_live_migration_of_local_disks_needs_with_local_disks(cluster: Cluster) -> None:
    refused = cluster.run("pve1", "qm migrate 100 pve2 --online")
    assert refused.exit_code == 255
    assert "can't live migrate attached local disks without with-local-disks option" in refused.output
    assert refused.output.endswith("can't migrate VM - check log\nmigration aborted")
    assert cluster.find_guest(100).lock is None  # type: ignore[union-attr]
    moved = cluster.run("pve1", "qm migrate 100 pve2 --online --with-local-disks")
    assert moved.ok, moved.output
    assert "found local disk 'local-lvm:vm-100-disk-0' (attached)" in moved.output
    assert cluster.guest_location(100) == "pve2"


def test_migration_is_a_running_task_that_takes_time(cluster: Cluster) -> None:
    task = cluster.migrate_guest("pve1", 100, "qemu", "pve3", online=True, with_local_disks=True)
    assert task.status == "RUNNING" and cluster.find_guest(100).lock == "migrate"  # type: ignore[union-attr]
    cluster.advance(60)
    assert task.running  # 32 GiB at 200 MiB/s takes 166 s
    cluster.advance(120)
    assert task.status == "OK" and cluster.guest_location(100) == "pve3"


def test_migration_aborts_when_the_target_dies_meanwhile(cluster: Cluster) -> None:
    task = cluster.migrate_guest("pve1", 100, "qemu", "pve3", online=True, with_local_disks=True)
    cluster.power("pve3", False)
    cluster.advance(300)
    assert task.status == "migration aborted"
    assert cluster.guest_location(100) == "pve1" and cluster.guest_is_running(100)


def test_migration_to_an_unknown_or_local_node_is_refused(cluster: Cluster) -> None:
    assert cluster.run("pve1", "qm migrate 101 pve9 --online").output == "no such cluster node 'pve9'"
    assert cluster.run("pve1", "qm migrate 101 pve1").output.startswith(
        "400 Parameter verification failed.\ntarget: target is local node.")


def test_containers_migrate_in_restart_mode_only(cluster: Cluster) -> None:
    cluster.run("pve2", "pct start 200")
    assert cluster.run("pve2", "pct migrate 200 pve3").output == \
        "can't migrate running container without --online or --restart"
    assert cluster.run("pve2", "pct migrate 200 pve3 --online").output == \
        "lxc live migration is currently not implemented"
    assert cluster.run("pve2", "pct migrate 200 pve3 --restart").ok
    assert cluster.guest_location(200) == "pve3" and cluster.guest_is_running(200)


def test_guests_with_onboot_start_once_the_rebooted_node_has_quorum(cluster: Cluster) -> None:
    assert cluster.run("pve2", "pct set 200 --onboot 1").ok
    cluster.power("pve2", False)
    cluster.network("pve2", False)
    cluster.power("pve2", True)
    cluster.advance(30)
    assert not cluster.guest_is_running(200)  # no quorum yet: pve-guests waits
    cluster.network("pve2", True)
    cluster.advance(5)
    assert cluster.guest_is_running(200)


def test_container_snapshots_need_a_snapshot_capable_storage(cluster: Cluster) -> None:
    assert cluster.run("pve2", "pct snapshot 200 ok").ok  # local-lvm (lvmthin)
    assert cluster.run("pve2", "pct create 201 local:vztmpl/debian.tar.zst --rootfs nas:4").ok
    assert cluster.run("pve2", "pct snapshot 201 nope").output == "snapshot feature is not available"
