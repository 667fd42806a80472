"""`python -m courseware.quiz check|preview`: the instructor's tools without Django."""

from __future__ import annotations

import json

from quiz_helpers import ROOT

from courseware.quiz.__main__ import main

CONTENT = str(ROOT / "courseware" / "content" / "week6")


def test_check_summarises_a_valid_course(capsys) -> None:
    assert main(["check", CONTENT]) == 0
    out = capsys.readouterr().out
    assert "OPS3 - Virtualization and Cloud Infrastructure, week 6" in out and "simulator" in out


def test_check_lists_problems_with_file_and_line(capsys) -> None:
    assert main(["check", str(ROOT / "tests/courseware/broken_content/unknown-key")]) == 1
    err = capsys.readouterr().err
    assert "checkpoints/01-one.yaml:21: questions[1].options[1].corect:" in err


def test_preview_shows_the_public_view_then_the_key(capsys) -> None:
    assert main(["preview", CONTENT, "w6-cp02-quorum-for-n", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    view = json.loads(out.split("answer key:")[0])
    assert view["id"] == "w6-cp02-quorum-for-n" and "answer" not in view
    assert "answer key:" in out and "solution:" in out
