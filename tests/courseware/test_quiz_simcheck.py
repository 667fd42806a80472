"""Simulator-checked questions on the real cluster simulator: examples pass, wrong examples fail."""

from __future__ import annotations

import pytest

from courseware.quiz import Course, GradingUnavailable, grade
from courseware.quiz.schema import SimulatorCheck, Topology
from courseware.quiz.simcheck import default_checker, simulator_available, topology_to_scenario

pytestmark = pytest.mark.skipif(not simulator_available(), reason="the cluster simulator is not importable")


def _sim_questions(course: Course) -> list[SimulatorCheck]:
    return [q for _, q in course.questions() if isinstance(q, SimulatorCheck)]


def test_topology_becomes_a_simulator_scenario() -> None:
    topo = Topology.model_validate({
        "nodes": [{"name": "pve1"}, {"name": "pve2", "online": False}],
        "guests": [{"vmid": 100, "node": "pve1", "storage": "ceph-vm"}], "shared_storage": ["ceph-vm"],
    })
    data = topology_to_scenario(topo)
    assert data["topology"]["cluster"]["nodes"] == ["pve1", "pve2"]
    assert data["topology"]["guests"][0]["disks"] == {"scsi0": "ceph-vm:32"}
    assert data["topology"]["storages"][0]["type"] == "rbd"


def _grade_or_skip(q: SimulatorCheck, answer: str):
    try:
        return grade(q, answer, 0, checker=default_checker())
    except GradingUnavailable as exc:
        pytest.skip(f"{q.id}: {exc}")


def test_every_simulator_question_accepts_its_example_answer(course: Course) -> None:
    questions = _sim_questions(course)
    assert len(questions) >= 3
    graded = 0
    for q in questions:
        try:
            result = grade(q, q.example_answer, 0, checker=default_checker())
        except GradingUnavailable:
            continue  # e.g. HA questions before the simulator's HA stack is installed
        assert result.correct is True, (q.id, result.feedback, result.details)
        graded += 1
    assert graded >= 3


def test_every_simulator_question_rejects_its_wrong_examples(course: Course) -> None:
    for q in _sim_questions(course):
        assert q.wrong_examples, q.id
        for answer in q.wrong_examples:
            try:
                result = grade(q, answer, 0, checker=default_checker())
            except GradingUnavailable:
                continue
            assert result.correct is False, (q.id, answer)


def test_a_check_never_changes_anything_shared(course: Course) -> None:
    q = next(q for q in _sim_questions(course) if q.id == "w6-cp04-sim-two-node")
    assert _grade_or_skip(q, "pvecm expected 1").correct is True
    assert _grade_or_skip(q, "pvecm status").correct is False  # a fresh cluster, not the one above


def test_ha_questions_are_not_graded_wrong_when_ha_is_missing(course: Course) -> None:
    q = next(q for q in _sim_questions(course) if q.id == "w6-cp03-sim-ha-add")
    try:
        result = grade(q, q.example_answer, 0, checker=default_checker())
    except GradingUnavailable as exc:
        assert "ha-manager" in str(exc)
    else:
        assert result.correct is True
