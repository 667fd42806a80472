"""Grader domain verbs (`<entity>_<verb>`). Tasks and views call these only."""

from __future__ import annotations

import secrets
import time
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from grader.models import Ping

MAX_PING_WORK_SECONDS = 30.0


def ping_create(*, user, work_seconds: float = 0.0) -> Ping:
    """Write the row and enqueue its task once the row is committed."""
    from grader import tasks

    work_seconds = min(max(float(work_seconds), 0.0), MAX_PING_WORK_SECONDS)
    with transaction.atomic():
        ping = Ping.objects.create(requested_by=user, work_seconds=work_seconds)
        transaction.on_commit(lambda: tasks.ping_run.delay(ping.pk))
    return ping


def ping_claim(ping_id: int, *, now=None) -> str | None:
    """Claim a queued ping, or one whose claimant is past the hard time limit (so surely dead).

    Returns the claim token, or None when another delivery holds it or it is done.
    """
    now = now or timezone.now()
    stale_before = now - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    token = secrets.token_hex(16)
    claimed = (
        Ping.objects.filter(pk=ping_id)
        .filter(Q(status=Ping.Status.QUEUED) | Q(status=Ping.Status.STARTED, claimed_at__lt=stale_before))
        .update(status=Ping.Status.STARTED, claim_token=token, claimed_at=now, claims=F("claims") + 1)
    )
    return token if claimed == 1 else None


def ping_run(ping_id: int, *, worker: str) -> bool:
    """Claim, do the (simulated) work, and write the result once. False if not ours to run."""
    token = ping_claim(ping_id)
    if token is None:
        return False
    work = Ping.objects.filter(pk=ping_id).values_list("work_seconds", flat=True).first() or 0.0
    deadline = time.monotonic() + work
    while time.monotonic() < deadline:
        time.sleep(min(0.05, deadline - time.monotonic()))
    finished = Ping.objects.filter(pk=ping_id, status=Ping.Status.STARTED, claim_token=token).update(
        status=Ping.Status.DONE, finished_at=timezone.now(), worker=worker[:255],
        completions=F("completions") + 1,
    )
    return finished == 1


def ping_get_for(user, ping_id: int) -> Ping | None:
    return Ping.objects.filter(pk=ping_id, requested_by=user).first()
