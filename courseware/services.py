"""Domain verbs of the courseware: answering a checkpoint question, commenting on a reflection.

Grading is the pure quiz engine's; this module adds what needs the database:
the attempt counter, taken under a row lock, and the stored answer. The
submission names the attempt it answers (the variant on the student's screen
belongs to that attempt); only `attempts_used + 1` is accepted, so a double
submit or a stale page cannot use a second attempt.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from courseware.models import Answer, Question, QuestionProgress, ReflectionComment
from courseware.quiz import GradingUnavailable, MalformedAnswer, grade, is_late, make_seed, points_for
from courseware.selectors import question_state

MAX_COMMENT_CHARS = 4000
logger = logging.getLogger(__name__)


class AnswerRejected(Exception):
    """The answer was not recorded; `status` is the HTTP status, the message says why."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class AttemptAlreadyUsed(AnswerRejected):
    """The attempt this submission names is already recorded (double submit, stale page)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, status=409)


def answer_submit(*, student, question: Question, attempt: int, payload: Any,
                  now: dt.datetime | None = None) -> Answer:
    """Grade `payload` for the variant of `attempt` and record it, or raise AnswerRejected changing nothing."""
    now = now or timezone.now()
    state = question_state(student, question, now=now)
    if question.retired:
        raise AnswerRejected("This question was retired and takes no more answers.", status=410)
    if attempt <= state.attempts_used:
        raise AttemptAlreadyUsed(f"Attempt {attempt} was already submitted; it counts once.")
    if state.next_attempt is None:
        raise AttemptAlreadyUsed("This question takes no more answers.")
    if attempt != state.next_attempt:
        raise AttemptAlreadyUsed(f"Attempt {attempt} is not open (the next attempt is {state.next_attempt}); "
                                 "your earlier submission was recorded. Reload the page.")
    seed = make_seed(student.pk, question.source_id, attempt)
    try:
        result = grade(question.quiz(), payload, seed)  # pure; outside the transaction
    except MalformedAnswer as exc:
        raise AnswerRejected(f"Answer not accepted: {exc}.") from None
    except GradingUnavailable as exc:
        raise AnswerRejected(f"{exc}. No attempt was used.", status=503) from None
    except Exception:
        if question.type != "simulator":
            raise
        # A command line the simulator chokes on is the platform's fault, never the student's attempt.
        logger.exception("simulator check failed for %s", question.source_id)
        raise AnswerRejected("The cluster simulator could not check this command right now. "
                             "No attempt was used.", status=503) from None
    spec = state.spec
    points = 0.0
    if result.status == "graded":
        points = points_for(spec, attempt, result.score or 0.0, weight=question.quiz().weight, submitted_at=now)
    try:
        with transaction.atomic():
            progress, _ = QuestionProgress.objects.get_or_create(student=student, question=question)
            progress = QuestionProgress.objects.select_for_update().get(pk=progress.pk)
            if progress.attempts_used != attempt - 1:
                raise AttemptAlreadyUsed(f"Attempt {attempt} was already submitted; it is recorded once.")
            answer = Answer.objects.create(
                progress=progress, student=student, question=question, attempt=attempt, seed=str(seed),
                payload=payload, status=result.status, score=result.score, correct=result.correct, points=points,
                late=is_late(spec, now), result=result.to_dict(), submitted_at=now)
            progress.attempts_used = attempt
            progress.points = max(progress.points, points)
            if result.score is not None:
                progress.best_score = max(progress.best_score or 0.0, result.score)
            progress.correct = progress.correct or bool(result.correct)
            progress.save()
    except IntegrityError:
        raise AttemptAlreadyUsed(f"Attempt {attempt} was already submitted; it is recorded once.") from None
    return answer


def reflection_comment_create(*, author, answer: Answer, text: str) -> ReflectionComment:
    if answer.question.type != "reflection":
        raise AnswerRejected("Only reflections take comments.")
    text = text.strip()
    if not text:
        raise AnswerRejected("Write a comment first.")
    if len(text) > MAX_COMMENT_CHARS:
        raise AnswerRejected(f"A comment has at most {MAX_COMMENT_CHARS} characters.")
    return ReflectionComment.objects.create(answer=answer, author=author, text=text)
