"""Broken content folders give file:line messages; YAML is read safely with line numbers."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from courseware.quiz import ContentError, load_course
from courseware.quiz.loader import LineLoader, locate, parse_yaml

BROKEN = Path(__file__).parent / "broken_content"
CASES = sorted(p.name for p in BROKEN.iterdir() if p.is_dir())


def test_there_are_broken_content_cases() -> None:
    assert len(CASES) >= 8


@pytest.mark.parametrize("case", CASES)
def test_broken_content_gives_the_expected_file_line_messages(case: str) -> None:
    """EXPECTED lists every message, in order; regenerate it only after reading the diff."""
    folder = BROKEN / case
    expected = (folder / "EXPECTED").read_text(encoding="utf-8").splitlines()
    with pytest.raises(ContentError) as info:
        load_course(folder)
    got = [str(issue) for issue in info.value.issues]
    assert got == expected
    for issue in info.value.issues:
        assert issue.file and issue.line >= 1
        assert (folder / issue.file).is_file()


def test_every_message_names_a_field_or_says_what_is_wrong() -> None:
    for case in CASES:
        with pytest.raises(ContentError) as info:
            load_course(BROKEN / case)
        for issue in info.value.issues:
            assert issue.field or issue.message.startswith(("YAML", "a section", "the front matter")), issue


def test_a_broken_section_does_not_cascade_into_reference_errors(tmp_path: Path) -> None:
    folder = tmp_path / "c"
    shutil.copytree(BROKEN / "unknown-key", folder)
    with pytest.raises(ContentError) as info:
        load_course(folder)
    assert not any("no checkpoint has id" in str(i) for i in info.value.issues)


def test_yaml_is_parsed_safely() -> None:
    with pytest.raises(ContentError, match="YAML"):
        parse_yaml("!!python/object/apply:os.system ['true']", "evil.yaml")
    assert issubclass(LineLoader, __import__("yaml").SafeLoader)


def test_locate_maps_a_pydantic_location_to_a_line() -> None:
    data = parse_yaml("a: 1\nlist:\n  - x: 1\n  - x: 2\n    y: 3\n", "f.yaml")
    assert locate(data, ("list", 1, "y")) == 5
    assert locate(data, ("list", 1, "single_choice", "y")) == 5
    assert locate(data, ("missing",)) == 1


def test_front_matter_lines_are_file_lines(tmp_path: Path) -> None:
    folder = tmp_path / "c"
    shutil.copytree(BROKEN / "unknown-key", folder)
    section = folder / "sections" / "01-one.md"
    section.write_text(section.read_text().replace("order: 1", "order: first"))
    with pytest.raises(ContentError) as info:
        load_course(folder)
    assert "sections/01-one.md:4: order: Input should be a valid integer" in str(info.value)


def test_the_week_six_course_has_no_authoring_errors(course) -> None:
    assert len(list(course.questions())) >= 50
