"""Item statistics: facility, discrimination (correlation and upper-lower 27%), distributions, attempts."""

from __future__ import annotations

import pytest
from django.urls import reverse
from quiz_helpers import wrong_answer
from web_helpers import form_for, question, week6_fixture  # noqa: F401

from courseware.models import Membership, Role
from courseware.quiz import answer_key, make_seed
from courseware.services import answer_submit
from courseware.stats import checkpoint_stats, pearson, upper_lower

pytestmark = pytest.mark.django_db


def test_pearson_and_upper_lower_on_known_numbers() -> None:
    assert pearson([0, 1, 0, 1], [1, 3, 1, 3]) == pytest.approx(1.0)
    assert pearson([0, 1, 0, 1], [3, 1, 3, 1]) == pytest.approx(-1.0)
    assert pearson([1, 1, 1], [1, 2, 3]) is None  # no spread: undefined, not 0
    assert pearson([1], [1]) is None
    item = {1: 1.0, 2: 1.0, 3: 0.0, 4: 0.0}
    totals = {1: 9.0, 2: 8.0, 3: 2.0, 4: 1.0}
    assert upper_lower(item, totals) == pytest.approx(1.0)  # k = round(0.27 * 4) = 1: top 1 minus bottom 1


@pytest.fixture
def class_of_six(week6, django_user_model):
    """Four more students; three strong ones (all right) and three weak ones (all wrong) on checkpoint 1."""
    students = [week6["alice"], week6["bob"]]
    for name in ("carol", "dave", "erin", "fred"):
        user = django_user_model.objects.create_user(name, f"{name}@example.edu", "x")
        Membership.objects.create(user=user, course=week6["ops3"], role=Role.STUDENT)
        students.append(user)
    return students


def _answer(user, q, right: bool, attempt: int = 1) -> None:
    seed = make_seed(user.pk, q.source_id, attempt)
    payload = answer_key(q.quiz(), seed) if right else wrong_answer(q.quiz(), seed)
    answer_submit(student=user, question=q, attempt=attempt, payload=payload)


def test_a_question_the_strong_students_get_right_discriminates(class_of_six) -> None:
    single = question("w6-cp02-quorum-for-n")
    checkpoint = single.checkpoint
    others = [q for q in checkpoint.questions.all() if q.type in {"numeric", "single_choice"} and q != single][:3]
    strong, weak = class_of_six[:3], class_of_six[3:]
    for user in strong:
        for q in [single, *others]:
            _answer(user, q, right=True)
    for n, user in enumerate(weak):
        _answer(user, single, right=False)
        _answer(user, single, right=n == 0, attempt=2)
        for q in others:
            _answer(user, q, right=False)
    stats = {s.question.source_id: s for s in checkpoint_stats(checkpoint)}
    item = stats[single.source_id]
    assert item.students == 6
    assert item.facility == 50.0
    assert item.discrimination == pytest.approx(100.0)
    assert item.upper_lower == pytest.approx(1.0)  # k = round(0.27 * 6) = 2
    assert item.attempts_histogram == {1: 3, 2: 3}
    assert item.eventually_correct == pytest.approx(66.7)
    assert item.mean_best == pytest.approx(66.7)
    assert [r[1] for r in item.responses][:2] and sum(r[1] for r in item.responses) == 6
    untouched = stats["w6-cp02-reflection"]
    assert untouched.students == 0 and untouched.facility is None and untouched.discrimination is None
    assert untouched.attempts_histogram == {}


def test_choice_questions_count_every_option_picked(class_of_six) -> None:
    q = next(q for q in question("w6-cp01-reflection").checkpoint.questions.all() if q.type == "single_choice")
    right = answer_key(q.quiz(), 0)
    wrong = next(o.id for o in q.quiz().options if o.id != right)
    for n, user in enumerate(class_of_six):
        answer_submit(student=user, question=q, attempt=1, payload=right if n < 4 else wrong)
    item = next(s for s in checkpoint_stats(q.checkpoint) if s.question == q)
    counts = {o["id"]: (o["first"], o["correct"]) for o in item.options}
    assert counts[right] == (4, True) and counts[wrong] == (2, False)
    assert sum(first for first, _ in counts.values()) == 6
    assert item.facility == pytest.approx(66.7)


def test_the_statistics_page_shows_the_numbers_to_staff(class_of_six, client) -> None:
    q = question("w6-cp02-quorum-for-n")
    for n, user in enumerate(class_of_six):
        _answer(user, q, right=n % 2 == 0)
    client.force_login(class_of_six[0])
    url = reverse("checkpoint-stats", args=["ops3", "week6", q.checkpoint.source_id])
    assert client.get(url).status_code == 403
    from courseware.models import Membership as M

    ingrid = M.objects.get(role=Role.INSTRUCTOR, course__slug="ops3").user
    client.force_login(ingrid)
    page = client.get(url).content.decode()
    assert "Facility" in page and "Discrimination" in page and "50%" in page and "Attempts used" in page


def test_reflections_are_listed_for_review_with_their_comments(week6, client) -> None:
    q = question("w6-cp02-reflection")
    client.force_login(week6["alice"])
    text = "Split brain scares me; " * 12
    client.post(reverse("question-answer", args=["ops3", "week6", q.source_id]), form_for(q, text))
    client.force_login(week6["ingrid"])
    url = reverse("checkpoint-reflections", args=["ops3", "week6", q.checkpoint.source_id])
    page = client.get(url).content.decode()
    assert "Split brain scares me;" in page and "Comment for alice" in page
    from courseware.models import Answer

    answer = Answer.objects.get(question=q)
    response = client.post(reverse("answer-detail", args=["ops3", answer.pk]),
                           {"text": "Good: and what would a QDevice change?", "next": url})
    assert response.status_code == 302 and response["Location"] == url
    assert "what would a QDevice change?" in client.get(url).content.decode()


def test_staff_answers_are_not_counted(week6) -> None:
    q = question("w6-cp02-quorum-for-n")
    _answer(week6["ingrid"], q, right=True)
    _answer(week6["alice"], q, right=False)
    item = next(s for s in checkpoint_stats(q.checkpoint) if s.question == q)
    assert item.students == 1 and item.facility == 0.0
