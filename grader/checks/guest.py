"""Checks on guests (VMs and containers): where they are, whether they run, where their disks live."""

from __future__ import annotations

from grader.checks.registry import Outcome, check
from grader.state import StateDoc


@check("guest.exists")
def exists(state: StateDoc, *, vmid: int) -> Outcome:
    """Guest `vmid` exists somewhere in the cluster."""
    guest = state.guest(vmid)
    if guest is None:
        return Outcome.fail(f"guest {vmid} does not exist")
    return Outcome.ok(f"{guest.sid} is on {guest.node}")


@check("guest.running-on")
def running_on(state: StateDoc, *, vmid: int, node: str) -> Outcome:
    """Guest `vmid` is running on `node`."""
    guest = state.guest(vmid)
    if guest is None:
        return Outcome.fail(f"guest {vmid} does not exist")
    if guest.node != node:
        if guest.type == "qemu":
            how = f"qm migrate {vmid} {node}" + (" --online" if guest.status == "running" else "")
        else:
            how = f"pct migrate {vmid} {node}" + (" --restart" if guest.status == "running" else "")
        return Outcome.fail(f"{guest.sid} is on {guest.node} ({guest.status}), expected on {node} (try: {how})")
    if guest.status != "running":
        tool = "qm" if guest.type == "qemu" else "pct"
        return Outcome.fail(f"{guest.sid} is on {node} but {guest.status} (try: {tool} start {vmid})")
    return Outcome.ok(f"{guest.sid} is running on {node}")


@check("guest.status")
def status(state: StateDoc, *, vmid: int, status: str) -> Outcome:
    """Guest `vmid` has status `status` (running, stopped...)."""
    guest = state.guest(vmid)
    if guest is None:
        return Outcome.fail(f"guest {vmid} does not exist")
    if guest.status != status:
        return Outcome.fail(f"{guest.sid} is {guest.status} on {guest.node}, expected {status}")
    return Outcome.ok(f"{guest.sid} is {status}")


@check("guest.disks-on")
def disks_on(state: StateDoc, *, vmid: int, storage: str) -> Outcome:
    """Every disk of guest `vmid` is on storage `storage`."""
    guest = state.guest(vmid)
    if guest is None:
        return Outcome.fail(f"guest {vmid} does not exist")
    elsewhere = [f"{d.key} on {d.storage}" for d in guest.disks if d.storage != storage]
    if not guest.disks or elsewhere:
        return Outcome.fail(f"{guest.sid}: {', '.join(elsewhere) or 'no disks'}; expected every disk on {storage}")
    return Outcome.ok(f"every disk of {guest.sid} is on {storage}")


@check("guest.none-on")
def none_on(state: StateDoc, *, node: str) -> Outcome:
    """No guest (VM or container) is on `node`, e.g. before its maintenance."""
    left = [g.sid for g in state.guests_on(node)]
    if left:
        return Outcome.fail(f"{', '.join(left)} {'is' if len(left) == 1 else 'are'} still on {node}; "
                            "migrate every guest away first (qm migrate --online / pct migrate --restart)")
    return Outcome.ok(f"no guest is on {node}")
