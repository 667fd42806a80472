"""Shared helpers for the courseware tests: a deliberately wrong answer for any question."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from courseware.quiz import answer_key
from courseware.quiz.grading import numeric_key
from courseware.quiz.schema import (
    Matching,
    MultipleChoice,
    Numeric,
    Ordering,
    Question,
    ShortText,
    SingleChoice,
)
from courseware.quiz.variants import evaluate

ROOT = Path(__file__).resolve().parents[2]



def wrong_answer(q: Question, seed: int) -> Any:
    """An answer of the right shape that must not be graded fully correct."""
    key = answer_key(q, seed)
    match q:
        case SingleChoice():
            return next(o.id for o in q.options if o.id != key)
        case MultipleChoice():
            first = q.options[0].id
            return [i for i in key if i != first] if first in key else [*key, first]
        case Numeric():
            value = numeric_key(q, evaluate(q.variant, seed))
            return value + q.tolerance + abs(value) * (q.tolerance_percent / 100 + 0.5) + 1
        case ShortText():
            return "rm -rf --no-preserve-root /"
        case Ordering():
            return list(reversed(key))
        case Matching():
            ids = [c.id for c in q.choices]
            return {pid: ids[(ids.index(cid) + 1) % len(ids)] for pid, cid in key.items()}
    raise TypeError(q.type)
