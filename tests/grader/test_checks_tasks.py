"""guest.*, task.* and migration.* checks, provenance included."""

from __future__ import annotations

from rubric_states import LAB_START, guest, state, task

from grader.checks import get

WINDOW = {"user": "alice@pve", "window_start": LAB_START, "window_end": LAB_START + 3600}


def run(check_id: str, doc, **params):
    return get(check_id)(doc, **params)


def test_guest_running_on_suggests_a_migration_when_on_another_node():
    outcome = run("guest.running-on", state(guests=[guest(100, "pve1")]), vmid=100, node="pve2")
    assert not outcome.passed and "qm migrate 100 pve2" in outcome.message


def test_guest_running_on_suggests_starting_a_stopped_guest():
    outcome = run("guest.running-on", state(guests=[guest(100, "pve2", "stopped")]), vmid=100, node="pve2")
    assert not outcome.passed and "qm start 100" in outcome.message


def test_guest_disks_on_lists_disks_elsewhere():
    outcome = run("guest.disks-on", state(guests=[guest(100, "pve1", storage="local-lvm")]), vmid=100,
                  storage="nas")
    assert not outcome.passed and "scsi0 on local-lvm" in outcome.message


def test_task_ran_by_user_passes_for_the_students_own_task_in_the_window():
    doc = state(tasks=[task("qmigrate", "100")])
    assert run("task.ran-by-user", doc, type="qmigrate", id=100, **WINDOW).passed


def test_task_ran_by_user_refuses_a_task_run_by_root():
    doc = state(tasks=[task("qmigrate", "100", user="root@pam")])
    outcome = run("task.ran-by-user", doc, type="qmigrate", id=100, **WINDOW)
    assert not outcome.passed
    assert "root@pam, not by your user alice@pve" in outcome.message


def test_task_ran_by_user_refuses_a_task_from_before_the_lab_started():
    doc = state(tasks=[task("qmigrate", "100", start=LAB_START - 600)])
    outcome = run("task.ran-by-user", doc, type="qmigrate", id=100, **WINDOW)
    assert not outcome.passed and "outside the lab window" in outcome.message


def test_task_ran_by_user_refuses_a_failed_task():
    doc = state(tasks=[task("qmigrate", "100", status="migration aborted")])
    outcome = run("task.ran-by-user", doc, type="qmigrate", id=100, **WINDOW)
    assert not outcome.passed and "migration aborted" in outcome.message


def test_task_ran_by_user_cannot_pass_without_knowing_the_user():
    doc = state(tasks=[task("qmigrate", "100")])
    assert not run("task.ran-by-user", doc, type="qmigrate", id=100).passed


def test_online_migration_passes_when_the_vm_kept_running_on_the_target():
    doc = state(guests=[guest(100, "pve2")], tasks=[task("qmigrate", "100")])
    assert run("migration.online-done", doc, vmid=100, to="pve2", **WINDOW).passed


def test_online_migration_fails_when_the_vm_was_stopped_for_an_offline_move():
    doc = state(guests=[guest(100, "pve2")],
                tasks=[task("qmshutdown", "100"), task("qmigrate", "100", start=LAB_START + 90),
                       task("qmstart", "100", start=LAB_START + 120, node="pve2")])
    outcome = run("migration.online-done", doc, vmid=100, to="pve2", **WINDOW)
    assert not outcome.passed and "offline" in outcome.message


def test_online_migration_fails_when_the_vm_is_still_on_the_source():
    doc = state(guests=[guest(100, "pve1")], tasks=[task("qmigrate", "100", status="migration aborted")])
    outcome = run("migration.online-done", doc, vmid=100, to="pve2", **WINDOW)
    assert not outcome.passed


def test_migration_done_accepts_a_restart_mode_container_migration_by_the_student():
    ct = {**guest(300, "pve2"), "type": "lxc", "disks": [{"key": "rootfs", "storage": "local-lvm"}]}
    doc = state(guests=[ct], tasks=[task("vzmigrate", "300")])
    assert run("migration.done", doc, vmid=300, to="pve2", running=True, **WINDOW).passed


def test_migration_done_suggests_restart_mode_for_a_running_container():
    ct = {**guest(300, "pve1"), "type": "lxc"}
    outcome = run("migration.done", state(guests=[ct]), vmid=300, to="pve2", **WINDOW)
    assert not outcome.passed and "pct migrate 300 pve2 --restart" in outcome.message


def test_none_on_lists_the_guests_left_on_the_node():
    outcome = run("guest.none-on", state(guests=[guest(100, "pve1"), guest(101, "pve2")]), node="pve1")
    assert not outcome.passed and "vm:100 is still on pve1" in outcome.message
    assert run("guest.none-on", state(guests=[guest(101, "pve2")]), node="pve1").passed
