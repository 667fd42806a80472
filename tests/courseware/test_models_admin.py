"""The Django admin edits content with validation and links to previews; students' answers are read-only."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse
from web_helpers import question, week6_fixture  # noqa: F401

from courseware.models import Answer, Checkpoint, Figure, ModuleContent, QuestionProgress, ReflectionComment, Section
from courseware.models import Question as QuestionModel
from courseware.services import answer_submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(week6, client, django_user_model):
    boss = django_user_model.objects.create_superuser("boss", "boss@example.edu", "boss-pass")
    client.force_login(boss)
    return client


def test_every_courseware_model_has_an_admin_list_and_page(admin) -> None:
    answer_submit(student=QuestionProgress._meta.get_field("student").related_model.objects.get(username="alice"),
                  question=question("w6-cp02-quorum-for-n"), attempt=1, payload="2")
    for model in (ModuleContent, Section, Figure, Checkpoint, QuestionModel, Answer, QuestionProgress,
                  ReflectionComment):
        info = model._meta.app_label, model._meta.model_name
        assert admin.get(reverse("admin:{}_{}_changelist".format(*info))).status_code == 200, model
        obj = model.objects.first()
        if obj is not None:
            assert admin.get(reverse("admin:{}_{}_change".format(*info), args=[obj.pk])).status_code == 200, model


def _question_form(q: QuestionModel, data: dict) -> dict:
    return {"checkpoint": q.checkpoint_id, "source_id": q.source_id, "position": q.position,
            "data": json.dumps(data), "retired": ""}


def test_a_question_edit_is_validated_like_its_file(admin) -> None:
    q = question("w6-cp02-quorum-for-n")
    url = reverse("admin:courseware_question_change", args=[q.pk])
    broken = {**q.data, "answer": "$nope"}
    response = admin.post(url, _question_form(q, broken))
    assert response.status_code == 200
    assert "is not a param or derived value" in response.content.decode()
    typo = {**q.data, "tolerence": 1}
    assert "Extra inputs are not permitted" in admin.post(url, _question_form(q, typo)).content.decode()
    q.refresh_from_db()
    assert q.data["answer"] == "$q"
    fixed = {**q.data, "prompt": q.data["prompt"].replace("How many votes", "How many votes, exactly,")}
    assert admin.post(url, _question_form(q, fixed)).status_code == 302
    q.refresh_from_db()
    assert "exactly" in q.data["prompt"]


def test_the_admin_links_to_the_question_preview(admin) -> None:
    q = question("w6-cp02-quorum-for-n")
    page = admin.get(reverse("admin:courseware_question_changelist")).content.decode()
    assert reverse("question-preview", args=["ops3", "week6", q.source_id]) in page


def test_a_checkpoint_policy_edit_must_keep_points_decreasing(admin) -> None:
    checkpoint = Checkpoint.objects.get(source_id="w6-cp02-quorum")
    url = reverse("admin:courseware_checkpoint_change", args=[checkpoint.pk])
    form = {"module": checkpoint.module_id, "section": checkpoint.section_id, "source_id": checkpoint.source_id,
            "filename": checkpoint.filename, "title": checkpoint.title, "attempts": "4", "feedback": "immediate",
            "points_per_attempt": "[10, 12, 5, 2]", "due": "", "late_credit": "0",
            "questions-TOTAL_FORMS": "0", "questions-INITIAL_FORMS": "0", "questions-MIN_NUM_FORMS": "0",
            "questions-MAX_NUM_FORMS": "0"}
    response = admin.post(url, form)
    assert response.status_code == 200 and "must not increase" in response.content.decode()
    checkpoint.refresh_from_db()
    assert checkpoint.points_per_attempt == [10, 7, 5, 2]


def test_answers_are_read_only_in_the_admin(admin) -> None:
    alice = QuestionProgress._meta.get_field("student").related_model.objects.get(username="alice")
    answer = answer_submit(student=alice, question=question("w6-cp02-quorum-for-n"), attempt=1, payload="2")
    url = reverse("admin:courseware_answer_change", args=[answer.pk])
    admin.post(url, {"points": "100"})
    answer.refresh_from_db()
    assert answer.points == 0
