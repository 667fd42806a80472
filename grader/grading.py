"""What one grading run does to a submission: collect evidence, grade it. Called by services.run_grade.

Glue only: the collector (grader/collect.py) turns PVE API answers into the
state document, the backends (grader/backends/) give it an API client (the
in-process simulator API for a simulated lab, proxmoxer for a real cluster),
and grader/rubric.py grades the document. Evidence is stored as
`{"state": <state document>, "stats": <collect stats>}` so that a regrade
needs no collection.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone


class TargetUnavailable(Exception):
    """The target cannot be graded right now (unreachable, 5xx, timeout, bad TLS): no score, no attempt.

    `final`: retrying cannot help (the host is outside the allowed networks), so do not back off.
    """

    def __init__(self, message: str, *, final: bool = False) -> None:
        super().__init__(message)
        self.final = final


def _target_unavailable_types() -> tuple[type[BaseException], ...]:
    types: list[type[BaseException]] = [TargetUnavailable]
    try:
        from grader.backends import CollectError
        from grader.backends import TargetUnavailable as BackendUnavailable
    except ImportError:
        pass
    else:
        # An answer that is not what PVE answers (garbage JSON, wrong shapes) is not gradable either:
        # grading it could only give a wrong grade.
        types += [BackendUnavailable, CollectError]
    return tuple(types)


def collect_evidence(submission) -> dict[str, Any]:
    from grader import collect

    if submission.target_kind == "real":
        client, workers = _real_client(submission.real_target), collect.MAX_WORKERS
    else:
        # In-process calls are CPU-bound under the GIL: threads only add overhead (about 2x measured).
        client, workers = _simulator_client(submission.snapshot), 1
    try:
        result = collect.collect(client, max_workers=workers)
    except _target_unavailable_types() as exc:
        raise TargetUnavailable(str(exc), final=type(exc).__name__ == "TargetRefused") from exc
    state, stats = _split(result)
    return {"state": state, "stats": stats}


def _split(result: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """collect.collect's answer as (state document JSON, stats)."""
    if isinstance(result, tuple):
        state, stats = result[0], (result[1] if len(result) > 1 else {})
    else:
        state, stats = getattr(result, "state", result), getattr(result, "stats", {})
    stats = stats or {}
    if hasattr(state, "to_json"):
        state = state.to_json()
    if hasattr(stats, "to_json"):
        stats = stats.to_json()
    elif not isinstance(stats, dict):
        stats = dict(vars(stats))
    return state, stats


def _simulator_client(snapshot: dict[str, Any]):
    from grader import console
    from grader.backends.simulator import SimulatorClient

    return SimulatorClient(console.load(snapshot))


def _real_client(target):
    from grader import crypto
    from grader.backends.proxmox import ProxmoxClient

    if target is None:
        raise TargetUnavailable("the real target was deleted", final=True)
    try:
        secret = crypto.decrypt(target.token_secret_encrypted)
    except crypto.SecretUnreadable as exc:
        raise TargetUnavailable(f"{exc}; register the target again", final=True) from None
    try:
        return ProxmoxClient.for_target(target, secret=secret)
    except _target_unavailable_types() as exc:  # refused before connecting
        raise TargetUnavailable(str(exc), final=type(exc).__name__ == "TargetRefused") from exc


def grade_evidence(submission, evidence: dict[str, Any]) -> dict[str, Any]:
    """The report (JSON) of `evidence` against the lab's rubric; probes run on a fork of the snapshot."""
    from grader import probes
    from grader.rubric import GradeContext, grade, load_rubric
    from grader.state import StateDoc

    lab = submission.lab
    rubric = load_rubric(lab.rubric, where=f"lab {lab.slug}")
    state = StateDoc.from_json(evidence["state"])
    simulated = submission.target_kind == "simulated" and submission.snapshot
    runner = probes.runner_for(submission.snapshot) if simulated else None
    report = grade(state, rubric, probe_runner=runner, context=grade_context(submission, GradeContext)).to_json()
    report["graded_at"] = timezone.now().isoformat()
    if submission.late and lab.late_penalty:
        report["late_penalty"] = lab.late_penalty
        report["score_before_penalty"] = report["score"]
        report["score"] = round(report["score"] * (1 - lab.late_penalty), 4)
        report["points"] = round(report["points"] * (1 - lab.late_penalty), 4)
    return report


def grade_context(submission, factory):
    """The student's PVE user and the lab window, in the target's own clock (epoch seconds)."""
    start = submission.lab_window_start
    end = int(submission.created_at.timestamp())
    if submission.snapshot:
        clock = submission.snapshot.get("clock") or {}
        # A speed factor above 1 runs the simulated clock ahead of the wall clock.
        end = max(end, int(clock.get("epoch", 0)) + int(float(clock.get("now", 0))))
    return factory(user=submission.lab.console_user, window_start=int(start.timestamp()) if start else None,
                   window_end=end)
