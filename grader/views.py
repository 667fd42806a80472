"""Operations pages: /healthz and the worker round-trip check."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from courseware.permissions import is_staff_anywhere
from grader import health, services
from grader.forms import WorkerCheckForm
from grader.models import Ping


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
