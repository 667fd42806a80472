"""Course pages: home, course home, grades, roster. Thin: authenticate, call, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from courseware.forms import RosterUploadForm
from courseware.gradebook import gradebook_for
from courseware.models import Membership
from courseware.permissions import course_get_for, courses_for
from courseware.roster import RosterError, roster_import
from courseware.selectors import progress_for


def _enter(request: HttpRequest, slug: str, **required) -> object:
    access = course_get_for(request.user, slug, **required)
    request.course_access = access
    return access


@login_required
def home(request: HttpRequest) -> HttpResponse:
    courses = list(courses_for(request.user))
    if len(courses) == 1:
        return redirect("course-home", courses[0].slug)
    return render(request, "courseware/home.html", {"courses": courses})


@login_required
def course_home(request: HttpRequest, slug: str) -> HttpResponse:
    access = _enter(request, slug)
    weeks = [(module, progress_for(request.user, module)) for module in access.course.modules.all()]
    return render(request, "courseware/course_home.html", {"course": access.course, "weeks": weeks})


@login_required
def course_grades(request: HttpRequest, slug: str) -> HttpResponse:
    access = _enter(request, slug)
    return render(request, "courseware/grades.html", {"course": access.course,
                  "gradebook": gradebook_for(request.user, access.course)})


@login_required
@require_http_methods(["GET", "POST"])
def course_roster(request: HttpRequest, slug: str) -> HttpResponse:
    access = _enter(request, slug, staff=True)
    form = RosterUploadForm()
    problems: list[str] = []
    if request.method == "POST":
        if not access.is_instructor:
            return render(request, "error.html", {"title": "Not allowed",
                          "message": "Only the course's instructors can import a roster."}, status=403)
        form = RosterUploadForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                result = roster_import(access.course, form.cleaned_data["roster"].read(), actor=request.user)
            except RosterError as exc:
                problems = exc.problems
            else:
                messages.success(request, f"Roster imported: {result.summary}.")
                return redirect("course-roster", slug)
    members = Membership.objects.filter(course=access.course).select_related("user")
    status = 400 if problems or form.errors else 200
    return render(request, "courseware/roster.html", {"course": access.course, "members": members,
                  "form": form, "problems": problems}, status=status)
