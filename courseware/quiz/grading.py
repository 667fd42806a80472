"""Grade one answer to one question: pure and synchronous.

`grade(question, answer, seed)` returns a `GradeResult`; an answer of the wrong
shape (unknown option id, a list where a string belongs, a huge payload) raises
`MalformedAnswer`, which the web layer turns into a 400 without consuming an
attempt. Answer payloads are plain JSON values:

| type            | payload                                                    |
|-----------------|------------------------------------------------------------|
| single_choice   | "b"                                                        |
| multiple_choice | ["a", "c"]                                                 |
| numeric         | 2, 2.5, "120 s", "2 min" (decimal comma accepted)          |
| short_text      | "pvecm expected 1"                                         |
| ordering        | ["s1", "s3", "s2", ...] (a permutation of the item ids)    |
| matching        | {"osd": "disk", "mon": "maps"} (pair id -> choice id)      |
| reflection      | "free text" (stored, never auto-graded)                    |
| simulator       | "pvecm expected 1" (one command line)                      |

Partial credit: multiple choice scores (correct picks - wrong picks) / correct
options, floored at 0; ordering scores the share of item pairs in the right
relative order; matching the share of pairs matched right. `correct` is True
only for a full score.
"""

from __future__ import annotations

import json
import logging
import math
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from . import variants
from .schema import (
    Matching,
    MultipleChoice,
    Numeric,
    Ordering,
    Question,
    Reflection,
    ShortText,
    SimulatorCheck,
    SingleChoice,
)
from .simcheck import SimulatorChecker, SimulatorMissing, default_checker

MAX_PAYLOAD_CHARS = 25_000
logger = logging.getLogger(__name__)


class MalformedAnswer(ValueError):
    """The answer does not fit the question (shape, ids, size): a 4xx, no attempt used."""


class GradingUnavailable(RuntimeError):
    """The answer cannot be graded right now (simulator missing): a 503, no attempt used."""


@dataclass(frozen=True)
class GradeResult:
    status: str  # "graded" | "stored"
    correct: bool | None
    score: float | None  # 0..1, None when stored for review
    feedback: str
    explanation: str
    solution: str  # the answer key in words; show it when the checkpoint's policy allows
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _check_size(answer: Any) -> None:
    try:
        size = len(json.dumps(answer, ensure_ascii=False, allow_nan=False))
    except (TypeError, ValueError, RecursionError):
        raise MalformedAnswer("the answer is not a plain JSON value") from None
    if size > MAX_PAYLOAD_CHARS:
        raise MalformedAnswer(f"the answer is too large ({size} characters, at most {MAX_PAYLOAD_CHARS})")


def _need_str(answer: Any, limit: int) -> str:
    if not isinstance(answer, str):
        raise MalformedAnswer(f"expected a text answer, got {type(answer).__name__}")
    if len(answer) > limit:
        raise MalformedAnswer(f"the answer is too long ({len(answer)} characters, at most {limit})")
    return answer


def _need_id_list(answer: Any, known: list[str], what: str) -> list[str]:
    if not isinstance(answer, list) or not all(isinstance(a, str) for a in answer):
        raise MalformedAnswer(f"expected a list of {what} ids")
    unknown = sorted(set(answer) - set(known))
    if unknown:
        raise MalformedAnswer(f"unknown {what} id(s): {', '.join(unknown[:5])}")
    if len(set(answer)) != len(answer):
        raise MalformedAnswer(f"a {what} id is given twice")
    return answer


def _result(
    correct: bool, score: float, feedback: str, q: Question, values: dict, **details: Any
) -> GradeResult:
    return GradeResult(
        status="graded",
        correct=correct,
        score=round(score, 4),
        feedback=feedback or ("Correct." if correct else "Not quite."),
        explanation=variants.render(q.explanation, values),
        solution=solution_text(q, values),
        details=details,
    )


# --- per type -----------------------------------------------------------------------------------


def _single(q: SingleChoice, answer: Any, values: dict) -> GradeResult:
    picked = _need_str(answer, 40)
    option = next((o for o in q.options if o.id == picked), None)
    if option is None:
        raise MalformedAnswer(f"unknown option id: {picked}")
    fb = variants.render(option.feedback, values) if option.feedback else ""
    return _result(option.correct, 1.0 if option.correct else 0.0, fb, q, values)


def _multiple(q: MultipleChoice, answer: Any, values: dict) -> GradeResult:
    picked = set(_need_id_list(answer, [o.id for o in q.options], "option"))
    right = {o.id for o in q.options if o.correct}
    hits, wrong = len(picked & right), len(picked - right)
    score = max(0.0, (hits - wrong) / len(right))
    correct = picked == right
    notes = [variants.render(o.feedback, values) for o in q.options if o.id in picked and o.feedback]
    fb = " ".join(notes)
    if not correct:
        fb = (f"{hits} of {len(right)} correct options chosen, {wrong} wrong. " + fb).strip()
    return _result(correct, score, fb, q, values, hits=hits, wrong=wrong)


_NUMBER = re.compile(r"^\s*([-+]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][-+]?\d+)?)\s*([^\d\s][^\s]{0,15})?\s*$")


def parse_number(q: Numeric, answer: Any) -> float:
    if isinstance(answer, bool) or not isinstance(answer, int | float | str):
        raise MalformedAnswer("expected a number, optionally followed by a unit")
    if isinstance(answer, str):
        m = _NUMBER.match(_need_str(answer, 40))
        if m is None:
            raise MalformedAnswer(f"'{answer.strip()}' is not a number")
        value = float(m.group(1).replace(",", "."))
        unit = m.group(2)
    else:
        try:
            value, unit = float(answer), None
        except OverflowError:
            raise MalformedAnswer("the number is too large") from None
    if not math.isfinite(value):
        raise MalformedAnswer("the number must be finite")
    if unit is None:
        return value
    factors = q.units or ({q.unit: 1.0} if q.unit else {})
    for name, factor in factors.items():
        if unit == name or unit.lower() == name.lower():
            return value * factor
    allowed = ", ".join(factors) or "none (give just the number)"
    raise MalformedAnswer(f"unit '{unit}' is not accepted here; units: {allowed}")


def numeric_key(q: Numeric, values: dict) -> float:
    if isinstance(q.answer, str):
        return float(values[q.answer[1:]])
    return float(q.answer)


def _numeric(q: Numeric, answer: Any, values: dict) -> GradeResult:
    value = parse_number(q, answer)
    key = numeric_key(q, values)
    allowed = max(q.tolerance, abs(key) * q.tolerance_percent / 100.0)
    correct = abs(value - key) <= allowed + 1e-9
    return _result(correct, 1.0 if correct else 0.0, "", q, values)


_PROMPT = re.compile(r"^(?:\S+@\S+?:\S*\s?)?[#$]\s+")


def normalise_text(text: str, case_sensitive: bool) -> str:
    """Collapse whitespace, drop a pasted shell prompt (`root@pve1:~# `), fold case unless sensitive."""
    text = " ".join(text.split())
    text = _PROMPT.sub("", text)
    return text if case_sensitive else text.casefold()


def _short_text(q: ShortText, answer: Any, values: dict) -> GradeResult:
    raw = _need_str(answer, q.max_length)
    if "\n" in raw.strip():
        raise MalformedAnswer("give a single line")
    given = normalise_text(raw, q.case_sensitive)
    accepted = {normalise_text(variants.render(a, values), q.case_sensitive) for a in q.accept}
    correct = given in accepted
    if not correct:
        flags = 0 if q.case_sensitive else re.IGNORECASE
        for pattern in q.patterns:
            rx = variants.render(pattern, values, escape=re.escape)
            if re.fullmatch(rx, given, flags):
                correct = True
                break
    return _result(correct, 1.0 if correct else 0.0, "", q, values)


def _ordering(q: Ordering, answer: Any, values: dict) -> GradeResult:
    ids = [i.id for i in q.items]
    given = _need_id_list(answer, ids, "item")
    if len(given) != len(ids):
        raise MalformedAnswer(f"order all {len(ids)} items")
    rank = {item: n for n, item in enumerate(given)}
    pairs = [(a, b) for n, a in enumerate(ids) for b in ids[n + 1 :]]
    good = sum(rank[a] < rank[b] for a, b in pairs)
    correct = given == ids
    score = 1.0 if correct else (good / len(pairs) if q.partial_credit else 0.0)
    in_place = sum(a == b for a, b in zip(given, ids, strict=True))
    fb = "" if correct else f"{in_place} of {len(ids)} steps are in the right place."
    return _result(correct, score, fb, q, values, pairs_in_order=good, pairs=len(pairs))


def _matching(q: Matching, answer: Any, values: dict) -> GradeResult:
    if not isinstance(answer, dict) or not all(isinstance(v, str) for v in answer.values()):
        raise MalformedAnswer("expected an object mapping each item to a choice id")
    pair_ids = {p.id for p in q.pairs}
    choice_ids = {c.id for c in q.choices}
    unknown = sorted(set(answer) - pair_ids) + sorted(set(answer.values()) - choice_ids)
    if unknown:
        raise MalformedAnswer(f"unknown id(s): {', '.join(unknown[:5])}")
    good = sum(answer.get(p.id) == p.match for p in q.pairs)
    correct = good == len(q.pairs)
    score = 1.0 if correct else (good / len(q.pairs) if q.partial_credit else 0.0)
    fb = "" if correct else f"{good} of {len(q.pairs)} matched correctly."
    return _result(correct, score, fb, q, values, matched=good)


def _reflection(q: Reflection, answer: Any, values: dict) -> GradeResult:
    text = _need_str(answer, q.max_chars).strip()
    words = len(text.split())
    if not text or words < q.min_words:
        raise MalformedAnswer(f"write at least {max(q.min_words, 1)} words (you wrote {words})")
    return GradeResult(
        status="stored",
        correct=None,
        score=None,
        feedback="Saved. Your instructor reads reflections and may comment.",
        explanation=variants.render(q.explanation, values),
        solution="",
        details={"words": words},
    )


def _simulator(q: SimulatorCheck, answer: Any, values: dict, checker: SimulatorChecker | None) -> GradeResult:
    command = _need_str(answer, q.max_length).strip()
    if not command or "\n" in command:
        raise MalformedAnswer("give exactly one command line")
    command = _PROMPT.sub("", " ".join(command.split()))
    checker = checker or default_checker()
    if checker is None:
        raise GradingUnavailable("the cluster simulator is not available; try again later")
    try:
        outcome = checker.check(q.scenario, q.node, command, q.condition)
    except SimulatorMissing as exc:
        raise GradingUnavailable(str(exc)) from None
    except Exception as exc:
        # A simulator bug must not turn a student's answer into a 500 or a wrong grade.
        logger.exception("simulator check of %s failed for %r", q.id, command)
        raise GradingUnavailable("the simulator could not check this answer; try again later") from exc
    fb = outcome.message or ("The cluster is in the required state." if outcome.passed else "")
    return _result(outcome.passed, 1.0 if outcome.passed else 0.0, fb, q, values, output=outcome.output)


def grade(
    question: Question, answer: Any, seed: int, *, checker: SimulatorChecker | None = None
) -> GradeResult:
    """Grade `answer` to `question` for the variant chosen by `seed`."""
    _check_size(answer)
    values = variants.evaluate(question.variant, seed)
    match question:
        case SingleChoice():
            return _single(question, answer, values)
        case MultipleChoice():
            return _multiple(question, answer, values)
        case Numeric():
            return _numeric(question, answer, values)
        case ShortText():
            return _short_text(question, answer, values)
        case Ordering():
            return _ordering(question, answer, values)
        case Matching():
            return _matching(question, answer, values)
        case Reflection():
            return _reflection(question, answer, values)
        case SimulatorCheck():
            return _simulator(question, answer, values, checker)
    raise TypeError(f"unknown question type {type(question).__name__}")  # pragma: no cover


# --- answer keys ----------------------------------------------------------------------------------


def answer_key(question: Question, seed: int) -> Any:
    """An answer payload that `grade` accepts as fully correct (instructor preview, tests)."""
    values = variants.evaluate(question.variant, seed)
    match question:
        case SingleChoice():
            return next(o.id for o in question.options if o.correct)
        case MultipleChoice():
            return [o.id for o in question.options if o.correct]
        case Numeric():
            return numeric_key(question, values)
        case ShortText():
            return variants.render(question.accept[0], values)
        case Ordering():
            return [i.id for i in question.items]
        case Matching():
            return {p.id: p.match for p in question.pairs}
        case Reflection():
            return " ".join(["thought"] * max(question.min_words, 3))
        case SimulatorCheck():
            return question.example_answer
    raise TypeError(type(question).__name__)  # pragma: no cover


def solution_text(question: Question, values: dict) -> str:
    match question:
        case SingleChoice() | MultipleChoice():
            return "; ".join(o.text for o in question.options if o.correct)
        case Numeric():
            key = variants._fmt(numeric_key(question, values))
            return f"{key} {question.unit}" if question.unit else key
        case ShortText():
            return variants.render(question.accept[0], values)
        case Ordering():
            return " -> ".join(i.text for i in question.items)
        case Matching():
            names = {c.id: c.text for c in question.choices}
            return "; ".join(f"{p.text}: {names[p.match]}" for p in question.pairs)
        case SimulatorCheck():
            return question.example_answer
    return ""
