"""Helpers for the grader's platform tests: a small lab (build a three-node cluster) in ops3/week6.

The rubric uses the real named checks and CEL; nothing here fakes the grader.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

SOLUTION = ["pvecm create lab", "ssh pve2", "pvecm add 192.168.1.11", "exit", "ssh pve3",
            "pvecm add 192.168.1.11", "exit"]
RUBRIC = {"items": [
    {"id": "cluster-exists", "title": "The cluster lab exists", "points": 2, "check": "cluster.exists",
     "params": {"name": "lab"}},
    {"id": "three-nodes", "title": "Three nodes are members and online", "points": 1, "requires": ["cluster-exists"],
     "expr": "state.cluster.nodes.filter(n, n.online == 1).size() == 3",
     "message": "Join pve2 and pve3 to the cluster (pvecm add 192.168.1.11 on each)."},
    {"id": "quorate", "title": "The cluster is quorate", "points": 1, "visibility": "hidden",
     "check": "quorum.quorate"},
    {"id": "after-due-quorum", "title": "Quorum holds (shown after the due date)", "points": 1,
     "visibility": "after_due", "check": "quorum.quorate"},
]}


def make_lab(module, **overrides):
    from grader.models import Lab

    fields = {"slug": "build-cluster", "number": 1, "title": "Build a three-node cluster",
              "instructions": "Create the cluster **lab** on pve1 and join pve2 and pve3.\n\n<script>x</script>",
              "scenario": {}, "rubric": RUBRIC, "allowed_targets": ["simulated", "real"]}
    fields.update(overrides)
    return Lab.objects.create(module=module, **fields)


def past(seconds: float):
    from django.utils import timezone

    return timezone.now() - timedelta(seconds=seconds)


def grading_available() -> bool:
    try:
        import grader.backends.simulator
        import grader.collect  # noqa: F401
    except ImportError:
        return False
    return True


needs_collector = pytest.mark.skipif(not grading_available(),
                                     reason="grader.collect / grader.backends.simulator are not there yet")


# ---------------------------------------------------------------- `python -m simulator serve` as a real target

SERVED_SCENARIO = "description: the build-cluster lab, solved\ntopology:\n  cluster: {name: lab}\n"
TOKEN_ID = "grader@pve!lab"


class ServedCluster:
    """A `python -m simulator serve` process: a simulated cluster behind real HTTPS."""

    def __init__(self, tmp_path, *extra: str, secret: str = "", role: str = "") -> None:
        import re
        import secrets
        import subprocess
        import sys
        import time
        from pathlib import Path

        from tests.conftest import ROOT, free_port

        self.secret = secret or secrets.token_hex(16)
        self.port = free_port()
        scenario = Path(tmp_path) / f"served-{self.port}.yaml"
        scenario.write_text(SERVED_SCENARIO)
        token = f"{TOKEN_ID}={self.secret}" + (f",role={role}" if role else "")
        self.log_path = Path(tmp_path) / f"serve-{self.port}.log"
        self.log = open(self.log_path, "w")  # noqa: SIM115 (closed in stop())
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "simulator", "serve", "--scenario", str(scenario), "--port", str(self.port),
             "--token", token, "--verbose", *extra],
            cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 20
        self.fingerprint = ""
        while time.monotonic() < deadline and not self.fingerprint:
            if self.proc.poll() is not None:
                raise AssertionError(f"simulator serve exited:\n{self.log_path.read_text()}")
            found = re.search(r"fingerprint: (\S+)", self.log_path.read_text())
            self.fingerprint = found.group(1) if found else ""
            time.sleep(0.05)
        assert self.fingerprint, f"simulator serve did not start:\n{self.log_path.read_text()}"

    def requests_seen(self) -> int:
        return self.log_path.read_text().count("GET /api2/json")

    def stop(self) -> None:
        import os

        if self.proc.poll() is None:
            os.killpg(self.proc.pid, 15)
            self.proc.wait(timeout=10)
        self.log.close()


def loopback_allowed(settings) -> None:
    import ipaddress

    settings.GRADER_ALLOWED_NETWORKS = [ipaddress.ip_network("127.0.0.1/32")]


def register(user, course, served: ServedCluster, *, tls_mode: str = "pinned", fingerprint: str | None = None):
    from grader.targets import target_register

    return target_register(owner=user, course=course, name="served", host="127.0.0.1", port=served.port,
                           token_id=TOKEN_ID, token_secret=served.secret, tls_mode=tls_mode,
                           fingerprint=served.fingerprint if fingerprint is None else fingerprint)


# ---------------------------------------------------------------- the course's own labs

LABS_FOLDER = __import__("pathlib").Path(__file__).resolve().parents[2] / "courseware" / "content" / "week6" / "labs"


def typed_solution(spec) -> list[str]:
    """A lab's solution as a student types it into the web console (ssh to a node, exit back to the first)."""
    first = sorted(spec.scenario_nodes) if hasattr(spec, "scenario_nodes") else None
    home = (first or ["pve1"])[0]
    lines, where = [], home
    for command in spec.solution:
        node = command.node or where
        if node != where:
            if where != home:
                lines.append("exit")
            if node != home:
                lines.append(f"ssh {node}")
            where = node
        lines.append(command.command)
    return lines


def typeable(spec) -> bool:
    return all(c.user in (None, spec.meta.console_user) for c in spec.solution)
