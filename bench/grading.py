"""Benchmark grading end to end: submissions -> Redis -> two real Celery worker processes -> reports.

Builds a throw-away platform (its own SQLite database, or the database
DATABASE_URL names, e.g. an empty PostgreSQL database, and its own
redis-server on a free port), loads a lab from
courseware/content/week6/labs, gives every bench student an environment in
which the lab's solution was typed, starts two `celery worker` processes
(one pool process each), and measures:

- submit-to-report latency when idle: one submission at a time, from the
  call that writes it until its report is stored (p50 / p95), plus the
  server-side share (run queued -> graded);
- a burst: N submissions written as fast as the web tier can, then the time
  until every one is graded (drain time) and the grades per second;
- per-phase medians of the burst (queued -> started -> collected -> graded).

Prints a table. Usage:

    .venv/bin/python bench/grading.py [--burst 1000] [--idle 50] [--workers 2] [--lab build-cluster]

Aims (issue 6): 50+ grades/s, a 1,000-submission burst drained in under
30 s, p50/p95 idle latency under 300 ms. The real-target collection
(API calls and wall time with 50 ms latency) is measured by bench/collect.py.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, timeout: float, what: str, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise SystemExit(f"timed out after {timeout:.0f} s waiting for {what}")


def redis_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


class Platform:
    def __init__(self, workdir: Path, workers: int) -> None:
        self.workdir = workdir
        self.redis_port = free_port()
        binary = shutil.which("redis-server")
        if binary is None:
            raise SystemExit("redis-server is not installed")
        self.redis = subprocess.Popen(
            [binary, "--port", str(self.redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--maxmemory-policy", "noeviction"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: redis_ping(self.redis_port), 10, "redis-server")
        self.env = {**os.environ, "VAR_DIR": str(workdir), "CELERY_BROKER_URL": f"redis://127.0.0.1:{self.redis_port}/0",
                    "DJANGO_SETTINGS_MODULE": "config.settings", "LOG_LEVEL": "WARNING", "PYTHONUNBUFFERED": "1"}
        os.environ.update(self.env)
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        self.worker_count = workers
        self.workers: list[subprocess.Popen] = []

    def start_workers(self) -> None:
        from django.utils import timezone

        from grader.models import WorkerHeartbeat

        since = timezone.now()
        for index in range(self.worker_count):
            log = open(self.workdir / f"worker{index}.log", "wb")  # noqa: SIM115 (lives as long as the worker)
            self.workers.append(subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "prefork", "--concurrency", "1",
                 "--hostname", f"bench{index}@%h", "--without-gossip", "--without-mingle", "--loglevel", "WARNING"],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
        wait_for(lambda: WorkerHeartbeat.objects.filter(started_at__gte=since, stopped_at__isnull=True).count()
                 >= self.worker_count, 60, "the workers to start", interval=0.2)

    def stop(self) -> None:
        for proc in self.workers:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.workers:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        self.redis.terminate()
        self.redis.wait(timeout=10)


def setup_lab(lab_slug: str, students: int):
    from django.contrib.auth import get_user_model

    from courseware.models import Course, Membership, Module, Role
    from grader import services
    from grader.labs import load_lab
    from grader.models import Lab, LabEnvironment

    tag = f"{int(time.time()) % 100000:05d}"  # several runs can share one database
    course = Course.objects.create(slug=f"bench-{tag}", code="BENCH", title="Bench")
    module = Module.objects.create(course=course, slug="week6", number=6, title="Week 6")
    spec = load_lab(ROOT / "courseware" / "content" / "week6" / "labs" / lab_slug)
    lab = services.lab_store(module=module, spec=spec)
    Lab.objects.filter(pk=lab.pk).update(max_attempts=0, submit_interval_seconds=0, due_at=None, late_until=None)
    lab.refresh_from_db()
    users = get_user_model().objects.bulk_create(
        [get_user_model()(username=f"bench{tag}-{i:04d}") for i in range(students)])
    Membership.objects.bulk_create([Membership(user=u, course=course, role=Role.STUDENT) for u in users])
    first = services.environment_start(user=users[0], lab=lab)
    home = "pve1"
    where = home
    for command in spec.solution:
        node = command.node or where
        if node != where:
            if where != home:
                services.environment_run(environment=first, line="exit")
            if node != home:
                services.environment_run(environment=first, line=f"ssh {node}")
            where = node
        services.environment_run(environment=first, line=command.command)
    LabEnvironment.objects.bulk_create([
        LabEnvironment(lab=lab, user=u, state=first.state, node=first.node, started_at=first.started_at,
                       synced_at=first.synced_at) for u in users[1:]])
    return lab, users


def graded(run_ids: list[int]) -> int:
    from grader.models import GradingRun

    return GradingRun.objects.filter(pk__gte=min(run_ids), pk__lte=max(run_ids),
                                     status__in=GradingRun.FINAL).count()


def idle_latency(lab, users, count: int) -> tuple[list[float], list[float], int]:
    from grader import services
    from grader.models import GradingRun

    client, server, full = [], [], 0
    for index in range(count):
        started = time.perf_counter()
        submission = services.submission_create(user=users[index % len(users)], lab=lab)
        run_id = submission.runs.values_list("pk", flat=True).get()
        wait_for(lambda run_id=run_id: graded([run_id]), 30, "an idle submission", interval=0.002)
        client.append((time.perf_counter() - started) * 1000)
        run = GradingRun.objects.get(pk=run_id)
        server.append((run.graded_at - run.queued_at).total_seconds() * 1000)
        full += run.score == 1.0
    return client, server, full


def burst(lab, users, count: int) -> dict:
    """All submissions are written in one transaction, so that their tasks reach Redis together when it
    commits (on_commit): the drain then measures the queue and the workers, not this one writer process."""
    from django.db import transaction

    from grader import services
    from grader.models import GradingRun

    started = time.perf_counter()
    run_ids = []
    with transaction.atomic():
        for index in range(count):
            submission = services.submission_create(user=users[index % len(users)], lab=lab)
            run_ids.append(submission.runs.values_list("pk", flat=True).get())
        written = time.perf_counter() - started
        committing = time.perf_counter()
    enqueued = time.perf_counter() - committing  # the commit and the N on_commit publishes
    wait_for(lambda: graded(run_ids) >= count, 600, "the burst to drain", interval=0.1)
    drained = time.perf_counter() - committing
    runs = list(GradingRun.objects.filter(pk__in=run_ids))
    phase = {
        "queued->started": [(r.started_at - r.queued_at).total_seconds() for r in runs],
        "started->collected": [(r.collected_at - r.started_at).total_seconds() for r in runs],
        "collected->graded": [(r.graded_at - r.collected_at).total_seconds() for r in runs],
    }
    return {"written": written, "enqueued": enqueued, "drained": drained,
            "graded": sum(r.status == "graded" for r in runs),
            "full": sum(r.score == 1.0 for r in runs), "once": all(r.completions == 1 for r in runs),
            "workers": len({r.worker for r in runs}), "phase": {k: statistics.median(v) for k, v in phase.items()}}


def connection_vendor() -> str:
    from django.db import connection

    return connection.vendor


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--burst", type=int, default=1000)
    parser.add_argument("--idle", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--students", type=int, default=100)
    parser.add_argument("--lab", default="build-cluster")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="bench-grading-"))
    platform = Platform(workdir, args.workers)
    try:
        lab, users = setup_lab(args.lab, args.students)
        platform.start_workers()
        idle_latency(lab, users, 5)  # warm-up: imports, connections
        client, server, idle_full = idle_latency(lab, users, args.idle)
        result = burst(lab, users, args.burst)
    finally:
        platform.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    rate = args.burst / result["drained"]
    rows = [
        ("lab", args.lab, ""),
        ("database", connection_vendor(), ""),
        ("worker processes", str(args.workers), f"{result['workers']} took part"),
        ("idle submit->report p50", f"{statistics.median(client):.0f} ms", "aim < 300 ms"),
        ("idle submit->report p95", f"{percentile(client, 0.95):.0f} ms", "aim < 300 ms"),
        ("idle run queued->graded p50", f"{statistics.median(server):.0f} ms", "server side only"),
        (f"burst of {args.burst}: written in", f"{result['written']:.1f} s", "one process, one transaction"),
        (f"burst of {args.burst}: enqueued in", f"{result['enqueued']:.1f} s", "commit + on_commit publishes"),
        (f"burst of {args.burst}: drained in", f"{result['drained']:.1f} s", "from the commit; aim < 30 s"),
        ("grades per second", f"{rate:.0f}", "aim >= 50"),
        ("burst median started->collected", f"{result['phase']['started->collected'] * 1000:.1f} ms", ""),
        ("burst median collected->graded", f"{result['phase']['collected->graded'] * 1000:.1f} ms", ""),
        ("full marks / graded / written once", f"{result['full'] + idle_full}/{result['graded'] + args.idle}/"
         f"{'yes' if result['once'] else 'NO'}", "every run is the lab's solution"),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  {'value':>12}  note")
    for name, value, note in rows:
        print(f"{name:<{width}}  {value:>12}  {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
