"""Seeded variants: deterministic per (student, question, attempt), spread across students."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from courseware.quiz import make_seed
from courseware.quiz.schema import Variant
from courseware.quiz.variants import (
    FUNCTIONS,
    VariantError,
    ceph_io_state,
    evaluate,
    failures_tolerated,
    percent_used,
    quorum,
    quorum_for_nodes,
    render,
)

VARIANT = Variant.model_validate({
    "params": {"nodes": {"range": [2, 9]}, "site": {"choices": ["a", "b", "c"]}},
    "derived": {"q": {"fn": "quorum_for_nodes", "args": {"nodes": "$nodes"}}},
})


def test_the_same_student_question_and_attempt_give_the_same_seed() -> None:
    assert make_seed(42, "w6-q", 1) == make_seed(42, "w6-q", 1)
    assert make_seed("42", "w6-q", 1) == make_seed(42, "w6-q", 1)
    assert len({make_seed(42, "w6-q", 1), make_seed(43, "w6-q", 1), make_seed(42, "w6-r", 1),
                make_seed(42, "w6-q", 2)}) == 4


def test_seeds_are_stable_across_processes() -> None:
    # SHA-256 based, never Python's salted hash(): this value must never change.
    assert make_seed(1, "w6-cp02-quorum-for-n", 1) == 9003585550059132830


def test_evaluate_is_deterministic_and_covers_several_variants() -> None:
    assert evaluate(VARIANT, 7) == evaluate(VARIANT, 7)
    seen = {evaluate(VARIANT, make_seed(student, "q", 1))["nodes"] for student in range(200)}
    assert seen == set(range(2, 10))
    for seed in range(50):
        v = evaluate(VARIANT, seed)
        assert v["q"] == v["nodes"] // 2 + 1


@pytest.mark.parametrize(("nodes", "q", "f"), [(2, 2, 0), (3, 2, 1), (4, 3, 1), (5, 3, 2), (6, 4, 2), (7, 4, 3)])
def test_quorum_table_of_section_two(nodes: int, q: int, f: int) -> None:
    assert quorum_for_nodes(nodes) == q
    assert failures_tolerated(nodes) == f


def test_a_qdevice_lets_a_two_node_cluster_survive_one_failure() -> None:
    assert quorum_for_nodes(2, qdevice_votes=1) == 2
    assert failures_tolerated(2, qdevice_votes=1) == 1


@given(st.integers(min_value=1, max_value=1000))
def test_quorum_is_always_a_strict_majority(expected: int) -> None:
    q = quorum(expected)
    assert q > expected / 2 >= q - 1


def test_ceph_and_pvesm_functions() -> None:
    assert [ceph_io_state(3, 2, d) for d in range(4)] == ["clean", "degraded", "blocked", "blocked"]
    assert percent_used(15214432, 98559220) == 15.44
    assert percent_used(10256402, 366276608) == 2.80


def test_unknown_function_and_bad_reference_are_authoring_errors() -> None:
    bad_fn = Variant.model_validate({"params": {"n": {"range": [1, 2]}}, "derived": {"q": {"fn": "nope"}}})
    with pytest.raises(VariantError, match="unknown function 'nope'"):
        evaluate(bad_fn, 0)
    bad_ref = Variant.model_validate({
        "params": {"n": {"range": [1, 2]}}, "derived": {"q": {"fn": "quorum", "args": {"expected_votes": "$m"}}},
    })
    with pytest.raises(VariantError, match="'\\$m' is not a param"):
        evaluate(bad_ref, 0)
    bad_arg = Variant.model_validate({
        "params": {"n": {"range": [1, 2]}}, "derived": {"q": {"fn": "quorum", "args": {"votes": "$n"}}},
    })
    with pytest.raises(VariantError, match="quorum\\(\\)"):
        evaluate(bad_arg, 0)


def test_render_fills_placeholders_and_refuses_unknown_ones() -> None:
    assert render("{{ nodes }} nodes, quorum {{q}}", {"nodes": 5, "q": 3.0}) == "5 nodes, quorum 3"
    with pytest.raises(VariantError, match="placeholder"):
        render("{{missing}}", {})


def test_every_registered_function_is_pure_and_documented() -> None:
    for name, fn in FUNCTIONS.items():
        assert fn.__name__ and callable(fn), name
