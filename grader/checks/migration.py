"""Checks on migrations, read from the tasks the student's user ran.

A live migration leaves an OK `qmigrate` task and no stop or start of the
guest around it: the VM kept running from source to target. (The task list
does not show the `--online` flag; a stopped VM would have needed a start
afterwards, which does show.) `--with-local-disks` is implied when a running
VM whose disks are on local storage reached the target.
"""

from __future__ import annotations

from grader.checks.registry import Outcome, check
from grader.checks.task import in_window, provenance
from grader.state import StateDoc


def _local_disks(state: StateDoc, vmid: int) -> bool:
    guest = state.guest(vmid)
    if guest is None:
        return False
    storages = [state.storage_by_id(d.storage) for d in guest.disks if not getattr(d, "cdrom", 0)]
    return any(s is not None and not s.shared for s in storages)


STOPS = ("qmstop", "qmshutdown", "qmstart", "qmreboot", "hastop", "hastart")


@check("migration.online-done")
def online_done(state: StateDoc, *, vmid: int, to: str, user: str | None = None,
                window_start: int | None = None, window_end: int | None = None) -> Outcome:
    """VM `vmid` was live-migrated to `to` by the student's user in the lab window and runs there."""
    guest = state.guest(vmid)
    if guest is None:
        return Outcome.fail(f"VM {vmid} does not exist")
    hint = f"try: qm migrate {vmid} {to} --online" + (" --with-local-disks" if _local_disks(state, vmid) else "")
    done, why = provenance(state, ["qmigrate", "hamigrate"], str(vmid), user, window_start, window_end,
                           label=f"migration task (qmigrate) for VM {vmid}")
    if not done:
        return Outcome.fail(f"{why} ({hint})")
    if guest.node != to:
        return Outcome.fail(f"VM {vmid} is on {guest.node}, expected on {to} ({hint})")
    if guest.status != "running":
        return Outcome.fail(f"VM {vmid} is {guest.status} on {to}: a live migration keeps it running")
    stops = [t for t in state.tasks_where(type=STOPS, id=str(vmid)) if in_window(t, window_start, window_end)]
    if stops:
        kinds = ", ".join(sorted({t.type for t in stops}))
        return Outcome.fail(f"VM {vmid} was stopped or started during the lab ({kinds}): that is an offline "
                            f"migration; migrate it while it runs with qm migrate {vmid} {to} --online")
    return Outcome.ok(f"VM {vmid} was live-migrated to {to}")


@check("migration.done")
def done(state: StateDoc, *, vmid: int, to: str, running: bool | None = None, user: str | None = None,
         window_start: int | None = None, window_end: int | None = None) -> Outcome:
    """Guest `vmid` (VM or container) was migrated to `to` by the student's user in the lab window, online
    or not; with `running`, it must (or must not) be running there now."""
    guest = state.guest(vmid)
    if guest is None:
        return Outcome.fail(f"guest {vmid} does not exist")
    tool = "qm" if guest.type == "qemu" else "pct"
    hint = f"try: {tool} migrate {vmid} {to}" + (" --restart" if tool == "pct" and guest.status == "running" else "")
    moved, why = provenance(state, ["qmigrate", "vzmigrate", "hamigrate", "harelocate"], str(vmid), user,
                            window_start, window_end, label=f"migration task for {guest.sid}")
    if not moved:
        return Outcome.fail(f"{why} ({hint})")
    if guest.node != to:
        return Outcome.fail(f"{guest.sid} is on {guest.node}, expected on {to} ({hint})")
    if running is not None and (guest.status == "running") != running:
        want = "running" if running else "stopped"
        return Outcome.fail(f"{guest.sid} is {guest.status} on {to}, expected {want}")
    return Outcome.ok(f"{guest.sid} was migrated to {to}")
