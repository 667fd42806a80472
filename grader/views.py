"""Pages: /healthz, the worker round-trip check, and labs (workspace, console, reports, dashboard, targets)."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from courseware.permissions import CourseAccess, course_get_for, is_staff_anywhere
from grader import console, health, picture, selectors, services, targets
from grader.forms import RealTargetForm, SpeedForm, SubmitForm, WorkerCheckForm
from grader.models import Lab, LabEnvironment, Ping


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    healthy, body = health.report()
    return JsonResponse(body, status=200 if healthy else 503)


def _staff(request: HttpRequest) -> None:
    if not is_staff_anywhere(request.user):
        raise PermissionDenied("Only instructors and teaching assistants can check the workers.")


@login_required
@require_http_methods(["GET", "POST"])
def worker_check(request: HttpRequest) -> HttpResponse:
    _staff(request)
    form = WorkerCheckForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        ping = services.ping_create(user=request.user, work_seconds=form.cleaned_data["work_seconds"] or 0)
        return redirect("worker-check-detail", ping.pk)
    recent = Ping.objects.filter(requested_by=request.user)[:10]
    return render(request, "grader/worker_check.html", {"recent": recent, "form": form},
                  status=400 if form.errors else 200)


@login_required
@require_GET
def worker_check_detail(request: HttpRequest, ping_id: int) -> HttpResponse:
    _staff(request)
    ping = services.ping_get_for(request.user, ping_id)
    if ping is None:
        raise Http404("No such check.")
    template = "grader/_ping_status.html" if request.htmx else "grader/worker_check_detail.html"
    return render(request, template, {"ping": ping})


# ================================================================ labs (docs/grading.md)

def _enter(request: HttpRequest, slug: str, **required) -> CourseAccess:
    access = course_get_for(request.user, slug, **required)
    request.course_access = access
    return access


def _started_lab(request: HttpRequest, slug: str, lab_slug: str) -> tuple[CourseAccess, Lab, LabEnvironment]:
    """The course, the lab and the caller's own environment in it; 404 until the lab is started."""
    access = _enter(request, slug)
    lab = selectors.lab_get_for(access, lab_slug)
    environment = selectors.environment_get_for(request.user, lab)
    if environment is None:
        raise Http404("Start the lab first.")
    return access, lab, environment


def _instructions_html(lab: Lab) -> str:
    from courseware.markdown import render_markdown

    # The instructions sit under the page's h1 and the card's h2 "Instructions".
    return render_markdown(lab.instructions, heading_offset=2)


@login_required
@require_GET
def lab_list(request: HttpRequest, slug: str) -> HttpResponse:
    access = _enter(request, slug)
    labs = list(selectors.labs_for(access))
    mine = {e.lab_id: e for e in LabEnvironment.objects.filter(user=request.user, lab__in=labs)}
    scores = {row["lab"].pk: row["score"] for row in selectors.lab_scores_for(request.user, access.course)}
    rows = [{"lab": lab, "environment": mine.get(lab.pk), "score": scores.get(lab.pk)} for lab in labs]
    return render(request, "grader/lab_list.html", {"course": access.course, "rows": rows, "access": access})


def _workspace_context(request: HttpRequest, access: CourseAccess, lab: Lab,
                       environment: LabEnvironment | None) -> dict:
    cluster = console.load_or_none(environment.state) if environment else None
    if environment is not None and cluster is None:
        messages.error(request, "Your cluster cannot be loaded any more (the simulator was updated). "
                                "Reset it to continue; your submissions are kept.")
    submissions = list(selectors.submissions_of(request.user, lab)[:10])
    return {
        "course": access.course, "lab": lab, "access": access, "environment": environment,
        "instructions": _instructions_html(lab),
        "picture": picture.render(cluster) if cluster else "",
        "prompt": f"root@{environment.node}:~#" if environment else "",
        "submissions": [{"submission": s, "run": selectors.latest_run(s)} for s in submissions],
        "attempts_left": services.attempts_left(lab=lab, user=request.user),
        "max_line": console.MAX_LINE,
        "targets": selectors.gradable_targets_for(access, request.user) if lab.allows("real") else [],
    }


@login_required
@require_GET
def lab_workspace(request: HttpRequest, slug: str, lab_slug: str) -> HttpResponse:
    access = _enter(request, slug)
    lab = selectors.lab_get_for(access, lab_slug)
    environment = selectors.environment_get_for(request.user, lab)
    if environment is not None:
        environment = services.environment_sync(environment=environment)
    return render(request, "grader/lab_workspace.html", _workspace_context(request, access, lab, environment))


@login_required
@require_POST
def lab_start(request: HttpRequest, slug: str, lab_slug: str) -> HttpResponse:
    access = _enter(request, slug)
    lab = selectors.lab_get_for(access, lab_slug)
    services.environment_start(user=request.user, lab=lab)
    return redirect("lab-workspace", slug, lab.slug)


@login_required
@require_POST
def lab_reset(request: HttpRequest, slug: str, lab_slug: str) -> HttpResponse:
    _access, lab, environment = _started_lab(request, slug, lab_slug)
    services.environment_reset(environment=environment)
    messages.success(request, "Your cluster is back at the lab's starting point.")
    return redirect("lab-workspace", slug, lab.slug)


@login_required
@require_POST
def lab_console(request: HttpRequest, slug: str, lab_slug: str) -> HttpResponse:
    """One console line. htmx gets the answer and a fresh picture; a plain form post gets the page."""
    access, lab, environment = _started_lab(request, slug, lab_slug)
    line = str(request.POST.get("line", ""))[: console.MAX_LINE * 20]
    try:
        entry = services.environment_run(environment=environment, line=line)
    except services.Conflict as exc:
        entry = console.ConsoleEntry(f"root@{environment.node}:~#", console.clean_line(line)[:200], str(exc), 1)
    if not request.htmx:
        return redirect("lab-workspace", slug, lab.slug)
    cluster = console.load_or_none(environment.state)
    return render(request, "grader/_console_answer.html", {
        "entry": entry, "picture": picture.render(cluster) if cluster else "", "prompt": f"root@{environment.node}:~#",
        "course": access.course, "lab": lab})


@login_required
@require_GET
def lab_picture(request: HttpRequest, slug: str, lab_slug: str) -> HttpResponse:
    access, lab, environment = _started_lab(request, slug, lab_slug)
    environment = services.environment_sync(environment=environment)
    cluster = console.load_or_none(environment.state)
    return render(request, "grader/_picture.html", {"picture": picture.render(cluster) if cluster else "",
                                                    "lab": lab, "course": access.course})


@login_required
@require_POST
def lab_submit(request: HttpRequest, slug: str, lab_slug: str) -> HttpResponse:
    access = _enter(request, slug)
    lab = selectors.lab_get_for(access, lab_slug)
    form = SubmitForm(request.POST, targets=selectors.gradable_targets_for(access, request.user))
    if not form.is_valid():
        messages.error(request, "; ".join(m for errors in form.errors.values() for m in errors))
        return redirect("lab-workspace", slug, lab.slug)
    try:
        submission = services.submission_create(user=request.user, lab=lab, target=form.cleaned_data["target"])
    except services.SubmissionRefused as exc:
        messages.error(request, str(exc))
        return redirect("lab-workspace", slug, lab.slug)
    return redirect("submission-report", slug, submission.pk)


@login_required
@require_GET
def submission_report(request: HttpRequest, slug: str, submission_id: int) -> HttpResponse:
    access = _enter(request, slug)
    submission = selectors.submission_get_for(access, request.user, submission_id)
    run = selectors.latest_run(submission)
    context = {
        "course": access.course, "access": access, "submission": submission, "lab": submission.lab, "run": run,
        "tests": selectors.report_for_viewer(run.report if run else None, lab=submission.lab,
                                             staff=access.is_staff),
        "runs": submission.runs.all() if access.is_staff else [],
        "after_due": selectors.after_due(submission.lab),
    }
    template = "grader/_report_status.html" if request.htmx else "grader/submission_report.html"
    return render(request, template, context)


@login_required
@require_GET
def lab_dashboards(request: HttpRequest, slug: str) -> HttpResponse:
    access = _enter(request, slug, staff=True)
    return render(request, "grader/lab_dashboards.html", {"course": access.course,
                                                          "labs": selectors.labs_for(access)})


@login_required
@require_GET
def lab_dashboard(request: HttpRequest, slug: str, lab_slug: str) -> HttpResponse:
    access = _enter(request, slug, staff=True)
    lab = selectors.lab_get_for(access, lab_slug)
    return render(request, "grader/lab_dashboard.html", {
        "course": access.course, "lab": lab, "access": access,
        "speed_form": SpeedForm(initial={"speed": lab.speed_factor}), **selectors.lab_dashboard(lab)})


@login_required
@require_POST
def lab_speed(request: HttpRequest, slug: str, lab_slug: str) -> HttpResponse:
    access = _enter(request, slug, instructor=True)
    lab = selectors.lab_get_for(access, lab_slug)
    form = SpeedForm(request.POST)
    student = None
    if form.is_valid() and form.cleaned_data["username"]:
        student = selectors.member_get(access, form.cleaned_data["username"])
        if student is None:
            form.add_error("username", "No such student in this course.")
    if not form.is_valid():
        messages.error(request, "; ".join(m for errors in form.errors.values() for m in errors))
    else:
        count = services.environment_set_speed(lab=lab, speed=form.cleaned_data["speed"], user=student)
        messages.success(request, f"Speed factor {form.cleaned_data['speed']:g} set on {count} cluster(s).")
    return redirect("lab-dashboard", slug, lab.slug)


@login_required
@require_GET
def student_environment(request: HttpRequest, slug: str, lab_slug: str, username: str) -> HttpResponse:
    """Course staff look at a student's cluster and console (read-only: nothing is advanced or saved)."""
    access = _enter(request, slug, staff=True)
    lab = selectors.lab_get_for(access, lab_slug)
    student = selectors.member_get(access, username)
    environment = selectors.environment_get_for(student, lab) if student else None
    if environment is None:
        raise Http404("That student has not started this lab.")
    cluster = console.load_or_none(environment.state)
    return render(request, "grader/student_environment.html", {
        "course": access.course, "lab": lab, "student": student, "environment": environment,
        "picture": picture.render(cluster) if cluster else ""})


@login_required
@require_POST
def lab_regrade_all(request: HttpRequest, slug: str, lab_slug: str) -> HttpResponse:
    access = _enter(request, slug, instructor=True)
    lab = selectors.lab_get_for(access, lab_slug)
    count = services.lab_regrade_all(lab=lab, user=request.user)
    messages.success(request, f"Regrading {count} submission{'s' if count != 1 else ''} from their evidence.")
    return redirect("lab-dashboard", slug, lab.slug)


@login_required
@require_POST
def submission_regrade(request: HttpRequest, slug: str, submission_id: int) -> HttpResponse:
    access = _enter(request, slug, instructor=True)
    submission = selectors.submission_get_for(access, request.user, submission_id)
    if services.run_regrade(submission=submission, user=request.user) is None:
        messages.error(request, "This submission has no evidence yet to regrade.")
    else:
        messages.success(request, "Regrading from the stored evidence.")
    return redirect("submission-report", slug, submission.pk)


@login_required
@require_GET
def run_evidence(request: HttpRequest, slug: str, run_id: int) -> HttpResponse:
    access = _enter(request, slug, instructor=True)
    run = selectors.run_get_for(access, request.user, run_id)
    evidence = run.evidence or (run.source_run.evidence if run.source_run else None)
    text = json.dumps(evidence, indent=2, sort_keys=True) if evidence else ""
    return render(request, "grader/run_evidence.html", {"course": access.course, "run": run,
                                                        "submission": run.submission, "evidence": text})


@login_required
@require_http_methods(["GET", "POST"])
def target_list(request: HttpRequest, slug: str) -> HttpResponse:
    access = _enter(request, slug)
    form = RealTargetForm(request.POST or None, instructor=access.is_instructor)
    if request.method == "POST" and form.is_valid():
        target = targets.target_register(owner=request.user, course=access.course, **form.cleaned_data)
        return redirect("target-detail", slug, target.pk)
    return render(request, "grader/target_list.html", {
        "course": access.course, "form": form, "targets": selectors.targets_for(access, request.user),
    }, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def target_detail(request: HttpRequest, slug: str, target_id: int) -> HttpResponse:
    access = _enter(request, slug)
    target = selectors.target_get_for(access, request.user, target_id)
    if request.method == "POST":
        if request.POST.get("action") == "delete":
            target.delete()
            messages.success(request, "Target removed; its token secret is deleted.")
            return redirect("target-list", slug)
        targets.target_preflight(target)
        return redirect("target-detail", slug, target.pk)
    return render(request, "grader/target_detail.html", {"course": access.course, "target": target})
