"""Celery tasks: thin, idempotent wrappers that load ids and call one service."""

from __future__ import annotations

from celery import shared_task
from django.core.management import call_command

from grader import services


@shared_task(bind=True, acks_late=True)
def ping_run(self, ping_id: int) -> bool:
    return services.ping_run(ping_id, worker=self.request.hostname or "")


@shared_task
def sessions_prune() -> None:
    call_command("clearsessions")


@shared_task(bind=True, acks_late=True, ignore_result=True)
def grade_run(self, run_id: int) -> bool:
    """Retries for an unavailable target are scheduled by the service itself (a new message with a
    countdown, written in the same transaction that releases the claim), so this task never retries.
    The outcome lives on the GradingRun row, so no Celery result is stored (one write less per grade)."""
    return services.run_grade(run_id, worker=self.request.hostname or "")


@shared_task(ignore_result=True)
def runs_sweep() -> dict[str, int]:
    return services.runs_sweep()
