"""Property on the cluster simulator: random faults and clean shutdowns/reboots never run an HA VM twice."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.cluster import Cluster
from simulator.ha.cluster_env import install
from simulator.scenario import build


@st.composite
def cases(draw: st.DrawFn, clean: bool = False) -> tuple[int, dict[int, str], list[tuple]]:
    count = draw(st.integers(3, 7))
    nodes = [f"pve{i}" for i in range(1, count + 1)]
    vmids = draw(st.lists(st.integers(100, 110), min_size=1, max_size=5, unique=True))
    placement = {vmid: draw(st.sampled_from(nodes)) for vmid in vmids}
    switch = st.tuples(st.sampled_from(["power", "network"]), st.sampled_from(nodes), st.booleans())
    link = st.tuples(st.just("link"), st.sampled_from(nodes), st.sampled_from(nodes), st.booleans())
    delay = st.tuples(st.just("delay"), st.integers(10, 200))
    kinds = [switch, link, delay]
    if clean:  # a clean shutdown or reboot under a random shutdown policy
        policy = st.sampled_from(["conditional", "freeze", "failover", "migrate"])
        kinds.append(st.tuples(st.just("shutdown"), st.sampled_from(nodes), st.booleans(), policy))
    return count, placement, draw(st.lists(st.one_of(*kinds), max_size=10))


def make(count: int, placement: dict[int, str]) -> Cluster:
    nodes = [{"name": f"pve{i}", "ip": f"10.0.0.{i}"} for i in range(1, count + 1)]
    guests = [{"vmid": v, "type": "qemu", "node": n, "name": f"vm{v}", "running": True} for v, n in placement.items()]
    cluster = build({"topology": {"nodes": nodes, "cluster": {"name": "lab"}, "guests": guests}})
    install(cluster)
    for vmid in placement:
        assert cluster.run("pve1", f"ha-manager add vm:{vmid}").exit_code == 0
    return cluster


class Invariants:
    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.last_ran: dict[tuple[int, str], float] = {}
        self.power_off: dict[str, list[float]] = {}
        self.mark = cluster.log.mark()

    def check(self) -> None:
        cluster = self.cluster
        for vmid in {v for n in cluster.nodes.values() for v in n.running}:
            where = [name for name, n in cluster.nodes.items() if n.is_running(vmid)]
            assert len(where) <= 1, f"VM {vmid} runs on {where} at t={cluster.clock.now}"
        for entry in cluster.log.since(self.mark):
            if entry.source == "sim" and entry.message.endswith(": power off"):
                self.power_off.setdefault(entry.node, []).append(entry.time)
            if entry.source == "pve-ha-crm" and entry.message.startswith("recover service 'vm:"):
                self._check_recovery(entry.time, entry.message)
        self.mark = cluster.log.mark()
        for name, node in cluster.nodes.items():
            for vmid in node.running:
                self.last_ran[(vmid, name)] = cluster.clock.now

    def _check_recovery(self, when: float, message: str) -> None:
        vmid = int(message.split("'")[1].split(":")[1])
        fenced = message.split("'")[3]
        assert not self.cluster.nodes[fenced].is_running(vmid), f"VM {vmid} still runs on fenced {fenced}"
        ran = self.last_ran.get((vmid, fenced))
        if ran is not None:
            offs = self.power_off.get(fenced, [])
            assert any(ran <= t <= when for t in offs), f"{fenced} not powered off between {ran} and {when}"


def play(count: int, placement: dict[int, str], actions: list[tuple[Any, ...]]) -> Cluster:
    cluster = make(count, placement)
    checker = Invariants(cluster)

    def wait(seconds: int) -> None:
        for _ in range(max(1, seconds // 10)):
            cluster.advance(10)
            checker.check()

    wait(40)
    for action in actions:
        if action[0] == "delay":
            wait(action[1])
        elif action[0] == "shutdown":
            node = cluster.nodes[action[1]]
            if node.power and node.shutdown is None:
                cluster.run("pve1", f"pvesh set /cluster/options --ha shutdown_policy={action[3]}")
                cluster.shutdown_node(action[1], reboot=action[2])
            wait(10)
        elif action[0] == "link":
            if action[1] != action[2]:
                cluster.link(action[1], action[2], action[3])
            wait(10)
        else:
            getattr(cluster, action[0])(action[1], action[2])
            wait(10)
    wait(300)
    return cluster


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_random_faults_never_run_a_vm_twice_and_fence_before_recovery(case: tuple) -> None:
    play(*case)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases(clean=True))
def test_random_faults_with_clean_shutdowns_and_reboots_never_run_a_vm_twice(case: tuple) -> None:
    play(*case)


def test_a_partition_into_majority_and_minority_recovers_the_minoritys_vms_once() -> None:
    cluster = make(5, {100: "pve5", 101: "pve1"})
    checker = Invariants(cluster)
    cluster.advance(40)
    cluster.partition([["pve1", "pve2", "pve3"], ["pve4", "pve5"]])
    for _ in range(40):
        cluster.advance(10)
        checker.check()
    assert [n for n, node in cluster.nodes.items() if node.is_running(100)] in (["pve2"], ["pve3"])
    assert not cluster.nodes["pve5"].power
    assert cluster.nodes["pve4"].power, "pve4 had no HA service: its LRM was idle and must not self-fence"


def test_forcing_quorum_by_hand_on_both_sides_is_how_a_vm_ends_up_running_twice() -> None:
    """The one exception to the property above: `pvecm expected 1` on both halves (split brain)."""
    cluster = make(2, {100: "pve2"})
    cluster.advance(30)
    cluster.partition([["pve1"], ["pve2"]])
    cluster.advance(30)
    assert [n for n, node in cluster.nodes.items() if node.is_running(100)] == ["pve2"]
    for node in ("pve1", "pve2"):
        assert cluster.run(node, "pvecm expected 1").exit_code == 0
    cluster.advance(300)
    assert sorted(n for n, node in cluster.nodes.items() if node.is_running(100)) == ["pve1", "pve2"]
