"""Read a course folder, validate every file, return typed objects, or fail naming file:line and field.

Folder layout (see docs/authoring.md):

    course.yaml
    sections/NN-slug.md        YAML front matter between --- lines, then Markdown
    checkpoints/NN-slug.yaml
    figures/*.svg

YAML is parsed with a `yaml.SafeLoader` subclass that records the line of every
mapping key and sequence item, so a pydantic error location such as
`questions.3.options.1.correct` maps back to a line in the file. All files are
checked and every problem is reported together; nothing is returned unless
everything is valid (the Django loader then upserts in one transaction).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from . import variants
from .grading import answer_key, grade
from .schema import (
    CheckpointFile,
    CourseFile,
    Matching,
    MultipleChoice,
    Numeric,
    Ordering,
    Question,
    SectionFront,
    ShortText,
    SimulatorCheck,
    SingleChoice,
)

SECTION_NAME = re.compile(r"^\d{2}-[a-z0-9-]+\.md$")
CHECKPOINT_NAME = re.compile(r"^\d{2}-[a-z0-9-]+\.yaml$")
FIGURE_REF = re.compile(r"!\[[^\]]*\]\(([^)\s]+)")
PROBE_SEEDS = range(8)  # seeds every variant is evaluated with at load time


# --- errors ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ContentIssue:
    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f" {self.field}:" if self.field else ""
        return f"{self.file}:{self.line}:{where} {self.message}"


class ContentError(Exception):
    def __init__(self, issues: list[ContentIssue]) -> None:
        self.issues = issues
        super().__init__("\n".join(str(i) for i in issues))


# --- YAML with line numbers ----------------------------------------------------------------------


class LineDict(dict):
    line: int = 0
    key_lines: dict[Any, int]


class LineList(list):
    line: int = 0
    item_lines: list[int]


class LineLoader(yaml.SafeLoader):
    """SafeLoader that keeps the line of every mapping key and sequence item."""

    line_offset = 0

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> LineDict:  # type: ignore[override]
        out = LineDict()
        out.line = node.start_mark.line + 1 + self.line_offset
        out.key_lines = {}
        self.flatten_mapping(node)
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1 + self.line_offset
            try:
                hash(key)
            except TypeError:
                raise yaml.MarkedYAMLError(
                    problem="unhashable key", problem_mark=key_node.start_mark
                ) from None
            if key in out:
                raise yaml.MarkedYAMLError(problem=f"duplicate key '{key}'", problem_mark=key_node.start_mark)
            out[key] = self.construct_object(value_node, deep=True)
            out.key_lines[key] = line
        return out

    def construct_sequence(self, node: yaml.SequenceNode, deep: bool = False) -> LineList:  # type: ignore[override]
        out = LineList(self.construct_object(child, deep=True) for child in node.value)
        out.line = node.start_mark.line + 1 + self.line_offset
        out.item_lines = [child.start_mark.line + 1 + self.line_offset for child in node.value]
        return out


LineLoader.add_constructor("tag:yaml.org,2002:map", LineLoader.construct_mapping)
LineLoader.add_constructor("tag:yaml.org,2002:seq", LineLoader.construct_sequence)


def parse_yaml(text: str, file: str, line_offset: int = 0) -> Any:
    """Parse YAML safely; raise ContentError with the line of a syntax error."""
    loader = LineLoader(text)
    loader.line_offset = line_offset
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = (mark.line + 1 if mark else 1) + line_offset
        raise ContentError([ContentIssue(file, line, "", f"YAML: {exc.problem or exc.context}")]) from None
    except yaml.YAMLError as exc:
        raise ContentError([ContentIssue(file, 1 + line_offset, "", f"YAML: {exc}")]) from None
    finally:
        loader.dispose()


def locate(data: Any, loc: tuple[Any, ...]) -> int:
    """The line of the deepest node of `loc` found in the parsed data (union tags are skipped)."""
    line = getattr(data, "line", 1)
    node = data
    for part in loc:
        if isinstance(node, LineDict) and part in node:
            line = node.key_lines.get(part, line)
            node = node[part]
        elif isinstance(node, LineList) and isinstance(part, int) and 0 <= part < len(node):
            line = node.item_lines[part]
            node = node[part]
        elif isinstance(node, LineDict | LineList):
            continue  # a discriminator tag such as 'single_choice', or a key that is missing
        else:
            break
    return line


def _field(loc: tuple[Any, ...], data: Any) -> str:
    parts: list[str] = []
    node = data
    for part in loc:
        if isinstance(part, int):
            parts.append(f"[{part}]")
            node = node[part] if isinstance(node, list) and part < len(node) else None
        elif isinstance(node, dict) and part not in node and parts and part in _TAGS:
            continue
        else:
            parts.append(("." if parts else "") + str(part))
            node = node.get(part) if isinstance(node, dict) else None
    return "".join(parts)


_TAGS = {
    "single_choice", "multiple_choice", "numeric", "short_text", "ordering", "matching",
    "reflection", "simulator", "Topology", "ScenarioRef", "function-after[_one_source(), ParamSpec]",
}  # fmt: skip


def _refine(data: Any, loc: tuple[Any, ...], msg: str) -> tuple[Any, ...]:
    """A model-level message that starts with one of the model's keys is about that key."""
    node: Any = data
    for part in loc:
        in_dict = isinstance(node, dict) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and part < len(node)
        if in_dict or in_list:
            node = node[part]
    first = msg.split(" ", 1)[0].strip("'`")
    if isinstance(node, dict) and first in node:
        return (*loc, first)
    return loc


def validate(model: type[BaseModel], data: Any, file: str) -> tuple[Any, list[ContentIssue]]:
    if not isinstance(data, dict):
        return None, [
            ContentIssue(file, getattr(data, "line", 1), "", "expected a mapping of keys to values")
        ]
    try:
        return model.model_validate(data), []
    except ValidationError as exc:
        issues = []
        for err in exc.errors(include_url=False):
            loc = tuple(err["loc"])
            msg = err["msg"].removeprefix("Value error, ")
            loc = _refine(data, loc, msg)
            if err["type"] == "union_tag_invalid":
                loc = (*loc, "type")
            issues.append(ContentIssue(file, locate(data, loc), _field(loc, data), msg))
        return None, issues


# --- the typed result -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Section:
    meta: SectionFront
    body: str
    path: str
    body_line: int
    key_lines: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Checkpoint:
    spec: CheckpointFile
    path: str
    question_lines: dict[str, int] = field(default_factory=dict)
    key_lines: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Course:
    meta: CourseFile
    sections: list[Section]
    checkpoints: list[Checkpoint]
    root: Path

    def checkpoint_for(self, section_id: str) -> Checkpoint | None:
        return next((c for c in self.checkpoints if c.spec.section == section_id), None)

    def questions(self) -> Iterator[tuple[Checkpoint, Question]]:
        for cp in self.checkpoints:
            for q in cp.spec.questions:
                yield cp, q

    def question(self, question_id: str) -> Question | None:
        return next((q for _, q in self.questions() if q.id == question_id), None)


# --- reading files --------------------------------------------------------------------------------


def split_front_matter(text: str, file: str) -> tuple[str, int, str, int]:
    """(front matter YAML, its first line, body, body's first line)."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        raise ContentError(
            [ContentIssue(file, 1, "", "a section starts with a '---' line and YAML front matter")]
        )
    for n, line in enumerate(lines[1:], start=1):
        if line.strip() == "---":
            return "".join(lines[1:n]), 2, "".join(lines[n + 1 :]), n + 2
    raise ContentError([ContentIssue(file, 1, "", "the front matter is not closed by a '---' line")])


def _load_section(path: Path, rel: str, root: Path) -> tuple[Section | None, list[ContentIssue]]:
    try:
        front_text, front_line, body, body_line = split_front_matter(path.read_text(encoding="utf-8"), rel)
        data = parse_yaml(front_text, rel, line_offset=front_line - 1)
    except ContentError as exc:
        return None, exc.issues
    meta, issues = validate(SectionFront, data, rel)
    for n, line in enumerate(body.splitlines(), start=body_line):
        for target in FIGURE_REF.findall(line):
            if "://" in target or target.startswith("/"):
                issues.append(ContentIssue(rel, n, "body", f"figure '{target}' must be a file in figures/"))
            elif not (root / target).is_file():
                issues.append(ContentIssue(rel, n, "body", f"figure '{target}' does not exist"))
    if not body.strip():
        issues.append(ContentIssue(rel, body_line, "body", "the section has no text"))
    if meta is None:
        return None, issues
    # A valid front matter still takes part in the cross-file checks when the body has problems.
    return Section(meta=meta, body=body, path=rel, body_line=body_line, key_lines=dict(data.key_lines)), issues


def _load_checkpoint(path: Path, rel: str) -> tuple[Checkpoint | None, list[ContentIssue]]:
    try:
        data = parse_yaml(path.read_text(encoding="utf-8"), rel)
    except ContentError as exc:
        return None, exc.issues
    spec, issues = validate(CheckpointFile, data, rel)
    if spec is None:
        return None, issues
    lines = {q.id: locate(data, ("questions", n)) for n, q in enumerate(spec.questions)}
    for n, q in enumerate(spec.questions):
        for loc, msg in check_question(q):
            where = ("questions", n, *loc)
            field_name = f"questions[{n}]" + (f".{_dotted(loc)}" if loc else "").replace(".[", "[")
            issues.append(ContentIssue(rel, locate(data, where), field_name, msg))
    return (
        (None, issues)
        if issues
        else (Checkpoint(spec=spec, path=rel, question_lines=lines, key_lines=dict(data.key_lines)), [])
    )


Loc = tuple[str | int, ...]


def _texts(q: Question) -> Iterator[tuple[Loc, str]]:
    """Every text of a question that may hold {{placeholders}}, with its location."""
    yield ("prompt",), q.prompt
    yield ("explanation",), q.explanation
    for n, h in enumerate(q.hints):
        yield ("hints", n), h
    if isinstance(q, SingleChoice | MultipleChoice):
        for n, o in enumerate(q.options):
            yield ("options", n, "text"), o.text
            if o.feedback:
                yield ("options", n, "feedback"), o.feedback
    if isinstance(q, ShortText):
        for n, a in enumerate(q.accept):
            yield ("accept", n), a
        for n, p in enumerate(q.patterns):
            yield ("patterns", n), p
    if isinstance(q, Ordering):
        for n, i in enumerate(q.items):
            yield ("items", n, "text"), i.text
    if isinstance(q, Matching):
        for n, p in enumerate(q.pairs):
            yield ("pairs", n, "text"), p.text


def _dotted(loc: Loc) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")


def check_question(q: Question) -> list[tuple[Loc, str]]:
    """Semantic checks beyond the schema: variants evaluate, placeholders resolve, the key grades correct.

    Returns (location inside the question, message) pairs.
    """
    if q.variant is None:
        problems: list[tuple[Loc, str]] = [
            (loc, "uses {{...}} placeholders but the question declares no variant")
            for loc, text in _texts(q)
            if variants.placeholders(text)
        ]
        if isinstance(q, Numeric) and isinstance(q.answer, str):
            problems.append((("answer",), f"'{q.answer}' refers to a variant value but there is no variant"))
        if problems:
            return problems
    for seed in PROBE_SEEDS if q.variant is not None else [0]:
        problem = _check_seed(q, seed)
        if problem:
            return [problem]
    return []


def _check_seed(q: Question, seed: int) -> tuple[Loc, str] | None:
    try:
        values = variants.evaluate(q.variant, seed)
    except variants.VariantError as exc:
        return ("variant", *exc.loc), str(exc)
    for loc, text in _texts(q):
        try:
            rendered = variants.render(text, values, escape=re.escape if loc[0] == "patterns" else None)
            if loc[0] == "patterns":
                re.compile(rendered)
        except variants.VariantError as exc:
            return loc, str(exc)
        except re.error as exc:
            return loc, f"invalid regular expression: {exc}"
    if isinstance(q, Numeric) and isinstance(q.answer, str) and q.answer[1:] not in values:
        return ("answer",), f"'{q.answer}' is not a param or derived value"
    if not isinstance(q, SimulatorCheck):
        result = grade(q, answer_key(q, seed), seed)
        if result.status == "graded" and not result.correct:
            return (), f"the answer key is not graded correct for seed {seed}"
    return None


def load_course(folder: str | Path) -> Course:
    """Validate the whole folder and return the course, or raise ContentError listing every problem."""
    root = Path(folder)
    issues: list[ContentIssue] = []
    course_path = root / "course.yaml"
    meta = None
    if not course_path.is_file():
        issues.append(ContentIssue("course.yaml", 1, "", "missing"))
    else:
        try:
            data = parse_yaml(course_path.read_text(encoding="utf-8"), "course.yaml")
            meta, more = validate(CourseFile, data, "course.yaml")
            issues += more
        except ContentError as exc:
            issues += exc.issues

    sections: list[Section] = []
    broken: set[str] = set()  # ids of files that failed; references to them are not reported again
    for path in sorted((root / "sections").glob("*.md")):
        rel = f"sections/{path.name}"
        if not SECTION_NAME.match(path.name):
            issues.append(ContentIssue(rel, 1, "", "section files are named NN-slug.md"))
            continue
        section, more = _load_section(path, rel, root)
        issues += more
        if section is not None:
            sections.append(section)
        else:
            broken |= _raw_id(path)

    checkpoints: list[Checkpoint] = []
    for path in sorted((root / "checkpoints").glob("*.yaml")):
        rel = f"checkpoints/{path.name}"
        if not CHECKPOINT_NAME.match(path.name):
            issues.append(ContentIssue(rel, 1, "", "checkpoint files are named NN-slug.yaml"))
            continue
        cp, more = _load_checkpoint(path, rel)
        issues += more
        if cp:
            checkpoints.append(cp)
        else:
            broken |= _raw_id(path)

    issues += _cross_check(sections, checkpoints, broken)
    if issues:
        raise ContentError(issues)
    assert meta is not None
    sections.sort(key=lambda s: s.meta.order)
    return Course(meta=meta, sections=sections, checkpoints=checkpoints, root=root)


def _raw_id(path: Path) -> set[str]:
    match = re.search(r"^id:\s*[\"']?([A-Za-z0-9_.-]+)", path.read_text(encoding="utf-8", errors="replace"), re.M)
    return {match.group(1)} if match else set()


def _cross_check(sections: list[Section], checkpoints: list[Checkpoint], broken: set[str]) -> list[ContentIssue]:
    issues: list[ContentIssue] = []
    by_id: dict[str, Section] = {}
    orders: dict[int, str] = {}
    for s in sections:
        if s.meta.id in by_id:
            issues.append(
                ContentIssue(
                    s.path,
                    s.key_lines.get("id", 2),
                    "id",
                    f"section id '{s.meta.id}' is also used by {by_id[s.meta.id].path}",
                )
            )
        by_id[s.meta.id] = s
        if s.meta.order in orders:
            issues.append(
                ContentIssue(
                    s.path,
                    s.key_lines.get("order", 2),
                    "order",
                    f"order {s.meta.order} is also used by {orders[s.meta.order]}",
                )
            )
        orders[s.meta.order] = s.path
    cp_by_id: dict[str, Checkpoint] = {}
    question_files: dict[str, str] = {}
    for cp in checkpoints:
        if cp.spec.id in cp_by_id:
            issues.append(
                ContentIssue(
                    cp.path,
                    cp.key_lines.get("id", 1),
                    "id",
                    f"checkpoint id '{cp.spec.id}' is also used by {cp_by_id[cp.spec.id].path}",
                )
            )
        cp_by_id[cp.spec.id] = cp
        if cp.spec.section not in by_id and cp.spec.section not in broken:
            issues.append(
                ContentIssue(
                    cp.path,
                    cp.key_lines.get("section", 1),
                    "section",
                    f"no section has id '{cp.spec.section}'",
                )
            )
        for q in cp.spec.questions:
            if q.id in question_files:
                issues.append(
                    ContentIssue(
                        cp.path,
                        cp.question_lines[q.id],
                        "id",
                        f"question id '{q.id}' is also used in {question_files[q.id]}",
                    )
                )
            question_files[q.id] = cp.path
    for s in sections:
        ref = s.meta.checkpoint
        if ref is not None:
            cp = cp_by_id.get(ref)
            if cp is None and ref not in broken:
                issues.append(
                    ContentIssue(
                        s.path,
                        s.key_lines.get("checkpoint", 2),
                        "checkpoint",
                        f"no checkpoint has id '{ref}'",
                    )
                )
            elif cp is not None and cp.spec.section != s.meta.id:
                issues.append(
                    ContentIssue(
                        s.path,
                        s.key_lines.get("checkpoint", 2),
                        "checkpoint",
                        f"checkpoint '{ref}' belongs to section '{cp.spec.section}'",
                    )
                )
    return issues
