"""Checkpoint policy: decreasing points per attempt, late credit, feedback timing."""

from __future__ import annotations

import datetime as dt

import pytest

from courseware.quiz import AttemptsExhausted, CheckpointFile, feedback_visible, max_points, points_for

UTC = dt.UTC
DUE = dt.datetime(2026, 12, 1, 23, 59, tzinfo=UTC)


def checkpoint(**extra) -> CheckpointFile:
    data = {
        "id": "cp", "section": "s", "title": "T", "points_per_attempt": [10, 7, 5, 2],
        "questions": [
            {"id": "q1", "type": "numeric", "prompt": "?", "explanation": "!", "answer": 1},
            {"id": "q2", "type": "reflection", "prompt": "?", "explanation": "!"},
        ],
    }
    data.update(extra)
    return CheckpointFile.model_validate(data)


def test_points_decrease_with_each_attempt() -> None:
    cp = checkpoint()
    assert [points_for(cp, n, 1.0) for n in range(1, 5)] == [10, 7, 5, 2]
    assert points_for(cp, 2, 0.5) == 3.5
    assert max_points(cp) == 10
    with pytest.raises(AttemptsExhausted):
        points_for(cp, 5, 1.0)


def test_attempts_can_be_fewer_than_the_points_list() -> None:
    cp = checkpoint(attempts=2)
    with pytest.raises(AttemptsExhausted):
        points_for(cp, 3, 1.0)


def test_late_answers_earn_late_credit() -> None:
    cp = checkpoint(due=DUE.isoformat(), late_credit=0.5)
    assert points_for(cp, 1, 1.0, submitted_at=DUE - dt.timedelta(minutes=1)) == 10
    assert points_for(cp, 1, 1.0, submitted_at=DUE + dt.timedelta(minutes=1)) == 5


@pytest.mark.parametrize(("extra", "message"), [
    ({"points_per_attempt": [5, 7]}, "must not increase"),
    ({"attempts": 9}, "exceeds the length"),
    ({"feedback": "after_due"}, "needs a due date"),
    ({"due": "2026-12-01T23:59:00"}, "needs a timezone"),
    ({"feedback": "sometimes"}, "immediate"),
])
def test_bad_policies_are_refused(extra: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        checkpoint(**extra)


def test_feedback_timing() -> None:
    now = DUE - dt.timedelta(days=1)
    immediate = checkpoint()
    assert feedback_visible(immediate, now=now, answered=True, attempts_left=3)
    assert not feedback_visible(immediate, now=now, answered=False, attempts_left=4)
    after_sub = checkpoint(feedback="after_submission")
    assert not feedback_visible(after_sub, now=now, answered=True, attempts_left=1)
    assert feedback_visible(after_sub, now=now, answered=True, attempts_left=0)
    after_due = checkpoint(feedback="after_due", due=DUE.isoformat())
    assert not feedback_visible(after_due, now=now, answered=True, attempts_left=0)
    assert feedback_visible(after_due, now=DUE + dt.timedelta(seconds=1), answered=True, attempts_left=2)
