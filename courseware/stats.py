"""Item statistics of a checkpoint, as Moodle's quiz statistics and PrairieLearn's item analysis give them.

For every question, over the course's students who answered it (each student's FIRST
attempt, as classical item analysis does, because later attempts measure the
feedback more than the knowledge):

- facility index: the mean first-attempt score, in percent (100 = everyone right);
- discrimination index: Pearson's correlation, in percent, between the item's
  score and the rest-of-checkpoint score (the student's first-attempt scores
  on the OTHER graded questions, weighted, unanswered ones 0) - Moodle's
  definition; also the classical upper-lower index D (mean item score of the top
  27% by checkpoint score minus that of the bottom 27%);
- answer distribution: per option (choice questions), per pair and choice
  (matching), or the most frequent responses (other types), first attempts and
  all attempts;
- attempts histogram: how many students used 1, 2, ... attempts, and the
  share of students who got it right eventually.

Discrimination is None when it cannot be computed (fewer than 2 students, or
no spread in either score). Pure computation over rows; no writes.
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from courseware.models import Answer, Checkpoint, Question, Role

TOP_SHARE = 0.27


@dataclass
class ItemStats:
    question: Question
    students: int = 0
    facility: float | None = None
    mean_best: float | None = None
    discrimination: float | None = None
    upper_lower: float | None = None
    eventually_correct: float | None = None
    attempts_histogram: dict[int, int] = field(default_factory=dict)
    options: list[dict[str, Any]] = field(default_factory=list)
    matching: list[dict[str, Any]] = field(default_factory=list)
    responses: list[tuple[str, int, int]] = field(default_factory=list)

    @property
    def max_attempts_bar(self) -> int:
        return max(self.attempts_histogram.values(), default=0)


def pearson(xs: list[float], ys: list[float]) -> float | None:
    n = len(xs)
    if n < 2:
        return None
    mx, my = sum(xs) / n, sum(ys) / n
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx <= 1e-12 or syy <= 1e-12:
        return None
    return sxy / math.sqrt(sxx * syy)


def upper_lower(item: dict[int, float], totals: dict[int, float]) -> float | None:
    students = sorted(item, key=lambda s: (totals[s], s))
    if len(students) < 2:
        return None
    k = max(1, round(TOP_SHARE * len(students)))
    low, high = students[:k], students[-k:]
    return sum(item[s] for s in high) / k - sum(item[s] for s in low) / k


def _key(payload: Any) -> str:
    if isinstance(payload, str):
        return " ".join(payload.split())[:120]
    return json.dumps(payload, sort_keys=True)[:120]


def checkpoint_stats(checkpoint: Checkpoint) -> list[ItemStats]:
    questions = list(checkpoint.questions.all())
    course = checkpoint.module.course
    answers = list(Answer.objects.filter(  # students only: staff trying a checkpoint out are not items' data
        question__checkpoint=checkpoint, student__memberships__course=course,
        student__memberships__role=Role.STUDENT).order_by("attempt"))
    by_question: dict[int, list[Answer]] = defaultdict(list)
    first: dict[int, dict[int, float]] = defaultdict(dict)  # question -> student -> first score
    for a in answers:
        by_question[a.question_id].append(a)
        if a.attempt == 1 and a.score is not None:
            first[a.question_id][a.student_id] = a.score
    weights = {q.pk: float(q.data.get("weight", 1.0)) for q in questions if q.type != "reflection"}
    students = {s for scores in first.values() for s in scores}
    totals = {s: sum(weights[q] * first[q].get(s, 0.0) for q in weights) for s in students}
    return [_item(q, by_question[q.pk], first.get(q.pk, {}), totals, weights) for q in questions]


def _item(q: Question, answers: list[Answer], first: dict[int, float], totals: dict[int, float],
          weights: dict[int, float]) -> ItemStats:
    stats = ItemStats(question=q, students=len({a.student_id for a in answers}))
    used = Counter(a.student_id for a in answers)
    stats.attempts_histogram = dict(sorted(Counter(used.values()).items()))
    _distribution(stats, q, answers)
    if q.type == "reflection" or not first:
        return stats
    stats.facility = round(100 * sum(first.values()) / len(first), 1)
    best: dict[int, float] = {}
    for a in answers:
        best[a.student_id] = max(best.get(a.student_id, 0.0), a.score or 0.0)
    stats.mean_best = round(100 * sum(best.values()) / len(best), 1)
    stats.eventually_correct = round(100 * len({a.student_id for a in answers if a.correct}) / len(best), 1)
    rest = {s: totals[s] - weights[q.pk] * score for s, score in first.items()}
    r = pearson([first[s] for s in first], [rest[s] for s in first])
    stats.discrimination = None if r is None else round(100 * r, 1)
    d = upper_lower(first, totals)
    stats.upper_lower = None if d is None else round(d, 2)
    return stats


def _distribution(stats: ItemStats, q: Question, answers: list[Answer]) -> None:
    firsts = [a for a in answers if a.attempt == 1]
    data = q.data
    if q.type in {"single_choice", "multiple_choice"}:
        def picks(rows: list[Answer]) -> Counter:
            c: Counter = Counter()
            for a in rows:
                c.update(a.payload if isinstance(a.payload, list) else [a.payload])
            return c

        first_c, all_c = picks(firsts), picks(answers)
        stats.options = [{"id": o["id"], "text": o["text"], "correct": bool(o.get("correct")),
                          "first": first_c[o["id"]], "all": all_c[o["id"]],
                          "share": round(100 * first_c[o["id"]] / len(firsts), 1) if firsts else 0.0}
                         for o in data.get("options", [])]
    elif q.type == "matching":
        choices = {c["id"]: c["text"] for c in data.get("choices", [])}
        for pair in data.get("pairs", []):
            c = Counter(a.payload.get(pair["id"]) for a in firsts if isinstance(a.payload, dict))
            stats.matching.append({"text": pair["text"], "match": choices.get(pair["match"], ""),
                                   "choices": [(choices.get(k, k), n, k == pair["match"])
                                               for k, n in c.most_common()]})
    elif q.type != "reflection":
        first_c = Counter(_key(a.payload) for a in firsts)
        all_c = Counter(_key(a.payload) for a in answers)
        stats.responses = [(k, first_c[k], n) for k, n in all_c.most_common(10)]
