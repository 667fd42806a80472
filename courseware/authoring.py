"""Content files <-> database: `course_load` (validate, then upsert by stable ids) and `course_export`.

Loading validates the whole folder with the pure quiz loader first; only a
valid folder reaches the database, and then in one transaction. Rows are
matched by their stable ids and only written when something changed, so
loading the same folder twice changes nothing. Content removed from the files
is deleted unless students answered it; answered questions (and the sections
and checkpoints around them) are marked retired instead, so no answer is lost.

Exporting writes the same layout back (course.yaml, sections/, checkpoints/,
figures/); the export loads again to the same database state.
"""

from __future__ import annotations

import json
import mimetypes
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.db import transaction
from django.db.models import Model

from courseware.models import (
    Answer,
    Checkpoint,
    Course,
    Figure,
    Module,
    ModuleContent,
    Question,
    Section,
)
from courseware.quiz import load_course
from courseware.quiz.loader import Course as QuizCourse

COURSE_FROM_ID = re.compile(r"^(?P<slug>[a-z0-9][a-z0-9-]*?)-week\d+$")
MEDIA_TYPES = {".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
               ".gif": "image/gif", ".webp": "image/webp"}


@dataclass
class LoadReport:
    module: Module | None = None
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    retired: int = 0
    deleted: int = 0
    changes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.retired or self.deleted)

    @property
    def summary(self) -> str:
        return (f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged, "
                f"{self.retired} retired, {self.deleted} deleted")


def course_slug_for(content_id: str) -> str:
    """`ops3-week6` belongs to the course `ops3`; an id without `-weekN` is the course slug itself."""
    match = COURSE_FROM_ID.match(content_id)
    return match.group("slug") if match else content_id


def _upsert(report: LoadReport, model: type[Model], lookup: dict[str, Any], values: dict[str, Any]) -> Any:
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        obj = model.objects.create(**lookup, **values)
        report.created += 1
        report.changes.append(f"created {model.__name__} {obj}")
        return obj
    dirty = [k for k, v in values.items() if _stored(getattr(obj, k)) != _stored(v)]
    if dirty:
        for k in dirty:
            setattr(obj, k, values[k])
        obj.save(update_fields=dirty)
        report.updated += 1
        report.changes.append(f"updated {model.__name__} {obj}: {', '.join(dirty)}")
    else:
        report.unchanged += 1
    return obj


def _stored(value: Any) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(value)  # key order matters (a question's derived values)
    if isinstance(value, memoryview):
        return bytes(value)
    if isinstance(value, Model):
        return value.pk
    return value


def course_load(folder: str | Path, *, course_slug: str | None = None, content: QuizCourse | None = None
                ) -> LoadReport:
    """Validate `folder` (raises quiz.ContentError naming file:line:field) and upsert it in one transaction.

    `content` is the folder already validated by `quiz.load_course`, for callers that check it first."""
    content = content or load_course(folder)  # nothing below runs unless every file is valid
    with transaction.atomic():
        return _upsert_course(content, course_slug or course_slug_for(content.meta.id))


def _module_for(content: QuizCourse, slug: str, report: LoadReport) -> Module:
    meta = content.meta
    course = Course.objects.filter(slug=slug).first()
    if course is None:
        code = slug.upper()
        course = Course.objects.create(slug=slug, code=code, title=meta.title.removeprefix(f"{code} - "))
        report.created += 1
        report.changes.append(f"created Course {slug}")
    module = Module.objects.filter(course=course, number=meta.week).first()
    if module is None:
        module = Module.objects.create(course=course, number=meta.week, slug=f"week{meta.week}",
                                       title=meta.week_title)
        report.created += 1
        report.changes.append(f"created Module {module}")
    elif module.title != meta.week_title:
        module.title = meta.week_title
        module.save(update_fields=["title"])
        report.updated += 1
    _upsert(report, ModuleContent, {"module": module}, {
        "source_id": meta.id, "title": meta.title, "welcome": meta.welcome,
        "learning_outcomes": list(meta.learning_outcomes)})
    return module


def _upsert_course(content: QuizCourse, slug: str) -> LoadReport:
    report = LoadReport()
    module = _module_for(content, slug, report)
    report.module = module
    _upsert_figures(content.root, module, report)
    sections: dict[str, Section] = {}
    for s in content.sections:
        sections[s.meta.id] = _upsert(report, Section, {"module": module, "source_id": s.meta.id}, {
            "filename": Path(s.path).name, "order": s.meta.order, "number": s.meta.number or "",
            "title": s.meta.title, "body": s.body, "retired": False})
    kept_questions: set[int] = set()
    kept_checkpoints: set[int] = set()
    for cp in content.checkpoints:
        spec = cp.spec
        checkpoint = _upsert(report, Checkpoint, {"module": module, "source_id": spec.id}, {
            "section": sections[spec.section], "filename": Path(cp.path).name, "title": spec.title,
            "attempts": spec.attempts, "feedback": spec.feedback, "points_per_attempt": list(spec.points_per_attempt),
            "due": spec.due, "late_credit": spec.late_credit, "retired": False})
        kept_checkpoints.add(checkpoint.pk)
        for position, q in enumerate(spec.questions):
            data = q.model_dump(mode="json", exclude_unset=True)
            retired = bool(data.pop("retired", False))
            question = _upsert(report, Question, {"module": module, "source_id": q.id}, {
                "checkpoint": checkpoint, "position": position, "type": q.type, "data": data, "retired": retired})
            kept_questions.add(question.pk)
    _retire_missing(module, set(sections), kept_checkpoints, kept_questions, report)
    return report


def _upsert_figures(root: Path, module: Module, report: LoadReport) -> None:
    names = []
    folder = root / "figures"
    for path in sorted(folder.iterdir()) if folder.is_dir() else []:
        if not path.is_file() or path.name.startswith("."):
            continue
        media_type = MEDIA_TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] or ""
        _upsert(report, Figure, {"module": module, "name": path.name},
                {"media_type": media_type or "application/octet-stream", "data": path.read_bytes()})
        names.append(path.name)
    gone = Figure.objects.filter(module=module).exclude(name__in=names)
    report.deleted += gone.count()
    gone.delete()


def _retire_missing(module: Module, section_ids: set[str], checkpoint_pks: set[int], question_pks: set[int],
                    report: LoadReport) -> None:
    answered = set(Answer.objects.filter(question__module=module).values_list("question_id", flat=True))
    for question in Question.objects.filter(module=module).exclude(pk__in=question_pks):
        if question.pk in answered:
            if not question.retired:
                question.retired = True
                question.save(update_fields=["retired"])
                report.retired += 1
                report.changes.append(f"retired Question {question} (students answered it)")
        else:
            question.delete()
            report.deleted += 1
            report.changes.append(f"deleted Question {question}")
    for checkpoint in Checkpoint.objects.filter(module=module).exclude(pk__in=checkpoint_pks):
        if checkpoint.questions.exists():
            if not checkpoint.retired:
                checkpoint.retired = True
                checkpoint.save(update_fields=["retired"])
                report.retired += 1
        else:
            checkpoint.delete()
            report.deleted += 1
    for section in Section.objects.filter(module=module).exclude(source_id__in=section_ids):
        if Checkpoint.objects.filter(section=section).exists():
            if not section.retired:
                section.retired = True
                section.save(update_fields=["retired"])
                report.retired += 1
        else:
            section.delete()
            report.deleted += 1


# --- export -------------------------------------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def _tidy(data: Any) -> Any:
    """Readable YAML: whole floats as integers (10 rather than 10.0), a question's id and type first."""
    if isinstance(data, float) and data.is_integer():
        return int(data)
    if isinstance(data, list):
        return [_tidy(v) for v in data]
    if isinstance(data, dict):
        first = [k for k in ("id", "type") if k in data]
        return {k: _tidy(data[k]) for k in [*first, *(k for k in data if k not in first)]}
    return data


def _yaml(data: Any) -> str:
    return yaml.dump(_tidy(data), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


def course_export(module: Module, folder: str | Path) -> list[Path]:
    """Write `module` as a content folder (retired sections and checkpoints are left out)."""
    root = Path(folder)
    for sub in ("sections", "checkpoints", "figures"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    written = []
    meta = module.content
    course = {"id": meta.source_id, "title": meta.title, "week": module.number, "week_title": module.title}
    if meta.welcome:
        course["welcome"] = meta.welcome
    if meta.learning_outcomes:
        course["learning_outcomes"] = list(meta.learning_outcomes)
    written.append(_write(root / "course.yaml", _yaml(course)))
    checkpoints = {c.section_id: c for c in Checkpoint.objects.filter(module=module, retired=False)}
    for section in Section.objects.filter(module=module, retired=False):
        front: dict[str, Any] = {"id": section.source_id, "title": section.title, "order": section.order}
        if section.number:
            front["number"] = section.number
        if section.pk in checkpoints:
            front["checkpoint"] = checkpoints[section.pk].source_id
        written.append(_write(root / "sections" / section.filename, f"---\n{_yaml(front)}---\n{section.body}"))
    for checkpoint in checkpoints.values():
        written.append(_write(root / "checkpoints" / checkpoint.filename, _yaml(checkpoint.spec_dict())))
    for figure in Figure.objects.filter(module=module):
        path = root / "figures" / figure.name
        path.write_bytes(bytes(figure.data))
        written.append(path)
    return written


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def content_snapshot(module: Module) -> dict[str, Any]:
    """The module's content as plain data (no primary keys), to compare two databases."""
    meta = module.content
    return {
        "module": [module.course.slug, module.slug, module.number, module.title],
        "content": [meta.source_id, meta.title, meta.welcome, meta.learning_outcomes],
        "sections": [[s.source_id, s.filename, s.order, s.number, s.title, s.body, s.retired]
                     for s in Section.objects.filter(module=module).order_by("source_id")],
        "figures": [[f.name, f.media_type, bytes(f.data)] for f in Figure.objects.filter(module=module)],
        "checkpoints": [c.spec_dict() | {"filename": c.filename, "retired": c.retired}
                        for c in Checkpoint.objects.filter(module=module).order_by("source_id")],
    }
