"""The course content as loaded from files: sections, figures, checkpoints and their questions.

Every row carries the stable id from its file (`source_id`), which is what
`load_course` upserts by and `export_course` writes back. A question keeps its
validated JSON (`data`, exactly what the quiz engine's schema accepts, without
the `retired` key, which is the column); grading always goes back through the
pure quiz engine (`courseware.quiz`) with that JSON.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from pydantic import TypeAdapter

from courseware.models.course import Module
from courseware.quiz.schema import CheckpointFile
from courseware.quiz.schema import Question as QuizQuestion

_QUESTION = TypeAdapter(QuizQuestion)


class OrderedJSONField(models.TextField):
    """JSON stored as text, so objects keep their key order.

    PostgreSQL's jsonb sorts object keys, but a question's `derived` values are
    computed in the order they are declared (and exported files should read
    as they were written).
    """

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> Any:
        return None if value is None else json.loads(value)

    def to_python(self, value: Any) -> Any:
        return json.loads(value) if isinstance(value, str) else value

    def get_prep_value(self, value: Any) -> str | None:
        return None if value is None else json.dumps(value, ensure_ascii=False)

    def value_to_string(self, obj: models.Model) -> str:
        return self.get_prep_value(self.value_from_object(obj)) or ""

    def formfield(self, **kwargs: Any) -> forms.Field:
        return models.Field.formfield(self, **{"form_class": forms.JSONField, **kwargs})


class ModuleContent(models.Model):
    """What course.yaml says about a week beyond the Module row itself."""

    module = models.OneToOneField(Module, on_delete=models.CASCADE, related_name="content")
    source_id = models.CharField(max_length=80, unique=True)
    title = models.CharField(max_length=200, help_text="The course title as course.yaml gives it.")
    welcome = models.TextField(blank=True)
    learning_outcomes = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name_plural = "module contents"

    def __str__(self) -> str:
        return self.source_id


class Section(models.Model):
    module = models.ForeignKey(Module, on_delete=models.CASCADE, related_name="sections")
    source_id = models.CharField(max_length=80)
    filename = models.CharField(max_length=120, help_text="sections/NN-slug.md")
    order = models.PositiveIntegerField()
    number = models.CharField(max_length=10, blank=True)
    title = models.CharField(max_length=200)
    body = models.TextField(help_text="Markdown; raw HTML is not rendered.")
    retired = models.BooleanField(default=False, help_text="Removed from the files but kept for its answers.")

    class Meta:
        ordering = ["module", "order"]
        constraints = [
            models.UniqueConstraint(fields=["module", "source_id"], name="section_unique_source_id"),
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.title}" if self.number else self.title


class Figure(models.Model):
    """A file of figures/ (SVG drawings), kept in the database so every web host can serve it."""

    module = models.ForeignKey(Module, on_delete=models.CASCADE, related_name="figures")
    name = models.CharField(max_length=120)
    media_type = models.CharField(max_length=60)
    data = models.BinaryField()

    class Meta:
        ordering = ["module", "name"]
        constraints = [models.UniqueConstraint(fields=["module", "name"], name="figure_unique_name")]

    def __str__(self) -> str:
        return self.name


class Feedback(models.TextChoices):
    IMMEDIATE = "immediate", "Immediately after each answer"
    AFTER_SUBMISSION = "after_submission", "After the last attempt (or a correct answer)"
    AFTER_DUE = "after_due", "After the due date"


class Checkpoint(models.Model):
    module = models.ForeignKey(Module, on_delete=models.CASCADE, related_name="checkpoints")
    section = models.OneToOneField(Section, on_delete=models.PROTECT, related_name="checkpoint")
    source_id = models.CharField(max_length=80)
    filename = models.CharField(max_length=120, help_text="checkpoints/NN-slug.yaml")
    title = models.CharField(max_length=200)
    attempts = models.PositiveSmallIntegerField(null=True, blank=True,
                                                help_text="Empty: as many as points_per_attempt has entries.")
    feedback = models.CharField(max_length=20, choices=Feedback.choices, default=Feedback.IMMEDIATE)
    points_per_attempt = models.JSONField(help_text="Decreasing list, e.g. [10, 7, 5, 2].")
    due = models.DateTimeField(null=True, blank=True)
    late_credit = models.FloatField(default=0.0, validators=[MinValueValidator(0), MaxValueValidator(1)])
    retired = models.BooleanField(default=False, help_text="Removed from the files but kept for its answers.")

    class Meta:
        ordering = ["module", "section__order"]
        constraints = [models.UniqueConstraint(fields=["module", "source_id"], name="checkpoint_unique_source_id")]

    def __str__(self) -> str:
        return f"{self.title} ({self.source_id})"

    def spec_dict(self, questions: list[Question] | None = None) -> dict[str, Any]:
        """The checkpoint as its file would say it (questions in order, retired ones flagged)."""
        if questions is None:
            questions = list(self.questions.all())
        out: dict[str, Any] = {"id": self.source_id, "section": self.section.source_id, "title": self.title}
        if self.attempts is not None:
            out["attempts"] = self.attempts
        out["feedback"] = self.feedback
        out["points_per_attempt"] = list(self.points_per_attempt)
        if self.due is not None:
            out["due"] = self.due.isoformat()
        if self.late_credit:
            out["late_credit"] = self.late_credit
        out["questions"] = [q.file_dict() for q in questions]
        return out

    def spec(self) -> CheckpointFile:
        """The validated policy and questions, as the pure quiz engine takes them."""
        cached = getattr(self, "_spec_cache", None)
        if cached is None:
            cached = CheckpointFile.model_validate(self.spec_dict())
            self._spec_cache = cached
        return cached


class Question(models.Model):
    module = models.ForeignKey(Module, on_delete=models.CASCADE, related_name="questions")
    checkpoint = models.ForeignKey(Checkpoint, on_delete=models.PROTECT, related_name="questions")
    source_id = models.CharField(max_length=80)
    position = models.PositiveIntegerField(default=0)
    type = models.CharField(max_length=30, editable=False)
    data = OrderedJSONField(help_text="The question as in its checkpoint file (validated on save).")
    retired = models.BooleanField(default=False, help_text="Hidden from students; past answers are kept.")

    class Meta:
        ordering = ["checkpoint", "position"]
        constraints = [models.UniqueConstraint(fields=["module", "source_id"], name="question_unique_source_id")]

    def __str__(self) -> str:
        return self.source_id

    def file_dict(self) -> dict[str, Any]:
        out = dict(self.data)
        if self.retired:
            out["retired"] = True
        return out

    def quiz(self) -> QuizQuestion:
        """The validated question (pydantic) for grading and public views."""
        cached = getattr(self, "_quiz_cache", None)
        if cached is None:
            cached = _QUESTION.validate_python(self.file_dict())
            self._quiz_cache = cached
        return cached


def question_validate(data: dict[str, Any]) -> QuizQuestion:
    """Validate a question's JSON (raises pydantic.ValidationError)."""
    return _QUESTION.validate_python(data)
