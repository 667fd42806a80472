"""What students do with checkpoints: one progress row per (student, question), one answer per attempt.

`QuestionProgress` is the row an answer locks (select_for_update) so that
attempts are counted atomically: a submission names the attempt it answers,
and only `attempts_used + 1` is accepted, so a double submit cannot use two.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from courseware.models.content import Question


class QuestionProgress(models.Model):
    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="question_progress")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="progress")
    attempts_used = models.PositiveSmallIntegerField(default=0)
    points = models.FloatField(default=0.0, help_text="The best points of any attempt.")
    best_score = models.FloatField(null=True, blank=True, help_text="0..1; empty for reflections.")
    correct = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["question", "student"]
        constraints = [models.UniqueConstraint(fields=["student", "question"], name="progress_unique_student_question")]
        verbose_name_plural = "question progress"

    def __str__(self) -> str:
        return f"{self.student} on {self.question}: {self.attempts_used} attempt(s)"


class Answer(models.Model):
    """One attempt at one question: the payload as submitted and the engine's result."""

    class Status(models.TextChoices):
        GRADED = "graded", "Graded"
        STORED = "stored", "Stored for review"

    progress = models.ForeignKey(QuestionProgress, on_delete=models.CASCADE, related_name="answers")
    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    attempt = models.PositiveSmallIntegerField()
    seed = models.CharField(max_length=24, help_text="make_seed(student, question, attempt)")
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices)
    score = models.FloatField(null=True, blank=True)
    correct = models.BooleanField(null=True)
    points = models.FloatField(default=0.0)
    late = models.BooleanField(default=False)
    result = models.JSONField(default=dict, help_text="The grading result: feedback, explanation, solution.")
    submitted_at = models.DateTimeField()

    class Meta:
        ordering = ["question", "student", "attempt"]
        constraints = [
            models.UniqueConstraint(fields=["student", "question", "attempt"], name="answer_unique_attempt"),
        ]

    def __str__(self) -> str:
        return f"{self.student} on {self.question}, attempt {self.attempt}"


class ReflectionComment(models.Model):
    answer = models.ForeignKey(Answer, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(max_length=4000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["answer", "created_at"]

    def __str__(self) -> str:
        return f"comment by {self.author} on answer {self.answer_id}"
