"""/healthz reports database, broker and worker liveness, with 503 when something is down."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from grader.models import WorkerHeartbeat


def _beat(age_seconds: float, stopped: bool = False) -> None:
    now = timezone.now()
    WorkerHeartbeat.objects.create(hostname=f"w{age_seconds}@test", started_at=now - timedelta(hours=1),
                                   last_seen=now - timedelta(seconds=age_seconds),
                                   stopped_at=now if stopped else None)


def test_healthz_is_ok_with_a_fresh_worker_heartbeat(client, db):
    _beat(2)

    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["worker"]["alive"] == 1
    assert body["checks"]["database"]["ok"] and body["checks"]["broker"]["ok"]


@pytest.mark.parametrize("age,stopped", [(600, False), (1, True)])
def test_healthz_is_503_when_no_worker_is_alive(client, db, age, stopped):
    _beat(age, stopped)

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["checks"]["worker"]["ok"] is False
    assert "no worker heartbeat" in response.json()["checks"]["worker"]["error"]


def test_healthz_is_503_when_the_broker_is_unreachable(client, db, settings):
    from tests.conftest import free_port

    _beat(1)
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{free_port()}/0"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["checks"]["broker"]["ok"] is False


@pytest.mark.services
def test_a_real_worker_process_makes_healthz_report_it_alive(start_worker, client, settings):
    start_worker("health")

    response = client.get("/healthz")

    assert response.status_code == 200, response.json()
    assert response.json()["checks"]["broker"]["ok"]
