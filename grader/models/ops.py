"""Operations models: worker liveness and the worker round-trip check.

`Ping` is the smallest complete instance of the platform's queue contract
(row written, task enqueued on commit, claimed with a conditional UPDATE,
result written once); grading runs follow the same shape.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class WorkerHeartbeat(models.Model):
    hostname = models.CharField(max_length=255, unique=True)
    pid = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField()
    last_seen = models.DateTimeField(db_index=True)
    stopped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["hostname"]

    def __str__(self) -> str:
        return f"{self.hostname} (last seen {self.last_seen:%Y-%m-%d %H:%M:%S})"


class Ping(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        STARTED = "started", "Running"
        DONE = "done", "Done"

    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                     related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    work_seconds = models.FloatField(default=0)
    claim_token = models.CharField(max_length=64, blank=True)
    claims = models.PositiveIntegerField(default=0)
    completions = models.PositiveIntegerField(default=0)
    worker = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"ping {self.pk} ({self.status})"

    @property
    def round_trip_ms(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.created_at).total_seconds() * 1000
