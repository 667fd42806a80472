"""Submissions and their grading runs (the queue contract of docs/architecture.md).

A submission is what the student handed in (for a simulated lab, a frozen copy
of the cluster). A grading run is one pass of the grader over it: claimed with
a conditional UPDATE, its result written once. A regrade is another run over
the evidence a previous run collected.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from grader.models.labs import Lab, LabEnvironment, TargetKind
from grader.models.targets import RealTarget


class Submission(models.Model):
    lab = models.ForeignKey(Lab, on_delete=models.CASCADE, related_name="submissions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lab_submissions")
    target_kind = models.CharField(max_length=10, choices=TargetKind.choices, default=TargetKind.SIMULATED)
    environment = models.ForeignKey(LabEnvironment, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="submissions")
    real_target = models.ForeignKey(RealTarget, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="submissions")
    snapshot = models.JSONField(null=True, blank=True, help_text="The simulated cluster as submitted.")
    lab_window_start = models.DateTimeField(null=True, blank=True)
    attempt_number = models.PositiveIntegerField(default=0)
    counts_as_attempt = models.BooleanField(default=True, help_text="False once a platform fault refunded it.")
    late = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["lab", "user", "-created_at"], name="grader_sub_lab_user")]

    def __str__(self) -> str:
        return f"{self.lab.slug} #{self.attempt_number} by {self.user}"


class GradingRun(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        STARTED = "started", "Grading"
        GRADED = "graded", "Graded"
        NOT_GRADABLE = "not_gradable", "Not gradable"
        FAILED = "failed", "Failed"

    class Kind(models.TextChoices):
        GRADE = "grade", "Grade"
        REGRADE = "regrade", "Regrade from evidence"

    FINAL = (Status.GRADED, Status.NOT_GRADABLE, Status.FAILED)

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="runs")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.GRADE)
    source_run = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                   help_text="For a regrade: the run whose evidence is graded again.")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                     blank=True, related_name="+")
    status = models.CharField(max_length=14, choices=Status.choices, default=Status.QUEUED, db_index=True)
    claim_token = models.CharField(max_length=64, blank=True)
    claims = models.PositiveIntegerField(default=0)
    completions = models.PositiveIntegerField(default=0)
    tries = models.PositiveIntegerField(default=0, help_text="Collections that met an unavailable target.")
    worker = models.CharField(max_length=255, blank=True)
    queued_at = models.DateTimeField(auto_now_add=True)
    enqueued_at = models.DateTimeField(null=True, blank=True, help_text="Last time the task was sent.")
    retry_at = models.DateTimeField(null=True, blank=True, help_text="Not before: set while backing off.")
    started_at = models.DateTimeField(null=True, blank=True)
    collected_at = models.DateTimeField(null=True, blank=True)
    graded_at = models.DateTimeField(null=True, blank=True)
    evidence = models.JSONField(null=True, blank=True, help_text="{state: state document, stats: collect stats}")
    report = models.JSONField(null=True, blank=True)
    score = models.FloatField(null=True, blank=True)
    message = models.TextField(blank=True, help_text="Why a run is not gradable or failed.")

    class Meta:
        ordering = ["-queued_at", "-pk"]
        indexes = [models.Index(fields=["status", "enqueued_at"], name="grader_run_sweep")]

    def __str__(self) -> str:
        return f"run {self.pk} of submission {self.submission_id} ({self.status})"

    @property
    def is_final(self) -> bool:
        return self.status in self.FINAL

    @property
    def phases(self) -> dict:
        return {"queued": self.queued_at, "started": self.started_at, "collected": self.collected_at,
                "graded": self.graded_at}
