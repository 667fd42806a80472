"""Liveness of the parts /healthz reports: database, broker, workers."""

from __future__ import annotations

import time
from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone


def _timed(check) -> dict:
    started = time.perf_counter()
    try:
        detail = check()
        result = {"ok": True, **(detail or {})}
    except Exception as exc:  # every failure is reported, never raised
        result = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
    result["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


def database() -> dict:
    def check() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()

    return _timed(check)


def broker() -> dict:
    def check() -> dict:
        from kombu import Connection

        url = settings.CELERY_BROKER_URL
        with Connection(url, transport_options=settings.CELERY_BROKER_TRANSPORT_OPTIONS,
                        connect_timeout=2) as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
            return {"transport": conn.transport_cls if isinstance(conn.transport_cls, str) else url.split(":")[0]}

    return _timed(check)


def workers() -> dict:
    def check() -> dict:
        from grader.models import WorkerHeartbeat

        fresh_after = timezone.now() - timedelta(seconds=settings.HEALTH_WORKER_STALE_SECONDS)
        alive = WorkerHeartbeat.objects.filter(last_seen__gte=fresh_after, stopped_at__isnull=True).count()
        if alive == 0:
            raise RuntimeError(f"no worker heartbeat in the last {settings.HEALTH_WORKER_STALE_SECONDS} s")
        return {"alive": alive}

    return _timed(check)


def report() -> tuple[bool, dict]:
    checks = {"database": database(), "broker": broker()}
    checks["worker"] = workers() if checks["database"]["ok"] else {"ok": False, "error": "database is down"}
    healthy = all(check["ok"] for check in checks.values())
    return healthy, {"status": "ok" if healthy else "unavailable", "checks": checks}
