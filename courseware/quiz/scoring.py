"""Checkpoint policy: points for an attempt, late credit, when feedback may be shown. Pure.

The web layer stores attempts; these functions only compute from what it passes in.
"""

from __future__ import annotations

import datetime as dt

from .schema import CheckpointFile


class AttemptsExhausted(ValueError):
    """No attempts left for this question (a 4xx)."""


def points_for(
    checkpoint: CheckpointFile,
    attempt: int,
    score: float,
    *,
    weight: float = 1.0,
    submitted_at: dt.datetime | None = None,
) -> float:
    """Points for a graded answer: points_per_attempt[attempt-1] x score x weight, x late_credit after due."""
    if attempt < 1:
        raise ValueError("attempts count from 1")
    if attempt > checkpoint.max_attempts:
        raise AttemptsExhausted(f"all {checkpoint.max_attempts} attempts are used")
    points = checkpoint.points_per_attempt[attempt - 1] * max(0.0, min(1.0, score)) * weight
    if is_late(checkpoint, submitted_at):
        points *= checkpoint.late_credit
    return round(points, 4)


def max_points(checkpoint: CheckpointFile) -> float:
    return round(
        sum(q.weight for q in checkpoint.questions if q.type != "reflection" and not q.retired)
        * checkpoint.points_per_attempt[0],
        4,
    )


def is_late(checkpoint: CheckpointFile, submitted_at: dt.datetime | None) -> bool:
    return checkpoint.due is not None and submitted_at is not None and submitted_at > checkpoint.due


def feedback_visible(
    checkpoint: CheckpointFile, *, now: dt.datetime, answered: bool, attempts_left: int
) -> bool:
    """May the student see correctness, the explanation and the solution now?

    immediate: right after each answer. after_submission: once no attempts are
    left (or the student answered correctly, which the caller passes as
    attempts_left=0). after_due: only once the due date has passed.
    """
    if not answered:
        return False
    if checkpoint.feedback == "immediate":
        return True
    if checkpoint.feedback == "after_submission":
        return attempts_left <= 0
    assert checkpoint.due is not None
    return now >= checkpoint.due
