"""The queue contract end to end: HTTP request -> row -> on_commit -> Redis -> worker process -> row.

This is the template every grading run follows. The worker is a real process
started with `celery worker`, talking to a private redis-server.
"""

from __future__ import annotations

import time

import pytest

from grader import services
from grader.models import Ping
from tests.conftest import wait_for

pytestmark = [pytest.mark.services, pytest.mark.slow]


def _ping_done(ping_id: int):
    ping = Ping.objects.get(pk=ping_id)
    return ping if ping.status == Ping.Status.DONE else None


def test_a_request_creates_a_row_that_a_worker_process_completes_through_redis(start_worker, client, personas):
    worker = start_worker("w")
    client.force_login(personas["ingrid"])

    response = client.post("/ops/worker-check/", {"work_seconds": "0"})

    assert response.status_code == 302
    ping = Ping.objects.get()
    assert response["Location"] == f"/ops/worker-check/{ping.pk}/"
    done = wait_for(lambda: _ping_done(ping.pk), 30, what="the worker to complete the ping")
    assert done.worker == worker.hostname
    assert (done.claims, done.completions) == (1, 1)
    page = client.get(response["Location"])
    assert b"Answered by" in page.content and worker.hostname.encode() in page.content


def test_nothing_is_enqueued_when_the_transaction_rolls_back(celery_redis, transactional_db, personas):
    from django.db import transaction

    from config.celery import app

    with pytest.raises(RuntimeError), transaction.atomic():
        services.ping_create(user=personas["ingrid"])
        raise RuntimeError("the request failed after writing")

    assert Ping.objects.count() == 0
    with app.connection_for_write() as conn:
        assert conn.default_channel.client.llen("celery") == 0


def test_a_worker_killed_mid_task_leaves_the_task_to_be_redelivered_and_completed_exactly_once(
    start_worker, client, personas
):
    first = start_worker("doomed")
    client.force_login(personas["ingrid"])
    client.post("/ops/worker-check/", {"work_seconds": "5"})
    ping = Ping.objects.get()
    wait_for(lambda: Ping.objects.filter(pk=ping.pk, status=Ping.Status.STARTED).exists(), 30,
             what="the first worker to claim the ping")
    time.sleep(0.5)

    first.kill()

    assert Ping.objects.get(pk=ping.pk).status == Ping.Status.STARTED
    second = start_worker("rescuer")
    done = wait_for(lambda: _ping_done(ping.pk), 60, interval=0.25, what="redelivery to the second worker")
    assert done.worker == second.hostname
    assert done.claims == 2, "the redelivered task must claim the run again"
    assert done.completions == 1, "the result must be written exactly once"


def test_a_second_delivery_of_a_claimed_run_exits_without_touching_it(transactional_db, personas):
    ping = Ping.objects.create(requested_by=personas["ingrid"])
    token = services.ping_claim(ping.pk)

    assert token is not None
    assert services.ping_claim(ping.pk) is None
    assert services.ping_run(ping.pk, worker="duplicate@test") is False
    ping.refresh_from_db()
    assert (ping.status, ping.claims, ping.completions, ping.claim_token) == ("started", 1, 0, token)
