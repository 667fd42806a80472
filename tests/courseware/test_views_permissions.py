"""The permission matrix of every courseware page: who may see what, and can bob see alice's answers?"""

from __future__ import annotations

import pytest
from django.urls import reverse
from web_helpers import answer_url, form_for, question, week6_fixture  # noqa: F401

from courseware.models import Answer

pytestmark = pytest.mark.django_db

STUDENT_PAGES = {
    "sections": ("course-sections", []),
    "progress": ("course-progress", []),
    "section": ("section-detail", ["week6", "w6-quorum"]),
    "figure": ("module-figure", ["week6", "split-brain.svg"]),
    "home": ("course-home", []),
}
STAFF_PAGES = {
    "checkpoints": ("staff-checkpoints", []),
    "stats": ("checkpoint-stats", ["week6", "w6-cp02-quorum"]),
    "reflections": ("checkpoint-reflections", ["week6", "w6-cp02-quorum"]),
    "preview": ("question-preview", ["week6", "w6-cp02-quorum-for-n"]),
}
EXPECTED = {  # persona -> (student pages, staff pages, alice's answer)
    "alice": (200, 403, 200),
    "bob": (200, 403, 404),
    "terry": (200, 200, 200),
    "ingrid": (200, 200, 200),
    "oscar": (404, 404, 404),
}


@pytest.fixture
def alices_answer(week6, client):
    q = question("w6-cp02-reflection")
    client.force_login(week6["alice"])
    text = "Quorum keeps two halves from both acting as the cluster. " + "I would add a QDevice to my lab. " * 8
    response = client.post(answer_url(q), form_for(q, text))
    assert response.status_code == 302
    client.logout()
    return Answer.objects.get(student=week6["alice"], question=q)


def _url(name: str, args: list[str]) -> str:
    return reverse(name, args=["ops3", *args])


@pytest.mark.parametrize("persona", list(EXPECTED))
def test_every_page_answers_each_persona_as_the_matrix_says(persona, week6, alices_answer, client) -> None:
    client.force_login(week6[persona])
    student, staff, answer = EXPECTED[persona]
    for label, (name, args) in STUDENT_PAGES.items():
        assert client.get(_url(name, args)).status_code == student, label
    for label, (name, args) in STAFF_PAGES.items():
        assert client.get(_url(name, args)).status_code == staff, label
    response = client.get(reverse("answer-detail", args=["ops3", alices_answer.pk]))
    assert response.status_code == answer
    if answer == 200:
        assert "Quorum keeps two halves" in response.content.decode()
    # every member may answer for themselves (staff try checkpoints out); outsiders get 404
    q = question("w6-cp02-quorum-for-n")
    response = client.post(answer_url(q), {"attempt": "1", "answer": "2"})
    assert response.status_code == (404 if student == 404 else 302)
    assert Answer.objects.filter(question=q, student=week6[persona]).count() == (0 if student == 404 else 1)


def test_anonymous_visitors_are_sent_to_log_in_everywhere(week6, alices_answer, client) -> None:
    urls = [_url(n, a) for n, a in [*STUDENT_PAGES.values(), *STAFF_PAGES.values()]]
    urls.append(reverse("answer-detail", args=["ops3", alices_answer.pk]))
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
    q = question("w6-cp02-quorum-for-n")
    response = client.post(answer_url(q), {"attempt": "1", "answer": "3"})
    assert response.status_code in (302, 403)
    assert Answer.objects.count() == 1


def test_oscar_cannot_answer_in_a_course_he_does_not_belong_to(week6, client) -> None:
    client.force_login(week6["oscar"])
    q = question("w6-cp02-quorum-for-n")
    assert client.post(answer_url(q), {"attempt": "1", "answer": "3"}).status_code == 404
    assert not Answer.objects.exists()


def test_bob_sees_neither_alices_answers_nor_her_progress(week6, alices_answer, client) -> None:
    client.force_login(week6["bob"])
    progress = client.get(reverse("course-progress", args=["ops3"])).content.decode()
    assert "Quorum keeps two halves" not in progress
    assert f"/answers/{alices_answer.pk}/" not in progress
    section = client.get(_url("section-detail", ["week6", "w6-quorum"])).content.decode()
    assert "Quorum keeps two halves" not in section


def test_only_staff_may_comment_on_a_reflection(week6, alices_answer, client) -> None:
    url = reverse("answer-detail", args=["ops3", alices_answer.pk])
    client.force_login(week6["alice"])
    assert client.post(url, {"text": "I grade myself"}).status_code == 403
    client.force_login(week6["bob"])
    assert client.post(url, {"text": "bob was here"}).status_code == 404
    client.force_login(week6["oscar"])
    assert client.post(url, {"text": "oscar was here"}).status_code == 404
    assert not alices_answer.comments.exists()
    client.force_login(week6["terry"])
    assert client.post(url, {"text": "Good point about the two halves."}).status_code == 302
    client.force_login(week6["alice"])
    assert "Good point about the two halves." in client.get(url).content.decode()


def test_a_staff_comment_may_only_go_back_to_a_page_of_the_course(week6, alices_answer, client) -> None:
    url = reverse("answer-detail", args=["ops3", alices_answer.pk])
    client.force_login(week6["ingrid"])
    response = client.post(url, {"text": "ok", "next": "https://evil.example/"})
    assert response["Location"] == url


def test_the_staff_navigation_shows_reports_only_to_staff(week6, client) -> None:
    client.force_login(week6["alice"])
    page = client.get(reverse("course-home", args=["ops3"])).content.decode()
    assert "My progress" in page and "Sections" in page and "Checkpoint reports" not in page
    client.force_login(week6["terry"])
    assert "Checkpoint reports" in client.get(reverse("course-home", args=["ops3"])).content.decode()


def test_staff_see_a_preview_link_on_each_question_and_students_do_not(week6, client) -> None:
    url = _url("section-detail", ["week6", "w6-quorum"])
    preview = reverse("question-preview", args=["ops3", "week6", "w6-cp02-quorum-for-n"])
    client.force_login(week6["alice"])
    assert preview not in client.get(url).content.decode()
    client.force_login(week6["terry"])
    assert preview in client.get(url).content.decode()
