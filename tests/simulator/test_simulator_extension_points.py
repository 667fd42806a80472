"""What other packages plug in: subsystems, commands, the guest request hook, events."""

from __future__ import annotations

import json
from typing import Any

from simulator.cli import COMMANDS, Context, register_command
from simulator.cluster import Cluster
from simulator.subsystems import (
    EVENT_HANDLERS,
    SUBSYSTEM_TYPES,
    GuestRequest,
    register_event_handler,
    register_subsystem_type,
)


class Counter:
    def __init__(self, state: dict[str, Any] | None = None) -> None:
        self.ticks: list[float] = list((state or {}).get("ticks", []))
        self.attached = 0

    def tick(self, cluster: Cluster, now: float) -> None:
        self.ticks.append(now)

    def to_json(self) -> dict[str, Any]:
        return {"ticks": self.ticks}

    def attach(self, cluster: Cluster) -> None:
        self.attached += 1


def test_subsystems_tick_in_virtual_time_and_survive_a_restore(cluster: Cluster) -> None:
    register_subsystem_type("counter", Counter)
    try:
        cluster.register_subsystem("counter", Counter(), interval=10)
        cluster.advance(35)
        assert cluster.subsystems["counter"].ticks == [10, 20, 30]  # type: ignore[attr-defined]
        restored = Cluster.from_json(json.loads(json.dumps(cluster.to_json())))
        assert restored.subsystems["counter"].attached == 1  # type: ignore[attr-defined]
        restored.advance(10)
        assert restored.subsystems["counter"].ticks == [10, 20, 30, 40]  # type: ignore[attr-defined]
    finally:
        SUBSYSTEM_TYPES.pop("counter", None)


def test_an_unknown_subsystems_state_is_kept_verbatim(cluster: Cluster) -> None:
    saved = cluster.to_json()
    saved["subsystems"]["ceph"] = {"osds": [1, 2, 3]}
    restored = Cluster.from_json(saved)
    assert restored.to_json()["subsystems"]["ceph"] == {"osds": [1, 2, 3]}


def test_a_registered_command_runs_in_the_shell(cluster: Cluster) -> None:
    def hello(ctx: Context, args: list[str]) -> str:
        return f"hello from {ctx.node} as {ctx.user}: {' '.join(args)}"

    register_command("hello-sim", hello)
    try:
        assert cluster.run("pve2", "hello-sim a b", "bob@pve").output == "hello from pve2 as bob@pve: a b"
    finally:
        COMMANDS.pop("hello-sim")
    cluster.register_command("only-here", hello)
    assert cluster.run("pve1", "only-here").ok
    assert not Cluster.lab_start().run("pve1", "only-here").ok


def test_the_guest_request_hook_can_take_over_qm_start(cluster: Cluster) -> None:
    seen: list[GuestRequest] = []

    def hook(c: Cluster, request: GuestRequest) -> str | None:
        seen.append(request)
        return f"Requesting HA start for VM {request.vmid}" if request.action == "start" else None

    cluster.guest_request_hook = hook
    cluster.run("pve1", "qm stop 101")
    assert cluster.run("pve1", "qm start 101").output == "Requesting HA start for VM 101"
    assert not cluster.guest_is_running(101)
    assert [(r.action, r.vmid, r.node) for r in seen] == [("stop", 101, "pve1"), ("start", 101, "pve1")]


def test_scheduled_events_reach_their_registered_handler(cluster: Cluster) -> None:
    fired: list[float] = []
    register_event_handler("test-ping", lambda c, data: fired.append(c.clock.now + data["x"]))
    try:
        cluster.schedule(5, "test-ping", {"x": 1})
        cluster.advance(4)
        assert fired == []
        cluster.advance(1)
        assert fired == [6.0]
    finally:
        EVENT_HANDLERS.pop("test-ping")


def test_guest_operations_are_plain_methods(cluster: Cluster) -> None:
    cluster.stop_guest("pve1", 101, "qemu")
    assert not cluster.guest_is_running(101)
    cluster.start_guest("pve1", 101, "qemu", user="root@pam")
    assert cluster.guest_is_running(101)
    cluster.move_guest_config("pve2", 100, "pve2")
    assert cluster.guest_location(100) == "pve2"
