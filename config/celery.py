"""The Celery application: configuration from Django settings (CELERY_* names).

The worker also runs a heartbeat timer (grader.worker.HeartbeatStep) so that
/healthz can tell whether any worker is alive without a broker round trip.
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("ops3")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def _install_heartbeat() -> None:
    from grader.worker import HeartbeatStep

    app.steps["worker"].add(HeartbeatStep)


_install_heartbeat()
