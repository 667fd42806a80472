"""Courses, their weekly modules, and who takes part in which role."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Role(models.TextChoices):
    STUDENT = "student", "Student"
    TA = "ta", "Teaching assistant"
    INSTRUCTOR = "instructor", "Instructor"


STAFF_ROLES = frozenset({Role.TA, Role.INSTRUCTOR})


class Course(models.Model):
    slug = models.SlugField(unique=True, max_length=40)
    code = models.CharField(max_length=20)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code", "slug"]

    def __str__(self) -> str:
        return f"{self.code} - {self.title}"


class Module(models.Model):
    """One week of a course (week 6: Cluster and High Availability)."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="modules")
    slug = models.SlugField(max_length=40)
    number = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True)

    class Meta:
        ordering = ["course", "number"]
        constraints = [
            models.UniqueConstraint(fields=["course", "slug"], name="module_unique_slug"),
            models.UniqueConstraint(fields=["course", "number"], name="module_unique_number"),
        ]

    def __str__(self) -> str:
        return f"Week {self.number}: {self.title}"


class Membership(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.STUDENT)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["course", "role", "user__username"]
        constraints = [models.UniqueConstraint(fields=["user", "course"], name="membership_unique_user_course")]

    def __str__(self) -> str:
        return f"{self.user} in {self.course.slug} as {self.role}"

    @property
    def is_staff_role(self) -> bool:
        return self.role in STAFF_ROLES
