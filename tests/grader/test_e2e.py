"""Grading end to end: HTTP request -> rows -> on_commit -> Redis -> real worker processes -> report page.

The template is tests/platform/test_celery_chain.py; here the job is a real
grading run (the simulator, the one collector, the rubric).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time

import pytest
from django.test import Client
from django.urls import reverse
from grader_labkit import SOLUTION, ServedCluster, loopback_allowed, make_lab, needs_collector, register

from grader.models import AttemptCounter, GradingRun, Submission
from tests.conftest import ROOT, WORKER_ENV, WorkerProcess, database_url, free_port, service_missing, wait_for

pytestmark = [pytest.mark.services, pytest.mark.slow, needs_collector]


@pytest.fixture
def lab(personas):
    return make_lab(personas["ops3"].modules.get(slug="week6"))


def _graded(run_id: int):
    run = GradingRun.objects.get(pk=run_id)
    return run if run.is_final else None


def _work_the_lab(client, lab, lines=SOLUTION) -> str:
    client.post(reverse("lab-start", args=["ops3", lab.slug]))
    for line in lines:
        client.post(reverse("lab-console", args=["ops3", lab.slug]), {"line": line}, HTTP_HX_REQUEST="true")
    response = client.post(reverse("lab-submit", args=["ops3", lab.slug]))
    assert response.status_code == 302, response.content[:500]
    return response["Location"]


def test_submit_over_http_and_the_report_appears(start_worker, client, personas, lab):
    worker = start_worker("grader")
    client.force_login(personas["alice"])

    report_url = _work_the_lab(client, lab)

    run = GradingRun.objects.get()
    done = wait_for(lambda: _graded(run.pk), 30, what="the worker to grade the submission")
    assert done.status == "graded" and done.score == 1.0 and done.worker == worker.hostname
    assert (done.claims, done.completions) == (1, 1)
    page = client.get(report_url).content.decode()
    assert 'data-status="graded"' in page and "5 / 5" in page and "The cluster lab exists" in page
    assert "Hidden" not in page and "The cluster is quorate" not in page, "hidden items stay hidden"


def test_a_worker_killed_mid_run_leaves_it_to_be_graded_exactly_once(start_worker, client, personas, lab, settings,
                                                                       tmp_path, monkeypatch):
    # A real target 1.5 s away per request makes the run long enough to kill the worker inside it.
    monkeypatch.setenv("GRADER_ALLOWED_NETWORKS", "127.0.0.1/32")
    loopback_allowed(settings)
    served = ServedCluster(tmp_path, "--latency-ms", "1500")
    try:
        target = register(personas["alice"], personas["ops3"], served)
        first = start_worker("doomed")
        client.force_login(personas["alice"])
        response = client.post(reverse("lab-submit", args=["ops3", lab.slug]), {"target": target.pk})
        assert response.status_code == 302
        run = GradingRun.objects.get()
        wait_for(lambda: GradingRun.objects.filter(pk=run.pk, status="started").exists(), 30,
                 what="the first worker to claim the run")
        time.sleep(0.5)

        first.kill()

        assert GradingRun.objects.get(pk=run.pk).status == "started"
        second = start_worker("rescuer")
        done = wait_for(lambda: _graded(run.pk), 90, interval=0.25, what="redelivery to the second worker")
    finally:
        served.stop()
    assert done.status == "graded" and done.score == 1.0 and done.worker == second.hostname
    assert done.claims == 2, "the redelivered task claims the run again"
    assert done.completions == 1, "the result is written exactly once"
    assert AttemptCounter.objects.get(lab=lab, user=personas["alice"]).used == 1
    for log in (first.log_path, second.log_path, served.log_path):
        assert served.secret not in log.read_text(errors="replace"), f"the token secret leaked into {log.name}"


def test_two_submits_in_the_same_instant_keep_the_attempt_count_right(start_worker, personas, lab):
    start_worker("grader")
    capped = make_lab(lab.module, slug="one-shot", max_attempts=1)
    clients = []
    for target_lab in (lab, capped):
        for _ in range(2):
            c = Client()
            c.force_login(personas["alice"])
            clients.append((c, target_lab))
    for c, target_lab in clients[::2]:
        c.post(reverse("lab-start", args=["ops3", target_lab.slug]))
    barrier = threading.Barrier(len(clients))
    statuses: list[int] = []

    def submit(c, target_lab) -> None:
        from django.db import connection

        barrier.wait()
        statuses.append(c.post(reverse("lab-submit", args=["ops3", target_lab.slug])).status_code)
        connection.close()

    threads = [threading.Thread(target=submit, args=pair) for pair in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)

    assert statuses == [302] * 4
    assert sorted(Submission.objects.filter(lab=lab).values_list("attempt_number", flat=True)) == [1, 2]
    assert AttemptCounter.objects.get(lab=lab, user=personas["alice"]).used == 2
    assert Submission.objects.filter(lab=capped).count() == 1, "one attempt allowed: exactly one accepted"
    assert AttemptCounter.objects.get(lab=capped, user=personas["alice"]).used == 1
    runs = list(GradingRun.objects.values_list("pk", flat=True))
    for run_id in runs:
        wait_for(lambda run_id=run_id: _graded(run_id), 60, what="every run to be graded")
    assert GradingRun.objects.filter(status="graded", completions=1).count() == 3


# ---------------------------------------------------------------- Redis down at submit time

class PrivateRedis:
    """A redis-server on a fixed port that the test can stop and start again."""

    def __init__(self) -> None:
        self.binary = shutil.which("redis-server")
        if self.binary is None:
            service_missing("redis-server is not installed")
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--maxmemory-policy", "noeviction", "--loglevel", "warning"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        from tests.conftest import RedisServer

        wait_for(RedisServer(self.port, self.proc).ping, 10, what="the private redis-server")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


@pytest.fixture
def flaky_redis(transactional_db, settings):
    from config.celery import app
    from tests.conftest import _reset_pools

    redis = PrivateRedis()
    redis.start()
    old = (app.conf.broker_url, app.conf.broker_transport_options)
    options = {"visibility_timeout": int(WORKER_ENV["CELERY_VISIBILITY_TIMEOUT"])}
    app.conf.broker_url, app.conf.broker_transport_options = redis.url, options
    settings.CELERY_BROKER_URL, settings.CELERY_BROKER_TRANSPORT_OPTIONS = redis.url, options
    _reset_pools(app)
    yield redis
    redis.stop()
    _reset_pools(app)
    app.conf.broker_url, app.conf.broker_transport_options = old


def test_redis_down_at_submit_time_loses_nothing_and_beat_sweeps_it_in(flaky_redis, client, personas, lab,
                                                                      tmp_path, monkeypatch):
    monkeypatch.setenv("GRADER_SWEEP_SECONDS", "1")
    monkeypatch.setenv("GRADER_QUEUED_GRACE_SECONDS", "2")
    worker = WorkerProcess("survivor", flaky_redis.url, tmp_path / "worker.log")
    beat = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "beat", "--schedule", str(tmp_path / "beat-schedule"),
         "--loglevel", "INFO"],
        cwd=ROOT, env={**os.environ, **WORKER_ENV, "DATABASE_URL": database_url(),
                       "CELERY_BROKER_URL": flaky_redis.url, "DJANGO_SETTINGS_MODULE": "config.settings"},
        stdout=open(tmp_path / "beat.log", "wb"), stderr=subprocess.STDOUT, start_new_session=True)  # noqa: SIM115
    try:
        worker.wait_ready()
        client.force_login(personas["alice"])
        client.post(reverse("lab-start", args=["ops3", lab.slug]))
        flaky_redis.stop()

        started = time.monotonic()
        response = client.post(reverse("lab-submit", args=["ops3", lab.slug]))

        assert response.status_code == 302, "the student's submit succeeds although the broker is down"
        assert time.monotonic() - started < 10
        run = GradingRun.objects.get()
        assert run.status == "queued"
        time.sleep(3)
        assert GradingRun.objects.get(pk=run.pk).status == "queued"

        flaky_redis.start()
        done = wait_for(lambda: _graded(run.pk), 90, interval=0.25,
                        what="beat's sweeper to re-enqueue the run and the worker to grade it")
    finally:
        os.killpg(beat.pid, 15)
        beat.wait(timeout=20)
        worker.stop()
    assert done.status == "graded" and done.completions == 1
    assert Submission.objects.count() == 1
