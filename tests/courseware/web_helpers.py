"""Helpers for the courseware's database and view tests: load week 6 into the personas' course, post answers."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction
from django.urls import reverse

from courseware import authoring
from courseware.models import Question
from courseware.quiz import load_course, make_seed, public_view
from courseware.quiz.simcheck import default_checker

WEEK6 = "courseware/content/week6"
SIMULATOR_READY = default_checker() is not None
_CONTENT = []


def week6_files():
    """The week 6 folder parsed once per test session (the loader is pure; the files do not change)."""
    if not _CONTENT:
        _CONTENT.append(load_course(WEEK6))
    return _CONTENT[0]


@pytest.fixture(name="week6")
def week6_fixture(personas):
    """personas (alice, bob, terry, ingrid in ops3; oscar in ops4) with the week 6 content loaded into ops3."""
    with transaction.atomic():
        report = authoring._upsert_course(week6_files(), "ops3")
    assert report.module.course == personas["ops3"]
    personas["module"] = report.module
    return personas


def question(source_id: str) -> Question:
    return Question.objects.select_related("checkpoint__section", "module__course").get(source_id=source_id)


def answer_url(q: Question) -> str:
    return reverse("question-answer", args=[q.module.course.slug, q.module.slug, q.source_id])


def section_url(q: Question) -> str:
    return reverse("section-detail", args=[q.module.course.slug, q.module.slug, q.checkpoint.section.source_id])


def seed_for(user, q: Question, attempt: int = 1) -> int:
    return make_seed(user.pk, q.source_id, attempt)


def form_for(q: Question, payload: Any, attempt: int = 1) -> dict[str, Any]:
    """The POST a browser sends for `payload` (the quiz engine's answer shape)."""
    data: dict[str, Any] = {"attempt": str(attempt)}
    if q.type == "ordering":
        data.update({f"order-{item}": str(n) for n, item in enumerate(payload, start=1)})
    elif q.type == "matching":
        data.update({f"match-{pair}": choice for pair, choice in payload.items()})
    elif q.type == "multiple_choice":
        data["answer"] = list(payload)
    else:
        data["answer"] = str(payload)
    return data


def view_for(user, q: Question, attempt: int = 1) -> dict[str, Any]:
    return public_view(q.quiz(), seed_for(user, q, attempt))
