"""Simulator-checked answers: run one command on a fresh copy of a scenario, then test a condition.

The quiz engine sees the simulator only through the `SimulatorChecker`
protocol, so grading stays pure and tests can pass a fake. `ClusterChecker`
is the real implementation on the cluster simulator (`simulator/`), which is
imported lazily: the quiz package imports and loads content without it.

How a check runs: the question's inline topology becomes a simulator scenario
(`simulator.scenario.build`), nodes marked offline are powered off, HA
resources are added, the student's command line runs on the question's node
(`Cluster.run`), virtual time advances by SETTLE_SECONDS so tasks and HA
rounds finish, and the condition is evaluated on the resulting cluster.

A `ScenarioRef` names a starting point of `simulator.scenario.library`; every
cluster the simulator builds runs its HA stack, so `ha_resource` conditions
and `ha_resources` in a topology need nothing more.
"""

from __future__ import annotations

import importlib
import json
from dataclasses import dataclass
from typing import Any, Protocol

from .schema import Condition, ScenarioRef, Topology

SETTLE_SECONDS = 60.0
NODE_IP = "192.168.1.{}"
QNETD = {"name": "qnetd", "ip": "192.168.1.20"}


@dataclass(frozen=True)
class SimOutcome:
    passed: bool
    message: str = ""
    output: str = ""


class SimulatorChecker(Protocol):
    def check(
        self, scenario: Topology | ScenarioRef, node: str, command_line: str, condition: Condition
    ) -> SimOutcome: ...


class SimulatorMissing(RuntimeError):
    """The simulator (or the part a question needs) is not available."""


def _simulator_scenario() -> Any | None:
    try:
        return importlib.import_module("simulator.scenario")
    except ImportError:
        return None


def simulator_available() -> bool:
    module = _simulator_scenario()
    return module is not None and hasattr(module, "build") and hasattr(module, "check_expectations")


def topology_to_scenario(topology: Topology) -> dict[str, Any]:
    """The simulator's scenario document for an inline topology (pure; used by tests too)."""
    names = [n.name for n in topology.nodes]
    storages = [
        {"id": sid, "type": "rbd", "content": ["images", "rootdir"], "pool": sid} for sid in topology.shared_storage
    ]
    guests = []
    for g in topology.guests:
        disk_key = "scsi0" if g.type == "qemu" else "rootfs"
        guests.append({
            "vmid": g.vmid, "type": g.type, "node": g.node, "name": f"guest{g.vmid}",
            "disks": {disk_key: f"{g.storage}:32"}, "running": g.status == "running",
        })
    data: dict[str, Any] = {
        "seed": 0,
        "topology": {
            "nodes": [{"name": n, "ip": NODE_IP.format(11 + i)} for i, n in enumerate(names)],
            "hosts": [QNETD] if topology.qdevice else [],
            "cluster": {
                "name": topology.cluster_name, "nodes": names,
                "votes": {n.name: n.votes for n in topology.nodes},
            },
            "storages": storages,
            "guests": guests,
        },
    }
    if topology.qdevice:
        data["topology"]["qdevice"] = {"host": QNETD["ip"]}
    return data


class ClusterChecker:
    """Builds a fresh simulated cluster per check; nothing is shared between checks."""

    def __init__(self, scenario_module: Any) -> None:
        self.scenario = scenario_module

    def build(self, source: Topology | ScenarioRef) -> Any:
        if isinstance(source, ScenarioRef):
            library = getattr(self.scenario, "library", None)
            if library is None:
                raise SimulatorMissing(f"the simulator has no scenario library for '{source.ref}'")
            return self.scenario.build(library(source.ref))
        cluster = self.scenario.build(topology_to_scenario(source))
        for n in source.nodes:
            if not n.online:
                cluster.apply_fault(f"power {n.name} off")
        first_online = next((n.name for n in source.nodes if n.online), None)
        for sid in source.ha_resources:
            result = cluster.run(first_online, f"ha-manager add {sid}")
            if not result.ok:
                raise SimulatorMissing(f"cannot set up HA resource {sid}: {result.output.strip()}")
        if source.ha_resources:
            cluster.advance(SETTLE_SECONDS)
        return cluster

    def check(
        self, scenario: Topology | ScenarioRef, node: str, command_line: str, condition: Condition
    ) -> SimOutcome:
        cluster = self.build(scenario)
        needs_ha = condition.ha_resource is not None or command_line.split()[:1] == ["ha-manager"]
        if needs_ha and not _has_command(cluster, "ha-manager"):
            # Grading this as wrong would punish the student for a missing simulator feature.
            raise SimulatorMissing("the simulator's HA stack (ha-manager) is not available yet")
        result = cluster.run(node, command_line)
        cluster.advance(SETTLE_SECONDS)
        failures = self.failures(cluster, condition)
        return SimOutcome(passed=not failures, message="; ".join(failures), output=result.output[:4000])

    def failures(self, cluster: Any, c: Condition) -> list[str]:
        expect = self.scenario.check_expectations
        if c.quorate_on is not None:
            wrong = expect(cluster, [{"quorate": {c.quorate_on: True}}])
            return [f"{c.quorate_on} is not quorate"] if wrong else []
        if c.not_quorate_on is not None:
            wrong = expect(cluster, [{"quorate": {c.not_quorate_on: False}}])
            return [f"{c.not_quorate_on} is quorate"] if wrong else []
        if c.expected_votes_on is not None:
            out = []
            for node, want in c.expected_votes_on.items():
                got = cluster.quorum(node).get("expected_votes")
                if got != want:
                    out.append(f"expected votes on {node} are {got}, not {want}")
            return out
        if c.guest_on is not None:
            want = {"vmid": c.guest_on.vmid, "node": c.guest_on.node}
            if c.guest_on.status is not None:
                want["status"] = c.guest_on.status
            return expect(cluster, [{"guest": want}])
        if c.ha_resource is not None:
            return _ha_failures(cluster, c.ha_resource.sid, c.ha_resource.state)
        raise ValueError("empty condition")  # pragma: no cover - the schema forbids it


def _has_command(cluster: Any, name: str) -> bool:
    try:
        cli = importlib.import_module("simulator.cli")
    except ImportError:
        return False
    return cli.lookup(cluster, name) is not None


def _ha_failures(cluster: Any, sid: str, state: str) -> list[str]:
    """Read the CRM's manager_status from /etc/pve as any node sees it."""
    for node in sorted(cluster.nodes):
        try:
            raw = cluster.cfs_read(node, "ha/manager_status")
        except Exception:  # noqa: S112 - an offline node cannot be read; try the next
            continue
        if raw:
            service = json.loads(raw).get("service_status", {}).get(sid)
            if service is None:
                return [f"{sid} is not managed by HA"]
            got = service.get("state")
            return [] if got == state else [f"{sid} is {got}, expected {state}"]
    return [f"{sid} is not managed by HA (no HA manager status)"]


def default_checker() -> SimulatorChecker | None:
    return ClusterChecker(_simulator_scenario()) if simulator_available() else None
