"""Roster import: a CSV of (username, email, full name, role) into a course.

All rows are validated before anything is written, and the write is one
transaction: a bad row is reported with its line number and nothing is
half-imported. Existing users are updated; nobody is ever deleted.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from courseware.models import Course, Membership, Role

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 10_000
_ROLE_ALIASES = {
    "student": Role.STUDENT,
    "ta": Role.TA,
    "teaching assistant": Role.TA,
    "teaching_assistant": Role.TA,
    "instructor": Role.INSTRUCTOR,
    "teacher": Role.INSTRUCTOR,
}
_HEADER_ALIASES = {"username": "username", "email": "email", "full name": "full_name",
                   "full_name": "full_name", "name": "full_name", "role": "role"}
REQUIRED = ("username", "email", "full_name", "role")


class RosterError(Exception):
    """The roster was refused; `problems` are 'line N: ...' messages."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class RosterRow:
    line: int
    username: str
    email: str
    first_name: str
    last_name: str
    role: str


@dataclass
class RosterResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    @property
    def summary(self) -> str:
        return f"{len(self.created)} created, {len(self.updated)} updated, {len(self.unchanged)} unchanged"


def _decode(data: bytes | str) -> str:
    if isinstance(data, str):
        return data
    if len(data) > MAX_BYTES:
        raise RosterError([f"the file is larger than {MAX_BYTES // 1024 // 1024} MiB"])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RosterError([f"the file is not UTF-8 text (byte {exc.start})"]) from exc


def _header(row: list[str]) -> dict[str, int]:
    columns: dict[str, int] = {}
    for index, name in enumerate(row):
        key = _HEADER_ALIASES.get(name.strip().lower())
        if key:
            columns[key] = index
    missing = [name.replace("_", " ") for name in REQUIRED if name not in columns]
    if missing:
        raise RosterError([f"line 1: the header lacks column(s) {', '.join(missing)} "
                           "(expected: username,email,full name,role)"])
    return columns


def _row(line: int, cells: list[str], columns: dict[str, int]) -> tuple[RosterRow | None, list[str]]:
    def cell(name: str) -> str:
        index = columns[name]
        return cells[index].strip() if index < len(cells) else ""

    problems = []
    username, email, full_name = cell("username"), cell("email"), cell("full_name")
    try:
        UnicodeUsernameValidator()(username)
        if not username or len(username) > 150:
            raise ValidationError("bad length")
    except ValidationError:
        problems.append(f"line {line}: username {username!r} is not valid (letters, digits and @.+-_ only)")
    try:
        validate_email(email)
    except ValidationError:
        problems.append(f"line {line}: email {email!r} is not a valid address")
    role = _ROLE_ALIASES.get(cell("role").lower())
    if role is None:
        problems.append(f"line {line}: role {cell('role')!r} is not one of student, ta, instructor")
    if len(full_name) > 300:
        problems.append(f"line {line}: full name is longer than 300 characters")
    if problems:
        return None, problems
    first, _, last = full_name.rpartition(" ") if " " in full_name else (full_name, "", "")
    return RosterRow(line, username, email, first[:150], last[:150], role), []


def roster_parse(data: bytes | str) -> list[RosterRow]:
    reader = csv.reader(io.StringIO(_decode(data)))
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise RosterError([f"line {reader.line_num}: not valid CSV ({exc})"]) from exc
    if not rows:
        raise RosterError(["the file is empty (expected a header: username,email,full name,role)"])
    if len(rows) > MAX_ROWS + 1:
        raise RosterError([f"the file has more than {MAX_ROWS} rows"])
    columns = _header(rows[0])
    parsed, problems, seen = [], [], {}
    for line, cells in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue
        row, row_problems = _row(line, cells, columns)
        problems.extend(row_problems)
        if row is None:
            continue
        if row.username.lower() in seen:
            first = seen[row.username.lower()]
            problems.append(f"line {line}: username {row.username!r} already appears on line {first}")
            continue
        seen[row.username.lower()] = line
        parsed.append(row)
    if problems:
        raise RosterError(problems)
    return parsed


def roster_import(course: Course, data: bytes | str, *, actor=None) -> RosterResult:
    rows = roster_parse(data)
    if actor is not None and any(row.username == actor.username for row in rows):
        current = Membership.objects.filter(user=actor, course=course).values_list("role", flat=True).first()
        mine = next(row for row in rows if row.username == actor.username)
        if current and mine.role != current:
            raise RosterError([f"line {mine.line}: you cannot change your own role in this course"])
    result = RosterResult()
    user_model = get_user_model()
    with transaction.atomic():
        for row in rows:
            _apply(course, row, user_model, result)
    return result


def _apply(course: Course, row: RosterRow, user_model, result: RosterResult) -> None:
    user = user_model.objects.select_for_update().filter(username=row.username).first()
    if user is None:
        user = user_model(username=row.username, email=row.email, first_name=row.first_name,
                          last_name=row.last_name)
        user.set_unusable_password()
        user.save()
        Membership.objects.create(user=user, course=course, role=row.role)
        result.created.append(row.username)
        return
    changed = False
    for attr in ("email", "first_name", "last_name"):
        if getattr(user, attr) != getattr(row, attr):
            setattr(user, attr, getattr(row, attr))
            changed = True
    if changed:
        user.save(update_fields=["email", "first_name", "last_name"])
    membership, created = Membership.objects.get_or_create(user=user, course=course,
                                                           defaults={"role": row.role})
    if not created and membership.role != row.role:
        membership.role = row.role
        membership.save(update_fields=["role"])
        changed = True
    (result.updated if changed or created else result.unchanged).append(row.username)
