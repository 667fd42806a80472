"""The gradebook: every graded item of a course for one student, from every source.

Courseware contributes its checkpoints; other apps register a source (the
grader adds its labs in `GraderConfig.ready()`), so courseware never imports them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse

from courseware.models import Course, Module


@dataclass(frozen=True)
class GradeRow:
    kind: str  # "Checkpoint" | "Lab" | ...
    title: str
    url: str
    points: float | None  # None: nothing graded yet
    max_points: float
    detail: str = ""

    @property
    def percent(self) -> int | None:
        if self.points is None or not self.max_points:
            return None
        return round(100 * self.points / self.max_points)


GradeSource = Callable[[object, Course, Module], list[GradeRow]]
GRADE_SOURCES: list[GradeSource] = []


def checkpoint_rows(user, course: Course, module: Module) -> list[GradeRow]:
    from courseware.selectors import progress_for

    rows = []
    for progress in progress_for(user, module):
        if not progress.questions:
            continue
        section = progress.section
        url = reverse("section-detail", args=[course.slug, module.slug, section.source_id])
        rows.append(GradeRow("Checkpoint", f"{section.number} {section.title}".strip(), url,
                             progress.points if progress.done else None, progress.max_points,
                             f"{progress.done} of {progress.questions} questions done"))
    return rows


def gradebook_for(user, course: Course) -> list[tuple[Module, list[GradeRow]]]:
    sources = [checkpoint_rows, *GRADE_SOURCES]
    return [(module, [row for source in sources for row in source(user, course, module)])
            for module in course.modules.all()]
