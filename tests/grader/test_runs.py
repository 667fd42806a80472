"""Grading runs in-process (no queue): collect, grade, store evidence and report; not gradable; regrade."""

from __future__ import annotations

import pytest
from grader_labkit import SOLUTION, make_lab, needs_collector

from grader import services
from grader.models import AttemptCounter, GradingRun

pytestmark = needs_collector


@pytest.fixture
def lab(personas):
    return make_lab(personas["ops3"].modules.get(slug="week6"))


def _submit(user, lab, lines=()):
    env = services.environment_start(user=user, lab=lab)
    for line in lines:
        services.environment_run(environment=env, line=line)
    return services.submission_create(user=user, lab=lab)


def _grade(submission) -> GradingRun:
    run = submission.runs.get(kind="grade")
    assert services.run_grade(run.pk, worker="inline@test") is True
    run.refresh_from_db()
    return run


def test_the_solution_scores_full_marks_with_evidence_and_phases(personas, lab):
    run = _grade(_submit(personas["alice"], lab, SOLUTION))

    assert run.status == "graded" and run.score == 1.0
    assert run.report["points"] == run.report["max_points"] == 5
    assert {t["id"] for t in run.report["tests"] if t["passed"]} == {"cluster-exists", "three-nodes", "quorate",
                                                                      "after-due-quorum"}
    assert run.evidence["state"]["cluster"]["name"] == "lab"
    assert run.evidence["stats"]["calls"] > 0
    assert run.queued_at <= run.started_at <= run.collected_at <= run.graded_at
    assert (run.claims, run.completions) == (1, 1)


def test_the_initial_state_scores_zero_with_messages_that_say_what_to_do(personas, lab):
    run = _grade(_submit(personas["alice"], lab))

    assert run.status == "graded" and run.score == 0
    exists = next(t for t in run.report["tests"] if t["id"] == "cluster-exists")
    assert "pvecm create lab" in exists["message"]


def test_a_regrade_uses_the_stored_evidence_without_collecting_again(personas, lab, monkeypatch):
    submission = _submit(personas["alice"], lab, SOLUTION)
    first = _grade(submission)
    from grader import collect

    def no_collect(*args, **kwargs):
        raise AssertionError("a regrade must not collect")

    monkeypatch.setattr(collect, "collect", no_collect)
    run = services.run_regrade(submission=submission, user=personas["ingrid"])
    assert services.run_grade(run.pk, worker="inline@test") is True
    run.refresh_from_db()
    assert run.status == "graded" and run.score == first.score and run.source_run_id == first.pk
    assert AttemptCounter.objects.get(lab=lab, user=personas["alice"]).used == 1, "a regrade uses no attempt"


def test_regrade_all_regrades_each_students_latest_submission(personas, lab):
    for name in ("alice", "bob"):
        _grade(_submit(personas[name], lab, SOLUTION if name == "alice" else ()))
    assert services.lab_regrade_all(lab=lab, user=personas["ingrid"]) == 2
    assert GradingRun.objects.filter(kind="regrade", status="queued").count() == 2


def test_an_unavailable_target_backs_off_then_is_explained_and_uses_no_attempt(personas, lab, monkeypatch, settings):
    from grader import collect
    from grader.backends import TargetUnavailable

    settings.GRADER_MAX_TRIES = 3

    def unreachable(api, **kwargs):
        raise TargetUnavailable("192.0.2.10:8006 did not answer (connection timed out)")

    monkeypatch.setattr(collect, "collect", unreachable)
    submission = _submit(personas["alice"], lab)
    run = submission.runs.get()
    for expected_tries in (1, 2):
        assert services.run_grade(run.pk) is False
        run.refresh_from_db()
        assert run.status == "queued" and run.tries == expected_tries and run.retry_at is not None
        assert services.run_claim(run.pk) is None, "not before its retry time"
        GradingRun.objects.filter(pk=run.pk).update(retry_at=None)
    assert services.run_grade(run.pk) is True
    run.refresh_from_db()
    submission.refresh_from_db()
    assert run.status == "not_gradable" and run.score is None
    assert "did not answer" in run.message and "No attempt was used" in run.message
    assert submission.counts_as_attempt is False
    assert AttemptCounter.objects.get(lab=lab, user=personas["alice"]).used == 0


def test_a_grader_bug_fails_the_run_and_refunds_the_attempt(personas, lab, monkeypatch):
    from grader import grading

    def broken(submission, evidence):
        raise ZeroDivisionError("bug")

    monkeypatch.setattr(grading, "grade_evidence", broken)
    submission = _submit(personas["alice"], lab)
    run = submission.runs.get()
    assert services.run_grade(run.pk) is True
    run.refresh_from_db()
    assert run.status == "failed" and "no attempt was used" in run.message
    assert AttemptCounter.objects.get(lab=lab, user=personas["alice"]).used == 0


def test_the_report_is_written_once_even_if_two_workers_claim_in_turn(personas, lab):
    submission = _submit(personas["alice"], lab, SOLUTION)
    run = submission.runs.get()
    assert services.run_grade(run.pk) is True
    assert services.run_grade(run.pk) is False
    run.refresh_from_db()
    assert (run.claims, run.completions) == (1, 1)


def _course_labs():
    from grader_labkit import LABS_FOLDER

    from grader.labs import load_labs

    return load_labs(LABS_FOLDER) if LABS_FOLDER.is_dir() else []


def test_load_labs_stores_every_lab_folder_idempotently(personas):
    from grader_labkit import LABS_FOLDER

    module = personas["ops3"].modules.get(slug="week6")
    first = services.labs_load(module=module, folder=LABS_FOLDER)
    again = services.labs_load(module=module, folder=LABS_FOLDER)
    assert [lab.pk for lab in first] == [lab.pk for lab in again] and len(first) >= 1
    build = next(lab for lab in again if lab.slug == "build-cluster")
    assert build.max_attempts == 10 and build.submit_interval_seconds == 30 and build.allows("real")
    assert build.rubric["items"] and build.scenario


def test_load_labs_command_names_the_problem_of_a_broken_lab(personas, tmp_path):
    from django.core.management import CommandError, call_command

    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "lab.yaml").write_text("id: broken\ntitle: Broken\n")
    (broken / "rubric.yaml").write_text("items:\n  - {id: x, title: X, points: 1, expr: 'state.nope == 1', "
                                        "message: m}\n")
    with pytest.raises(CommandError, match="broken"):
        call_command("load_labs", "ops3", "week6", str(tmp_path))


@pytest.mark.parametrize("spec", _course_labs(), ids=lambda spec: spec.id)
def test_each_course_lab_typed_into_the_web_console_scores_full_marks(spec, personas):
    from grader_labkit import typeable, typed_solution

    if not typeable(spec):
        pytest.skip("the solution runs commands as another PVE user than the console's")
    module = personas["ops3"].modules.get(slug="week6")
    lab = services.lab_store(module=module, spec=spec)
    env = services.environment_start(user=personas["alice"], lab=lab)
    for line in typed_solution(spec):
        entry = services.environment_run(environment=env, line=line)
        assert entry.exit_code == 0, f"{line}: {entry.output}"
    run = _grade(services.submission_create(user=personas["alice"], lab=lab))
    failed = [(t["id"], t["message"]) for t in run.report["tests"] if not t["passed"] and t["max_points"]]
    assert run.score == 1.0, failed


def test_a_late_submission_loses_the_labs_late_penalty(personas):
    from grader_labkit import past

    lab = make_lab(personas["ops3"].modules.get(), due_at=past(60), late_until=past(-3600), late_penalty=0.2)
    run = _grade(_submit(personas["alice"], lab, SOLUTION))
    assert run.submission.late is True
    assert run.report["score_before_penalty"] == 1.0 and run.score == 0.8 and run.report["points"] == 4.0
