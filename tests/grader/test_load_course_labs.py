"""`load_course` loads the week's labs with its content, all or nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from courseware.models import Course
from grader.models import Lab

WEEK6 = Path(__file__).resolve().parents[2] / "courseware" / "content" / "week6"


@pytest.fixture
def content(tmp_path: Path) -> Path:
    folder = tmp_path / "week6"
    shutil.copytree(WEEK6, folder)
    return folder


def _break_rubric(content: Path, old: str, new: str) -> None:
    rubric = content / "labs" / "build-cluster" / "rubric.yaml"
    text = rubric.read_text()
    assert old in text
    rubric.write_text(text.replace(old, new, 1))


def test_load_course_stores_the_four_labs_of_week_six(db, content: Path) -> None:
    call_command("load_course", str(content))

    labs = Lab.objects.filter(module__course__slug="ops3").order_by("number")
    assert [lab.slug for lab in labs] == ["build-cluster", "quorum", "high-availability", "live-migration"]


def test_a_rubric_with_an_unknown_field_fails_load_course_with_the_lab_and_item_and_loads_nothing(db, content):
    _break_rubric(content, "  - id: cluster-name\n", "  - id: cluster-name\n    weight: 3\n")

    with pytest.raises(CommandError) as caught:
        call_command("load_course", str(content))

    message = str(caught.value)
    assert "build-cluster" in message and "cluster-name" in message and "weight" in message
    assert not Course.objects.filter(slug="ops3").exists()
    assert Lab.objects.count() == 0


def test_a_cel_syntax_error_fails_load_course_with_the_lab_and_item(db, content) -> None:
    _break_rubric(content, "n.online == 1 && n.votes == 1)", "n.online == 1 && && n.votes == 1)")

    with pytest.raises(CommandError) as caught:
        call_command("load_course", str(content))

    message = str(caught.value)
    assert "build-cluster" in message and "one-vote-each" in message
    assert Lab.objects.count() == 0
