"""load_course validates first and loads in one transaction; export_course writes files that load identically."""

from __future__ import annotations

import filecmp
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from web_helpers import WEEK6, form_for, question, week6_fixture  # noqa: F401

from courseware.authoring import content_snapshot, course_load
from courseware.models import Answer, Checkpoint, Course, Figure, Module, Question, Section
from courseware.quiz import answer_key, load_course

ROOT = Path(__file__).resolve().parents[2]
BROKEN = ROOT / "tests" / "courseware" / "broken_content"

pytestmark = pytest.mark.django_db


def _counts() -> dict[str, int]:
    return {m.__name__: m.objects.count() for m in (Course, Module, Section, Figure, Checkpoint, Question)}


def test_the_week_six_content_loads_into_an_empty_database_as_the_demo_course(capsys) -> None:
    call_command("load_course", WEEK6)
    assert "Loaded" in capsys.readouterr().out
    course = Course.objects.get()
    assert (course.slug, course.code, course.title) == ("ops3", "OPS3", "Virtualization and Cloud Infrastructure")
    module = Module.objects.get()
    assert (module.slug, module.number, module.title) == ("week6", 6, "Cluster and High Availability")
    files = load_course(ROOT / WEEK6)
    assert Section.objects.count() == len(files.sections)
    assert Checkpoint.objects.count() == len(files.checkpoints) == 8
    assert Question.objects.count() == sum(1 for _ in files.questions()) >= 50
    assert Figure.objects.filter(name="split-brain.svg", media_type="image/svg+xml").exists()


def test_load_demo_after_load_course_keeps_one_course(capsys) -> None:
    call_command("load_course", WEEK6)
    call_command("load_demo", "--quiet")
    assert Course.objects.count() == 1
    assert Module.objects.count() == 1


def test_load_course_fills_the_course_the_personas_made(week6) -> None:
    assert Module.objects.filter(course=week6["ops3"]).count() == 1
    assert Section.objects.filter(module__course=week6["ops3"]).count() == 11


def test_loading_twice_changes_nothing(week6) -> None:
    before = content_snapshot(week6["module"])
    report = course_load(WEEK6)
    assert not report.changed, report.changes
    assert report.created == report.updated == report.retired == report.deleted == 0
    assert content_snapshot(week6["module"]) == before


@pytest.mark.parametrize("folder", sorted(p.name for p in BROKEN.iterdir() if p.is_dir()))
def test_a_broken_folder_names_file_and_line_and_loads_nothing(folder: str, personas) -> None:
    before = _counts()
    with pytest.raises(CommandError) as excinfo:
        call_command("load_course", str(BROKEN / folder))
    message = str(excinfo.value)
    assert "nothing was loaded" in message
    problems = message.splitlines()[1:]
    assert problems
    for line in problems:
        path, lineno, _ = line.split(":", 2)
        assert path.startswith(str(BROKEN / folder)), line
        assert lineno.isdigit() and int(lineno) >= 1, line
    assert _counts() == before


def test_a_broken_folder_reports_the_field_of_a_two_correct_single_choice(personas) -> None:
    with pytest.raises(CommandError) as excinfo:
        call_command("load_course", str(BROKEN / "two-correct"))
    assert "checkpoints/01-one.yaml:6: questions[0]: single_choice needs exactly one correct option" in str(
        excinfo.value)


def test_load_course_exits_non_zero_from_the_shell(tmp_path) -> None:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "manage.py", "load_course", str(BROKEN / "yaml-syntax")], cwd=ROOT,
                          capture_output=True, text=True, env={**__import__("os").environ,
                                                               "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3"})
    assert done.returncode != 0
    assert "yaml-syntax/" in done.stderr and "nothing was loaded" in done.stderr


def test_an_error_half_way_rolls_everything_back(week6, tmp_path, monkeypatch) -> None:
    from courseware import authoring

    before = content_snapshot(week6["module"])
    folder = _copy_week6(tmp_path)
    (folder / "sections" / "02-quorum.md").write_text(
        (folder / "sections" / "02-quorum.md").read_text().replace("title: \"Quorum", "title: \"Changed Quorum"))

    def fail(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(authoring, "_retire_missing", fail)
    with pytest.raises(RuntimeError):
        course_load(folder)
    assert content_snapshot(week6["module"]) == before


def _copy_week6(tmp_path: Path) -> Path:
    import shutil

    target = tmp_path / "week6"
    shutil.copytree(ROOT / WEEK6, target)
    return target


def _remove_question(folder: Path, qid: str) -> None:
    import yaml

    for path in (folder / "checkpoints").glob("*.yaml"):
        data = yaml.safe_load(path.read_text())
        kept = [q for q in data["questions"] if q["id"] != qid]
        if len(kept) != len(data["questions"]):
            data["questions"] = kept
            path.write_text(yaml.safe_dump(data, sort_keys=False))
            return
    raise AssertionError(qid)


def test_a_removed_question_with_answers_is_retired_and_its_answers_kept(week6, tmp_path, client) -> None:
    q = question("w6-cp02-quorum-for-n")
    client.force_login(week6["alice"])
    from web_helpers import answer_url, seed_for

    client.post(answer_url(q), form_for(q, answer_key(q.quiz(), seed_for(week6["alice"], q))))
    assert Answer.objects.filter(question=q).count() == 1
    folder = _copy_week6(tmp_path)
    _remove_question(folder, "w6-cp02-quorum-for-n")
    _remove_question(folder, "w6-cp02-failures-tolerated")  # nobody answered this one
    report = course_load(folder)
    assert report.retired == 1 and report.deleted == 1
    q.refresh_from_db()
    assert q.retired
    assert Answer.objects.filter(question=q).count() == 1
    assert not Question.objects.filter(source_id="w6-cp02-failures-tolerated").exists()
    # the retired question is gone from the student's page but the answer stays readable
    page = client.get(f"/courses/ops3/week6/sections/{q.checkpoint.section.source_id}/").content.decode()
    assert 'id="q-w6-cp02-quorum-for-n"' not in page
    assert client.get(f"/courses/ops3/answers/{Answer.objects.get().pk}/").status_code == 200
    # loading the full folder again brings it back to life
    course_load(WEEK6)
    q.refresh_from_db()
    assert not q.retired


def test_export_then_load_into_a_fresh_database_then_export_again_gives_identical_trees(week6, tmp_path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    call_command("export_course", "ops3", str(first))
    snapshot = content_snapshot(week6["module"])
    # the exported files say the same as the originals, question by question
    original, exported = load_course(ROOT / WEEK6), load_course(first)
    assert exported.meta == original.meta
    assert [(s.meta, s.body) for s in exported.sections] == [(s.meta, s.body) for s in original.sections]
    assert [c.spec for c in exported.checkpoints] == [c.spec for c in original.checkpoints]
    # a fresh database
    for model in (Question, Checkpoint, Section, Figure, Module, Course):
        model.objects.all().delete()
    course_load(first)
    assert content_snapshot(Module.objects.get(course__slug="ops3")) == snapshot
    call_command("export_course", "ops3", str(second))
    comparison = filecmp.dircmp(first, second)
    assert _identical(comparison), comparison.report_full_closure()


def _identical(cmp: filecmp.dircmp) -> bool:
    if cmp.left_only or cmp.right_only or cmp.funny_files:
        return False
    _, mismatch, errors = filecmp.cmpfiles(cmp.left, cmp.right, cmp.common_files, shallow=False)
    return not mismatch and not errors and all(_identical(sub) for sub in cmp.subdirs.values())


def test_export_refuses_an_unknown_course_and_a_non_course_folder(week6, tmp_path) -> None:
    with pytest.raises(CommandError, match="no loaded content"):
        call_command("export_course", "ops4", str(tmp_path / "x"))
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "notes.txt").write_text("mine")
    with pytest.raises(CommandError, match="refusing"):
        call_command("export_course", "ops3", str(tmp_path / "junk"))


def test_export_content_schema_writes_the_three_schemas(tmp_path, capsys) -> None:
    call_command("export_content_schema", str(tmp_path))
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["checkpoint.schema.json", "course.schema.json", "section-front-matter.schema.json"]
    schema = json.loads((tmp_path / "checkpoint.schema.json").read_text())
    assert schema["additionalProperties"] is False
    assert "questions" in schema["properties"]
