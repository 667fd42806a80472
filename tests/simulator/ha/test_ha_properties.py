"""Property: under random power and network faults HA never runs a VM twice and fences before recovering."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.ha.harness import loop_length, new_world, run_loop, sim_hardware_cmd
from simulator.ha.testhw import Hardware


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[int, dict[str, dict[str, str]], list[tuple]]:
    count = draw(st.integers(3, 7))
    nodes = [f"node{i}" for i in range(1, count + 1)]
    vmids = draw(st.lists(st.integers(100, 120), min_size=1, max_size=6, unique=True))
    services = {f"vm:{vmid}": {"node": draw(st.sampled_from(nodes)), "state": "started"} for vmid in vmids}
    fault = st.tuples(st.sampled_from(["power", "network"]), st.sampled_from(nodes), st.sampled_from(["on", "off"]))
    delay = st.tuples(st.just("delay"), st.integers(1, 12))
    actions = draw(st.lists(st.one_of(fault, delay), max_size=12))
    return count, services, actions


class Watcher:
    """Checks the invariants after every loop and remembers where each VM last ran."""

    def __init__(self, hw: Hardware) -> None:
        self.hw = hw
        self.last_ran: dict[tuple[str, str], int] = {}
        self.seen_history = 0

    def check(self) -> None:
        hw = self.hw
        for sid in hw.service_config:
            running = [n for n, services in hw.service_status.items() if services.get(sid)]
            assert len(running) <= 1, f"{sid} runs on {running} at t={hw.cur_time}"
            for node in running:
                self.last_ran[(sid, node)] = hw.cur_time
        for when, event, subject in hw.history[self.seen_history:]:
            if event == "recovered-from":
                sid, node = subject.split()
                self._check_fenced(when, sid, node)
        self.seen_history = len(hw.history)

    def _check_fenced(self, when: int, sid: str, node: str) -> None:
        assert not self.hw.service_status[node].get(sid), f"{sid} still runs on fenced {node} at t={when}"
        ran = self.last_ran.get((sid, node))
        if ran is None:
            return
        offs = [t for t, event, subject in self.hw.history if event == "power-off" and subject == node]
        assert any(ran <= t <= when for t in offs), f"{node} was not powered off between t={ran} and t={when}"


def play(count: int, services: dict[str, dict[str, str]], actions: list[tuple]) -> Hardware:
    hw = new_world(count, services)
    nodes, looptime, watcher = sorted(hw.nodes), loop_length(hw), Watcher(hw)

    def loops(n: int) -> None:
        for _ in range(n):
            run_loop(hw, nodes, {}, looptime)
            watcher.check()

    loops(3)
    for action in actions:
        if action[0] == "delay":
            loops(action[1])
        else:
            sim_hardware_cmd(hw, f"{action[0]} {action[1]} {action[2]}", "cmdlist")
            loops(1)
    loops(20)
    return hw


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_no_vm_ever_runs_twice_and_fenced_nodes_are_off_before_recovery(case: tuple) -> None:
    play(*case)


def test_a_healthy_cluster_runs_every_vm_exactly_once() -> None:
    hw = play(5, {f"vm:{100 + i}": {"node": f"node{i % 5 + 1}", "state": "started"} for i in range(8)}, [])
    for sid in hw.service_config:
        assert sum(1 for s in hw.service_status.values() if s.get(sid)) == 1


def test_recovery_after_a_network_failure_follows_a_watchdog_power_off() -> None:
    hw = play(4, {"vm:100": {"node": "node2", "state": "started"}}, [("network", "node2", "off"), ("delay", 15)])
    events = [event for _t, event, subject in hw.history if subject.startswith(("node2", "vm:100"))]
    assert events.index("watchdog-fenced") < events.index("recovered-from")
    assert sum(1 for s in hw.service_status.values() if s.get("vm:100")) == 1
