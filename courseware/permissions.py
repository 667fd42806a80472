"""Object-level permission helpers that every view uses.

A course exists for a user only if they are a member (or a superuser): others
get 404, so course slugs leak nothing. Members lacking the needed role get 403.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from courseware.models import Course, Membership, Role
from courseware.models.course import STAFF_ROLES

User = AbstractBaseUser | AnonymousUser


@dataclass(frozen=True)
class CourseAccess:
    course: Course
    role: str

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_instructor(self) -> bool:
        return self.role == Role.INSTRUCTOR


def courses_for(user: User) -> QuerySet[Course]:
    if not user.is_authenticated:
        return Course.objects.none()
    if user.is_superuser:
        return Course.objects.all()
    return Course.objects.filter(memberships__user=user).distinct()


def role_in(user: User, course: Course) -> str | None:
    if not user.is_authenticated:
        return None
    if user.is_superuser:
        return Role.INSTRUCTOR
    return Membership.objects.filter(user=user, course=course).values_list("role", flat=True).first()


def course_get_for(user: User, slug: str, *, staff: bool = False, instructor: bool = False) -> CourseAccess:
    """The course `slug` as `user` may see it; 404 for outsiders, 403 for a missing role."""
    course = Course.objects.filter(slug=slug).first()
    role = role_in(user, course) if course else None
    if course is None or role is None:
        raise Http404("No such course.")
    access = CourseAccess(course=course, role=role)
    if instructor and not access.is_instructor:
        raise PermissionDenied("Only the course's instructors can do this.")
    if staff and not access.is_staff:
        raise PermissionDenied("Only the course's instructors and teaching assistants can see this.")
    return access


def is_staff_anywhere(user: User) -> bool:
    if not user.is_authenticated:
        return False
    return user.is_superuser or Membership.objects.filter(user=user, role__in=STAFF_ROLES).exists()
