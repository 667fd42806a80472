"""Behaviour probes: faults on a fork of the student's simulated cluster, never on the cluster itself."""

from __future__ import annotations

import json

import pytest

from grader import selftest
from grader.labs import load_lab
from grader.probes import run_probe, runner_for
from grader.rubric import Probe, ProbeError, grade

HA_LAB = selftest.DEFAULT_LABS / "high-availability"


@pytest.fixture(scope="module")
def ha_lab():
    return load_lab(HA_LAB)


@pytest.fixture
def solved(ha_lab):
    cluster, _context, failures = selftest.play(ha_lab, ha_lab.solution)
    assert failures == []
    return cluster


def frozen(cluster) -> str:
    return json.dumps(cluster.to_json(), sort_keys=True)


def test_a_probe_recovers_the_vm_on_the_fork_and_leaves_the_students_cluster_unchanged(solved):
    before = frozen(solved)
    state = run_probe(solved, Probe(steps=["power {node_of:100} off", "delay 300"]))
    assert frozen(solved) == before
    assert state.ha.resource("vm:100").node == "pve2"
    assert state.ha.resource("vm:100").crm_state == "started"
    assert not state.node("pve1").online
    assert solved.nodes["pve1"].power


def test_grading_with_probes_does_not_change_the_students_cluster(ha_lab, solved):
    from grader.probes import collect_simulated

    before = frozen(solved)
    report = grade(collect_simulated(solved), ha_lab.rubric, probe_runner=runner_for(solved))
    assert report.score == 1.0
    assert frozen(solved) == before


def test_probes_start_from_the_same_snapshot_and_never_see_each_other(solved):
    runner = runner_for(solved)
    first = runner(Probe(steps=["power pve2 off", "delay 30"]))
    second = runner(Probe(steps=["delay 30"]))
    assert not first.node("pve2").online
    assert second.node("pve2").online


def test_node_of_names_the_node_a_guest_is_on_when_the_probe_starts(solved):
    state = run_probe(solved, Probe(steps=["network {node_of:101} off", "delay 30"]))
    assert not state.node("pve1").online


def test_a_probe_step_on_an_unknown_node_is_a_probe_error(solved):
    with pytest.raises(ProbeError, match="power pve9 off"):
        run_probe(solved, Probe(steps=["power pve9 off"]))


def test_a_probe_about_a_missing_guest_is_a_probe_error(solved):
    with pytest.raises(ProbeError, match="guest 999"):
        run_probe(solved, Probe(steps=["power {node_of:999} off"]))


def test_a_snapshot_dict_can_be_probed_as_well_as_a_cluster(solved):
    state = run_probe(solved.to_json(), Probe(steps=["delay 10"]))
    assert state.cluster.quorate
