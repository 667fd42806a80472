"""Worker heartbeat: every worker stamps a row on a timer, so /healthz can see it.

A bootstep rather than a beat task, so that liveness does not depend on beat,
and a row per hostname so several hosts can be told apart.
"""

from __future__ import annotations

import logging
import os

from celery import bootsteps

log = logging.getLogger(__name__)


class HeartbeatStep(bootsteps.StartStopStep):
    requires = {"celery.worker.components:Timer"}

    def __init__(self, worker, **kwargs) -> None:
        super().__init__(worker, **kwargs)
        self.tref = None
        self.hostname = ""

    def start(self, worker) -> None:
        from django.conf import settings

        self.hostname = worker.hostname
        self.beat(first=True)
        self.tref = worker.timer.call_repeatedly(settings.CELERY_WORKER_HEARTBEAT_SECONDS, self.beat)

    def stop(self, worker) -> None:
        if self.tref is not None:
            self.tref.cancel()
            self.tref = None
        self.record(stopped=True)

    def beat(self, first: bool = False) -> None:
        self.record(first=first)

    def record(self, *, first: bool = False, stopped: bool = False) -> None:
        from django.db import close_old_connections
        from django.utils import timezone

        from grader.models import WorkerHeartbeat

        now = timezone.now()
        try:
            close_old_connections()
            defaults = {"last_seen": now, "pid": os.getpid(), "stopped_at": now if stopped else None}
            if first:
                defaults["started_at"] = now
            WorkerHeartbeat.objects.update_or_create(hostname=self.hostname, defaults=defaults,
                                                     create_defaults={**defaults, "started_at": now})
        except Exception:  # a heartbeat must never take the worker down
            log.exception("worker heartbeat could not be recorded")
