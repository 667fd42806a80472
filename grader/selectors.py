"""Reads that check permission (`<entity>_get_for(user, ...)`) and the dashboard's aggregates.

A student reaches only their own environment, submissions and reports;
another student's id is a 404 (None here), never a 403 that would confirm it
exists. Course staff reach every submission of their course; only
instructors see evidence.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db.models import Max, Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from courseware.permissions import CourseAccess
from grader.models import GradingRun, Lab, LabEnvironment, RealTarget, Submission


def labs_for(access: CourseAccess) -> QuerySet[Lab]:
    return Lab.objects.filter(module__course=access.course).select_related("module")


def lab_get_for(access: CourseAccess, lab_slug: str) -> Lab:
    lab = labs_for(access).filter(slug=lab_slug).order_by("module__number").first()
    if lab is None:
        raise Http404("No such lab.")
    return lab


def environment_get_for(user, lab: Lab) -> LabEnvironment | None:
    return LabEnvironment.objects.filter(lab=lab, user=user).select_related("lab").first()


def submission_get_for(access: CourseAccess, user, submission_id: int) -> Submission:
    """A submission of this course: the student's own, or any for course staff."""
    rows = Submission.objects.filter(pk=submission_id, lab__module__course=access.course).select_related(
        "lab__module", "user", "real_target")
    if not access.is_staff:
        rows = rows.filter(user=user)
    submission = rows.first()
    if submission is None:
        raise Http404("No such submission.")
    return submission


def run_get_for(access: CourseAccess, user, run_id: int) -> GradingRun:
    rows = GradingRun.objects.filter(pk=run_id, submission__lab__module__course=access.course).select_related(
        "submission__lab__module", "submission__user")
    if not access.is_staff:
        rows = rows.filter(submission__user=user)
    run = rows.first()
    if run is None:
        raise Http404("No such grading run.")
    return run


def submissions_of(user, lab: Lab) -> QuerySet[Submission]:
    return Submission.objects.filter(lab=lab, user=user).prefetch_related("runs")


def latest_run(submission: Submission) -> GradingRun | None:
    """The run whose result counts: the newest one that finished graded, else the newest one."""
    runs = sorted(submission.runs.all(), key=lambda r: (r.queued_at, r.pk), reverse=True)
    graded = [r for r in runs if r.status == GradingRun.Status.GRADED]
    return graded[0] if graded else (runs[0] if runs else None)


def latest_submissions(lab: Lab) -> list[Submission]:
    """Each student's newest submission of `lab`."""
    newest = Submission.objects.filter(lab=lab).values("user").annotate(last=Max("pk")).values_list("last", flat=True)
    return list(Submission.objects.filter(pk__in=list(newest)).select_related("user").prefetch_related("runs")
                .order_by("user__username"))


def targets_for(access: CourseAccess, user) -> QuerySet[RealTarget]:
    """The targets `user` manages in this course (their own)."""
    return RealTarget.objects.filter(course=access.course, owner=user)


def gradable_targets_for(access: CourseAccess, user) -> QuerySet[RealTarget]:
    """The targets `user` may have graded: their own and the course's shared class targets."""
    return RealTarget.objects.filter(Q(owner=user) | Q(shared=True), course=access.course).order_by("name", "pk")


def target_get_for(access: CourseAccess, user, target_id: int) -> RealTarget:
    target = targets_for(access, user).filter(pk=target_id).first()
    if target is None:
        raise Http404("No such target.")
    return target


def member_get(access: CourseAccess, username: str):
    """A member of the course by username, or None."""
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(username=username, memberships__course=access.course).first()


def after_due(lab: Lab, now=None) -> bool:
    return lab.due_at is None or (now or timezone.now()) > lab.due_at


def report_for_viewer(report: dict[str, Any] | None, *, lab: Lab, staff: bool) -> list[dict[str, Any]]:
    """The report's items a viewer may see: staff everything; students visible ones (after_due once due)."""
    tests = list((report or {}).get("tests") or [])
    if staff:
        return tests
    shown = {"visible", "after_due"} if after_due(lab) else {"visible"}
    return [t for t in tests if t.get("visibility") in shown]


def lab_scores_for(user, course) -> list[dict[str, Any]]:
    """For a gradebook: each lab of `course` with `user`'s latest graded score (None when not graded yet)."""
    rows = []
    for lab in Lab.objects.filter(module__course=course).select_related("module"):
        runs = GradingRun.objects.filter(submission__lab=lab, submission__user=user, status=GradingRun.Status.GRADED)
        run = runs.order_by("-submission__created_at", "-graded_at").first()
        rows.append({"lab": lab, "score": run.score if run else None, "run": run,
                     "submission": run.submission if run else None})
    return rows


def lab_grade_rows(user, course, module) -> list:
    """The gradebook rows of `module`'s labs (courseware.gradebook source): latest graded score."""
    from courseware.gradebook import GradeRow

    rows = []
    for entry in lab_scores_for(user, course):
        lab, run = entry["lab"], entry["run"]
        if lab.module_id != module.pk:
            continue
        report = (run.report or {}) if run else {}
        max_points = float(report.get("max_points") or 100)
        points = None if run is None else float(report.get("points", (run.score or 0) * max_points))
        url = (reverse("submission-report", args=[course.slug, entry["submission"].pk]) if run
               else reverse("lab-workspace", args=[course.slug, lab.slug]))
        rows.append(GradeRow("Lab", lab.title, url, points, max_points,
                             "graded" if run else "not submitted yet"))
    return rows


def lab_dashboard(lab: Lab) -> dict[str, Any]:
    """Every student's latest submission and score, and per-item pass rates over those."""
    rows, passes, counts = [], defaultdict(int), defaultdict(int)
    titles: dict[str, str] = {}
    for submission in latest_submissions(lab):
        run = latest_run(submission)
        rows.append({"submission": submission, "run": run})
        if run is None or run.status != GradingRun.Status.GRADED:
            continue
        for test in (run.report or {}).get("tests") or []:
            titles.setdefault(test["id"], test.get("title", test["id"]))
            counts[test["id"]] += 1
            passes[test["id"]] += 1 if test.get("passed") else 0
    items = [{"id": i, "title": titles[i], "passed": passes[i], "graded": counts[i],
              "rate": round(100 * passes[i] / counts[i]) if counts[i] else 0} for i in titles]
    return {"rows": rows, "items": items}
