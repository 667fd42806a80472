"""Template context: the navigation for the course a page belongs to."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse

from courseware.permissions import CourseAccess

# Other parts of the platform add entries here: (label, url name, staff only).
COURSE_NAV: list[tuple[str, str, bool]] = [
    ("Course home", "course-home", False),
    ("Sections", "course-sections", False),
    ("My progress", "course-progress", False),
    ("Grades", "course-grades", False),
    ("Instructor", "course-roster", True),
    ("Checkpoint reports", "staff-checkpoints", True),
]


def course_nav(access: CourseAccess | None, current: str = "") -> list[dict]:
    if access is None:
        return []
    items = []
    for label, name, staff_only in COURSE_NAV:
        if staff_only and not access.is_staff:
            continue
        url = reverse(name, args=[access.course.slug])
        items.append({"label": label, "url": url, "current": url == current})
    return items


def navigation(request: HttpRequest) -> dict:
    access = getattr(request, "course_access", None)
    return {"course_access": access, "course_nav": course_nav(access, request.path)}
