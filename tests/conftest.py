"""Shared fixtures: personas, a private Redis, real Celery worker processes, Chromium.

Services: a test that needs Redis or Chromium is skipped with a reason when the
program is missing, unless REQUIRE_SERVICES=1 (CI), where it fails instead.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def service_missing(reason: str) -> None:
    if REQUIRE_SERVICES:
        pytest.fail(f"{reason} (REQUIRE_SERVICES=1 makes this a failure)")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, timeout: float, interval: float = 0.1, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


# ---------------------------------------------------------------- personas

@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing():
    """PBKDF2's deliberate slowness is for attackers, not for the test suite.

    Set once for the session, without pytest-django's `settings` fixture, so pure tests
    (simulator, quiz engine) also run with `-p no:django`."""
    from django.conf import settings

    if not settings.configured:
        yield
        return
    from django.contrib.auth import hashers

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    hashers.get_hashers.cache_clear()
    hashers.get_hashers_by_algorithm.cache_clear()
    yield


@pytest.fixture
def personas(db, django_user_model):
    """alice, bob (students), terry (TA), ingrid (instructor) in ops3; oscar instructs ops4."""
    from courseware.models import Course, Membership, Module, Role

    ops3 = Course.objects.create(slug="ops3", code="OPS3", title="Virtualization and Cloud Infrastructure")
    Module.objects.create(course=ops3, slug="week6", number=6, title="Cluster and High Availability")
    ops4 = Course.objects.create(slug="ops4", code="OPS4", title="Automation")
    people = {}
    for name, course, role in [("alice", ops3, Role.STUDENT), ("bob", ops3, Role.STUDENT),
                               ("terry", ops3, Role.TA), ("ingrid", ops3, Role.INSTRUCTOR),
                               ("oscar", ops4, Role.INSTRUCTOR)]:
        user = django_user_model.objects.create_user(name, f"{name}@example.edu", f"{name}-pass-2026",
                                                     first_name=name.title())
        Membership.objects.create(user=user, course=course, role=role)
        people[name] = user
    people["ops3"], people["ops4"] = ops3, ops4
    return people


@pytest.fixture
def login(client):
    def as_user(user):
        client.force_login(user)
        return client
    return as_user


# ---------------------------------------------------------------- Redis

class RedisServer:
    def __init__(self, port: int, proc: subprocess.Popen) -> None:
        self.port, self.proc = port, proc

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False


@pytest.fixture(scope="session")
def redis_server():
    binary = shutil.which("redis-server")
    if binary is None:
        service_missing("redis-server is not installed")
    port = free_port()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--maxmemory-policy", "noeviction", "--daemonize", "no", "--loglevel", "warning"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    server = RedisServer(port, proc)
    wait_for(server.ping, 10, what="the private redis-server")
    yield server
    proc.terminate()
    proc.wait(timeout=10)


# ---------------------------------------------------------------- Celery workers

WORKER_ENV = {"CELERY_VISIBILITY_TIMEOUT": "10", "CELERY_TASK_TIME_LIMIT": "8", "WORKER_HEARTBEAT_SECONDS": "1"}


def database_url() -> str:
    from django.db import connection

    cfg = connection.settings_dict
    if cfg["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{cfg['NAME']}"
    user = cfg.get("USER") or ""
    password = f":{cfg['PASSWORD']}" if cfg.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    return f"postgres://{auth}{cfg.get('HOST') or '127.0.0.1'}:{cfg.get('PORT') or 5432}/{cfg['NAME']}"


class WorkerProcess:
    """A real `celery worker` process (prefork, one child) against the test database."""

    def __init__(self, name: str, broker_url: str, log_path: Path) -> None:
        self.name = name
        self.hostname = f"{name}@test"
        env = {**os.environ, **WORKER_ENV, "DATABASE_URL": database_url(), "CELERY_BROKER_URL": broker_url,
               "DJANGO_SETTINGS_MODULE": "config.settings", "PYTHONUNBUFFERED": "1"}
        self.log_path = log_path
        self.log = open(log_path, "wb")  # noqa: SIM115 (closed in stop())
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "prefork", "--concurrency", "1",
             "--hostname", self.hostname, "--without-gossip", "--without-mingle", "--loglevel", "INFO"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
        )

    def wait_ready(self, timeout: float = 60) -> None:
        from grader.models import WorkerHeartbeat

        def ready() -> bool:
            if self.proc.poll() is not None:
                raise AssertionError(f"worker exited early:\n{self.log_path.read_text()[-3000:]}")
            return WorkerHeartbeat.objects.filter(hostname=self.hostname, stopped_at__isnull=True).exists()

        wait_for(ready, timeout, interval=0.2, what=f"worker {self.hostname} to start")

    def kill(self) -> None:
        """SIGKILL the worker and its pool children at once: no clean shutdown, no ack."""
        os.killpg(self.proc.pid, 9)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, 15)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
                self.proc.wait(timeout=10)
        self.log.close()


def _reset_pools(app) -> None:
    from kombu import pools

    pools.reset()
    app._after_fork()  # drops the connection and producer pools so new ones use the new broker


@pytest.fixture
def celery_redis(redis_server, settings):
    """Point this process's Celery app (the producer side) at the private Redis."""
    from config.celery import app

    old = (app.conf.broker_url, app.conf.broker_transport_options)
    app.conf.broker_url = redis_server.url
    app.conf.broker_transport_options = {"visibility_timeout": int(WORKER_ENV["CELERY_VISIBILITY_TIMEOUT"])}
    settings.CELERY_BROKER_URL = redis_server.url
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = app.conf.broker_transport_options
    _reset_pools(app)
    subprocess.run(["redis-cli", "-p", str(redis_server.port), "FLUSHALL"], check=False,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    yield redis_server
    _reset_pools(app)
    app.conf.broker_url, app.conf.broker_transport_options = old


@pytest.fixture
def start_worker(celery_redis, transactional_db, tmp_path):
    workers: list[WorkerProcess] = []

    def start(name: str = "w1") -> WorkerProcess:
        worker = WorkerProcess(f"{name}-{len(workers)}", celery_redis.url, tmp_path / f"{name}.log")
        workers.append(worker)
        worker.wait_ready()
        return worker

    yield start
    for worker in workers:
        worker.stop()


# ---------------------------------------------------------------- Chromium

@pytest.fixture(scope="session")
def chromium():
    if not Path(CHROMIUM).exists():
        service_missing(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(chromium, live_server):
    context = chromium.new_context(base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()
