"""Content rows rebuild the quiz engine's objects; answers keep their question; constraints hold."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from pydantic import ValidationError
from web_helpers import question, week6_fixture  # noqa: F401

from courseware.models import Answer, Checkpoint, Question, QuestionProgress
from courseware.models.content import question_validate
from courseware.quiz import make_seed, max_points
from courseware.services import answer_submit

pytestmark = pytest.mark.django_db


def test_a_checkpoint_row_gives_back_the_policy_of_its_file(week6) -> None:
    checkpoint = Checkpoint.objects.get(source_id="w6-cp02-quorum")
    spec = checkpoint.spec()
    assert spec.points_per_attempt == [10, 7, 5, 2] and spec.max_attempts == 4 and spec.feedback == "immediate"
    assert [q.id for q in spec.questions] == list(checkpoint.questions.values_list("source_id", flat=True))
    assert max_points(spec) > 0


def test_a_question_row_is_the_validated_json_of_its_file(week6) -> None:
    q = question("w6-cp02-quorum-for-n")
    assert q.type == "numeric" and q.quiz().answer == "$q"
    assert "retired" not in q.data
    with pytest.raises(ValidationError):
        question_validate({**q.data, "surprise": 1})


def test_answered_questions_cannot_be_deleted(week6) -> None:
    q = question("w6-cp02-quorum-for-n")
    answer_submit(student=week6["alice"], question=q, attempt=1, payload="2")
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        Question.objects.filter(pk=q.pk).delete()
    assert Answer.objects.get().seed == str(make_seed(week6["alice"].pk, q.source_id, 1))


def test_one_answer_per_student_question_and_attempt(week6) -> None:
    q = question("w6-cp02-quorum-for-n")
    answer = answer_submit(student=week6["alice"], question=q, attempt=1, payload="2")
    with pytest.raises(IntegrityError), transaction.atomic():
        Answer.objects.create(progress=answer.progress, student=answer.student, question=q, attempt=1, seed="1",
                              payload="3", status="graded", submitted_at=answer.submitted_at)
    with pytest.raises(IntegrityError), transaction.atomic():
        QuestionProgress.objects.create(student=week6["alice"], question=q)


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_submissions_of_one_attempt_record_one_answer(week6) -> None:
    import threading

    from django.db import connection

    from courseware.services import AttemptAlreadyUsed

    q = question("w6-cp02-quorum-for-n")
    alice = week6["alice"]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def submit() -> None:
        try:
            barrier.wait(timeout=10)
            answer_submit(student=alice, question=q, attempt=1, payload="2")
            outcomes.append("recorded")
        except AttemptAlreadyUsed:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(outcomes) == ["recorded", "refused"]
    assert Answer.objects.filter(student=alice, question=q).count() == 1
    assert QuestionProgress.objects.get(student=alice, question=q).attempts_used == 1
