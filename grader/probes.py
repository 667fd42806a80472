"""Behaviour probes: grade what a simulated cluster *does*, on a fork of it.

`run_probe(cluster, probe)` copies the student's cluster through its JSON
(`Cluster.from_json(cluster.to_json())`), applies the probe's steps to the
copy (`power pve2 off`, `network pve3 off`, `delay 180`; `{node_of:100}`
stands for the node guest 100 is on when the probe starts), lets time pass,
and collects the copy's state document in-process, exactly as a submission
is collected. The rubric item's check is then evaluated on that document.
The student's own cluster is never touched: it is only read, once, to fork.

`runner_for(cluster)` gives the `probe_runner` that `grader.rubric.grade`
takes; it forks from one frozen snapshot, so several probes in one report
start from the same state and never see each other's faults.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from grader.rubric import Probe, ProbeError, ProbeRunner

if TYPE_CHECKING:
    from simulator.cluster import Cluster

PLACEHOLDER = re.compile(r"\{node_of:(?P<vmid>\d+)\}")


def fork(snapshot: dict[str, Any]) -> Cluster:
    from simulator.cluster import Cluster

    return Cluster.from_json(json.loads(json.dumps(snapshot)))


def collect_simulated(cluster: Cluster) -> Any:
    """The state document of a simulated cluster, through the one collector, in-process."""
    from grader.backends.simulator import SimulatorClient
    from grader.collect import collect

    result = collect(SimulatorClient(cluster), max_workers=1)  # in process, threads only add overhead
    if isinstance(result, tuple):
        return result[0]
    return getattr(result, "state", result)


def resolve(step: str, cluster: Cluster) -> str:
    def node_of(match: re.Match[str]) -> str:
        vmid = int(match["vmid"])
        for guest in cluster.guests():
            if guest["vmid"] == vmid:
                return str(guest["node"])
        raise ProbeError(f"the probe needs guest {vmid}, which does not exist on this cluster")

    return PLACEHOLDER.sub(node_of, step)


def apply_steps(cluster: Cluster, probe: Probe) -> list[str]:
    """Apply the probe's steps to `cluster` (a fork!); returns what was done, for the evidence."""
    from simulator.errors import PveError

    done = []
    for raw in probe.steps:
        step = resolve(raw, cluster)
        words = step.split()
        if words[0] == "delay":
            cluster.advance(float(words[1]))
        else:
            try:
                cluster.apply_fault(step)
            except PveError as exc:
                raise ProbeError(f"probe step '{step}' failed: {exc.message}") from None
        done.append(step)
    if probe.settle:
        cluster.advance(probe.settle)
    return done


def run_probe(cluster: Cluster | dict[str, Any], probe: Probe) -> Any:
    """The state document of a fork of `cluster` after `probe` (the cluster itself is unchanged)."""
    snapshot = cluster if isinstance(cluster, dict) else cluster.to_json()
    copy = fork(snapshot)
    apply_steps(copy, probe)
    return collect_simulated(copy)


def runner_for(cluster: Cluster | dict[str, Any], **_context: Any) -> ProbeRunner:
    """A probe runner over one frozen snapshot of `cluster` (for `grade(..., probe_runner=...)`)."""
    snapshot = json.loads(json.dumps(cluster if isinstance(cluster, dict) else cluster.to_json()))

    def runner(probe: Probe) -> Any:
        return run_probe(snapshot, probe)

    return runner
