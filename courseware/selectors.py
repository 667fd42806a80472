"""Reads that check permission (`<entity>_get_for(user, ...)`) and the student's view of a question.

Every read starts from `course_get_for`: outsiders get 404, members without
the role 403. A student's answers are read only through `answer_get_for`, which
lets the student who wrote it and the course's staff see it, and nobody else.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch
from django.http import Http404
from django.utils import timezone

from courseware.models import Answer, Checkpoint, Module, Question, QuestionProgress, Section
from courseware.permissions import CourseAccess, course_get_for
from courseware.quiz import feedback_visible, make_seed, public_view
from courseware.quiz.schema import CheckpointFile


def module_get_for(user, slug: str, module_slug: str, **required: bool) -> tuple[CourseAccess, Module]:
    access = course_get_for(user, slug, **required)
    module = Module.objects.filter(course=access.course, slug=module_slug).first()
    if module is None:
        raise Http404("No such week.")
    return access, module


def section_get_for(user, slug: str, module_slug: str, section_id: str) -> tuple[CourseAccess, Section]:
    access, module = module_get_for(user, slug, module_slug)
    section = Section.objects.filter(module=module, source_id=section_id, retired=False).first()
    if section is None:
        raise Http404("No such section.")
    return access, section


def question_get_for(user, slug: str, module_slug: str, question_id: str, **required: bool
                     ) -> tuple[CourseAccess, Question]:
    access, module = module_get_for(user, slug, module_slug, **required)
    question = (Question.objects.filter(module=module, source_id=question_id)
                .select_related("checkpoint__section", "module__course").first())
    if question is None or (question.retired and not access.is_staff):
        raise Http404("No such question.")
    return access, question


def checkpoint_get_for(user, slug: str, module_slug: str, checkpoint_id: str, **required: bool
                       ) -> tuple[CourseAccess, Checkpoint]:
    access, module = module_get_for(user, slug, module_slug, **required)
    checkpoint = Checkpoint.objects.filter(module=module, source_id=checkpoint_id).select_related("section").first()
    if checkpoint is None:
        raise Http404("No such checkpoint.")
    return access, checkpoint


def answer_get_for(user, slug: str, answer_id: int) -> tuple[CourseAccess, Answer]:
    """The answer if `user` wrote it or is staff of its course; 404 otherwise (ids reveal nothing)."""
    access = course_get_for(user, slug)
    answers = Answer.objects.filter(pk=answer_id, question__module__course=access.course)
    if not access.is_staff:
        answers = answers.filter(student=user)
    answer = answers.select_related("question__checkpoint__section", "question__module", "student").first()
    if answer is None:
        raise Http404("No such answer.")
    return access, answer


# --- a student's view of one question ------------------------------------------------------------------


@dataclass
class QuestionState:
    student_id: int
    question: Question
    spec: CheckpointFile
    answers: list[Answer]
    now: dt.datetime
    view: dict[str, Any] = field(init=False)
    seed: int = field(init=False)

    def __post_init__(self) -> None:
        attempt = self.next_attempt or (self.answers[-1].attempt if self.answers else 1)
        self.seed = int(self.answers[-1].seed) if self.closed and self.answers else self.seed_for(attempt)
        self.view = public_view(self.question.quiz(), self.seed)

    def seed_for(self, attempt: int) -> int:
        return make_seed(self.student_id, self.question.source_id, attempt)

    @property
    def attempts_used(self) -> int:
        return len(self.answers)

    @property
    def max_attempts(self) -> int:
        return self.spec.max_attempts

    @property
    def last(self) -> Answer | None:
        return self.answers[-1] if self.answers else None

    @property
    def last_view(self) -> dict[str, Any]:
        """The variant the last answer answered (option texts for showing that answer)."""
        last = self.last
        if last is None or int(last.seed) == self.seed:
            return self.view
        return public_view(self.question.quiz(), int(last.seed))

    @property
    def correct(self) -> bool:
        return any(a.correct for a in self.answers)

    @property
    def closed(self) -> bool:
        """No further attempt is offered."""
        if self.attempts_used >= self.max_attempts:
            return True
        if self.question.type == "reflection":
            return self.attempts_used >= 1
        if self.spec.feedback == "after_due":
            # After the due date the solution is shown, so an answered question takes no more attempts;
            # one never answered can still be answered once, for late credit.
            return bool(self.answers) and self.spec.due is not None and self.now >= self.spec.due
        return self.correct

    @property
    def next_attempt(self) -> int | None:
        return None if self.closed or self.question.retired else self.attempts_used + 1

    @property
    def show_result(self) -> bool:
        """Correctness and the answer's own feedback."""
        left = 0 if self.closed else self.max_attempts - self.attempts_used
        return feedback_visible(self.spec, now=self.now, answered=bool(self.answers), attempts_left=left)

    @property
    def show_solution(self) -> bool:
        """The explanation and the answer key: once the question is closed (or the due date passed)."""
        return self.show_result and (self.closed or self.spec.feedback == "after_due")

    @property
    def points(self) -> float:
        return max((a.points for a in self.answers), default=0.0)

    @property
    def max_points(self) -> float:
        if self.question.type == "reflection":
            return 0.0
        return round(self.spec.points_per_attempt[0] * self.question.quiz().weight, 4)

    @property
    def next_points(self) -> float | None:
        n = self.next_attempt
        if n is None or self.question.type == "reflection":
            return None
        return round(self.spec.points_per_attempt[n - 1] * self.question.quiz().weight, 4)

    @property
    def done(self) -> bool:
        return self.closed or (bool(self.answers) and self.spec.feedback == "after_due")


def question_state(user, question: Question, *, now: dt.datetime | None = None,
                   spec: CheckpointFile | None = None, answers: list[Answer] | None = None) -> QuestionState:
    if answers is None:
        answers = list(Answer.objects.filter(student=user, question=question).order_by("attempt"))
    return QuestionState(student_id=user.pk, question=question, spec=spec or question.checkpoint.spec(),
                         answers=answers, now=now or timezone.now())


def checkpoint_states(user, checkpoint: Checkpoint, *, now: dt.datetime | None = None) -> list[QuestionState]:
    """The student's state of every live question of the checkpoint, in order."""
    now = now or timezone.now()
    spec = checkpoint.spec()
    questions = list(checkpoint.questions.filter(retired=False).prefetch_related(
        Prefetch("answers", queryset=Answer.objects.filter(student=user).order_by("attempt"), to_attr="mine")))
    for q in questions:
        q.checkpoint = checkpoint
    return [question_state(user, q, now=now, spec=spec, answers=q.mine) for q in questions]


# --- progress ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SectionProgress:
    section: Section
    questions: int
    done: int
    points: float
    max_points: float

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.questions) if self.questions else 0


def progress_for(user, module: Module) -> list[SectionProgress]:
    """Per section: how many live questions the student has finished, and the points so far."""
    sections = list(Section.objects.filter(module=module, retired=False).select_related("checkpoint"))
    progress = {p.question_id: p for p in QuestionProgress.objects.filter(student=user, question__module=module)}
    out = []
    for section in sections:
        checkpoint = getattr(section, "checkpoint", None)
        if checkpoint is None or checkpoint.retired:
            out.append(SectionProgress(section, 0, 0, 0.0, 0.0))
            continue
        spec = checkpoint.spec()
        live = [q for q in checkpoint.questions.all() if not q.retired]
        done = sum(1 for q in live if _finished(progress.get(q.pk), q, spec))
        points = sum(progress[q.pk].points for q in live if q.pk in progress)
        max_points = sum(spec.points_per_attempt[0] * q.data.get("weight", 1.0)
                         for q in live if q.type != "reflection")
        out.append(SectionProgress(section, len(live), done, round(points, 2), round(max_points, 2)))
    return out


def _finished(progress: QuestionProgress | None, question: Question, spec: CheckpointFile) -> bool:
    if progress is None or progress.attempts_used == 0:
        return False
    if question.type == "reflection" or spec.feedback == "after_due":
        return True
    return progress.correct or progress.attempts_used >= spec.max_attempts


def reflections_for(checkpoint: Checkpoint):
    return (Answer.objects.filter(question__checkpoint=checkpoint, question__type="reflection")
            .select_related("student", "question").prefetch_related("comments__author")
            .order_by("question__position", "student__username", "attempt"))
