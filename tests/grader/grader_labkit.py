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
