"""Grading each question type, partial credit, and the refusal of malformed answers."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import TypeAdapter

from courseware.quiz import GradingUnavailable, MalformedAnswer, grade
from courseware.quiz import grading as grading_module
from courseware.quiz.schema import Question
from courseware.quiz.simcheck import SimOutcome

Q = TypeAdapter(Question)


def make(**data: Any) -> Question:
    data.setdefault("id", "t-q")
    data.setdefault("prompt", "?")
    data.setdefault("explanation", "because")
    return Q.validate_python(data)


SINGLE = make(type="single_choice", options=[
    {"id": "a", "text": "A", "correct": True},
    {"id": "b", "text": "B", "feedback": "B is the old way."},
])
MULTI = make(type="multiple_choice", options=[
    {"id": "a", "text": "A", "correct": True},
    {"id": "b", "text": "B", "correct": True},
    {"id": "c", "text": "C", "correct": True},
    {"id": "d", "text": "D"},
])
NUMERIC = make(type="numeric", answer=120, tolerance=1, unit="s", units={"s": 1, "min": 60})
TEXT = make(type="short_text", accept=["pvecm expected 1"], patterns=[r"corosync-quorumtool -e 1"])
ORDER = make(type="ordering", items=[{"id": i, "text": i.upper()} for i in "abcd"])
MATCH = make(type="matching", pairs=[
    {"id": "osd", "text": "OSD", "match": "disk"},
    {"id": "mon", "text": "MON", "match": "maps"},
], choices=[{"id": "disk", "text": "disk"}, {"id": "maps", "text": "maps"}, {"id": "x", "text": "x"}])
REFLECT = make(type="reflection", min_words=5)
SIM = make(type="simulator", scenario={"nodes": [{"name": "pve1"}, {"name": "pve2", "online": False}]},
           node="pve1", condition={"quorate_on": "pve1"}, example_answer="pvecm expected 1")


def test_single_choice_right_and_wrong_with_option_feedback() -> None:
    assert grade(SINGLE, "a", 0).correct is True
    wrong = grade(SINGLE, "b", 0)
    assert (wrong.correct, wrong.score, wrong.feedback) == (False, 0.0, "B is the old way.")
    assert wrong.solution == "A" and wrong.explanation == "because"


def test_multiple_choice_gives_partial_credit_minus_wrong_picks() -> None:
    assert grade(MULTI, ["a", "b", "c"], 0).score == 1.0
    assert grade(MULTI, ["a", "b"], 0).score == pytest.approx(2 / 3, abs=1e-4)
    assert grade(MULTI, ["a", "b", "d"], 0).score == pytest.approx(1 / 3, abs=1e-4)
    assert grade(MULTI, ["a", "d"], 0).score == 0.0
    assert grade(MULTI, ["d"], 0).score == 0.0
    assert grade(MULTI, [], 0).correct is False


@pytest.mark.parametrize("answer", [120, 120.9, "120", "119,5 s", "2 min", "2min", " 120 S "])
def test_numeric_accepts_tolerance_units_and_decimal_commas(answer: Any) -> None:
    assert grade(NUMERIC, answer, 0).correct is True


@pytest.mark.parametrize("answer", [118, "3 min", 0])
def test_numeric_rejects_values_outside_the_tolerance(answer: Any) -> None:
    assert grade(NUMERIC, answer, 0).correct is False


def test_numeric_percent_tolerance() -> None:
    q = make(type="numeric", answer=200, tolerance_percent=5)
    assert grade(q, 209, 0).correct and not grade(q, 211, 0).correct


@pytest.mark.parametrize("answer", [
    "pvecm expected 1", "  PVECM   expected 1 ", "root@pve1:~# pvecm expected 1", "# pvecm expected 1",
    "corosync-quorumtool -e 1",
])
def test_short_text_normalises_and_matches_patterns(answer: str) -> None:
    assert grade(TEXT, answer, 0).correct is True


@pytest.mark.parametrize("answer", ["pvecm expected 2", "pvecm expected 1 && reboot", "xcorosync-quorumtool -e 1"])
def test_short_text_patterns_are_anchored(answer: str) -> None:
    assert grade(TEXT, answer, 0).correct is False


def test_short_text_can_be_case_sensitive() -> None:
    q = make(type="short_text", accept=["vm:100"], case_sensitive=True)
    assert grade(q, "vm:100", 0).correct and not grade(q, "VM:100", 0).correct


def test_ordering_scores_pairs_in_order() -> None:
    assert grade(ORDER, ["a", "b", "c", "d"], 0).score == 1.0
    swapped = grade(ORDER, ["b", "a", "c", "d"], 0)
    assert swapped.correct is False and swapped.score == pytest.approx(5 / 6, abs=1e-4)
    assert grade(ORDER, ["d", "c", "b", "a"], 0).score == 0.0


def test_matching_scores_each_pair() -> None:
    assert grade(MATCH, {"osd": "disk", "mon": "maps"}, 0).correct is True
    half = grade(MATCH, {"osd": "disk", "mon": "x"}, 0)
    assert (half.correct, half.score) == (False, 0.5)
    assert grade(MATCH, {"osd": "disk"}, 0).score == 0.5


def test_reflection_is_stored_for_review() -> None:
    result = grade(REFLECT, "one two three four five six", 0)
    assert (result.status, result.correct, result.score) == ("stored", None, None)


@pytest.mark.parametrize(("question", "answer", "message"), [
    (SINGLE, "z", "unknown option id"),
    (SINGLE, ["a"], "expected a text answer"),
    (SINGLE, None, "expected a text answer"),
    (MULTI, ["a", "zz"], "unknown option id"),
    (MULTI, "a", "expected a list"),
    (MULTI, ["a", "a"], "given twice"),
    (MULTI, [1, 2], "expected a list"),
    (NUMERIC, True, "expected a number"),
    (NUMERIC, "twelve", "is not a number"),
    (NUMERIC, "120 h", "unit 'h' is not accepted"),
    (NUMERIC, {"value": 1}, "expected a number"),
    (NUMERIC, float("nan"), "not a plain JSON value"),
    (TEXT, "a" * 301, "too long"),
    (TEXT, "pvecm\nexpected 1", "single line"),
    (ORDER, ["a", "b", "c"], "order all 4 items"),
    (ORDER, ["a", "b", "c", "e"], "unknown item id"),
    (MATCH, {"osd": "disk", "pg": "maps"}, "unknown id"),
    (MATCH, ["disk", "maps"], "expected an object"),
    (MATCH, {"osd": 3}, "expected an object"),
    (REFLECT, "too short", "at least 5 words"),
    (SIM, "pvecm expected 1\nreboot", "exactly one command line"),
    (TEXT, {"x": "y" * 30000}, "too large"),
    (NUMERIC, 10**400, "too large"),
    (NUMERIC, "1e999", "finite"),
    (MULTI, ["a"] * 10000, "too large"),
])
def test_malformed_answers_raise_a_clear_error(question: Question, answer: Any, message: str) -> None:
    with pytest.raises(MalformedAnswer, match=message):
        grade(question, answer, 0)


class FakeChecker:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def check(self, scenario, node, command_line, condition) -> SimOutcome:
        self.calls.append((node, command_line))
        ok = command_line == "pvecm expected 1"
        return SimOutcome(passed=ok, message="" if ok else "pve1 is still not quorate", output="")


def test_simulator_questions_are_graded_by_the_checker() -> None:
    checker = FakeChecker()
    assert grade(SIM, "root@pve1:~#  pvecm   expected 1", 0, checker=checker).correct is True
    wrong = grade(SIM, "pvecm status", 0, checker=checker)
    assert wrong.correct is False and wrong.feedback == "pve1 is still not quorate"
    assert checker.calls == [("pve1", "pvecm expected 1"), ("pve1", "pvecm status")]


class BrokenChecker:
    def check(self, scenario, node, command_line, condition) -> SimOutcome:
        raise KeyError("simulator bug")


def test_a_simulator_crash_is_not_gradable_rather_than_wrong() -> None:
    with pytest.raises(GradingUnavailable, match="could not check"):
        grade(SIM, "pvecm expected 1", 0, checker=BrokenChecker())


def test_simulator_questions_without_a_simulator_are_not_gradable(monkeypatch) -> None:
    monkeypatch.setattr(grading_module, "default_checker", lambda: None)
    with pytest.raises(GradingUnavailable):
        grade(SIM, "pvecm expected 1", 0)


def test_deeply_nested_payloads_are_refused() -> None:
    nested: list = []
    for _ in range(5000):
        nested = [nested]
    with pytest.raises(MalformedAnswer):
        grade(MULTI, nested, 0)


def test_grade_result_serialises_to_plain_json() -> None:
    import json

    data = grade(MULTI, ["a"], 0).to_dict()
    assert json.loads(json.dumps(data))["score"] == pytest.approx(1 / 3, abs=1e-4)
