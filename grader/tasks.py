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
