"""Environments (optimistic locking, reset, clock), attempts and the submission + run pair."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db.models import F
from django.utils import timezone
from grader_labkit import SOLUTION, make_lab, past

from grader import console, services
from grader.models import AttemptCounter, GradingRun, LabEnvironment, Submission


@pytest.fixture
def lab(personas):
    return make_lab(personas["ops3"].modules.get(slug="week6"))


def test_starting_a_lab_creates_one_environment_from_its_scenario(personas, lab):
    first = services.environment_start(user=personas["alice"], lab=lab)
    again = services.environment_start(user=personas["alice"], lab=lab)

    assert first.pk == again.pk
    assert LabEnvironment.objects.filter(lab=lab).count() == 1
    cluster = console.load(first.state)
    assert sorted(cluster.nodes) == ["pve1", "pve2", "pve3"]
    assert "ha" in cluster.subsystems, "the HA stack runs on every lab cluster, as on real PVE"
    assert first.node == "pve1" and first.version == 1


def test_console_lines_change_the_stored_cluster_and_bump_the_version(personas, lab):
    env = services.environment_start(user=personas["alice"], lab=lab)
    for line in SOLUTION:
        services.environment_run(environment=env, line=line)

    env.refresh_from_db()
    assert env.version == 1 + len(SOLUTION)
    cluster = console.load(env.state)
    assert cluster.cluster_config()["name"] == "lab"
    assert all(cluster.is_quorate(n) for n in cluster.nodes)
    assert [e["line"] for e in env.transcript] == SOLUTION


def test_ssh_moves_the_console_and_exit_comes_back(personas, lab):
    env = services.environment_start(user=personas["alice"], lab=lab)
    services.environment_run(environment=env, line="ssh pve2")
    entry = services.environment_run(environment=env, line="hostname")
    assert (entry.prompt, entry.output, env.node, env.node_stack) == ("root@pve2:~#", "pve2", "pve2", ["pve1"])
    entry = services.environment_run(environment=env, line="exit")
    assert entry.output == "logout\nConnection to pve2 closed." and env.node == "pve1"
    entry = services.environment_run(environment=env, line="exit")
    assert entry.output == "logout" and env.node == "pve1", "a top-level exit keeps the web console open"


def test_a_save_based_on_a_stale_version_loses_and_the_line_is_run_again_on_the_winner(personas, lab):
    env = services.environment_start(user=personas["alice"], lab=lab)
    stale = LabEnvironment.objects.get(pk=env.pk)
    services.environment_run(environment=env, line="pvecm create lab")

    services.environment_run(environment=stale, line="ssh pve2")

    env.refresh_from_db()
    assert env.version == 3
    assert [e["line"] for e in env.transcript] == ["pvecm create lab", "ssh pve2"]
    assert console.load(env.state).cluster_config()["name"] == "lab", "the first line's work is not lost"


def test_a_run_that_keeps_losing_the_race_asks_the_user_to_retry(personas, lab, monkeypatch):
    env = services.environment_start(user=personas["alice"], lab=lab)
    real_execute = console.execute

    def interfering(cluster, session, line, *, user):
        LabEnvironment.objects.filter(pk=env.pk).update(version=F("version") + 1)  # another tab wins
        return real_execute(cluster, session, line, user=user)

    monkeypatch.setattr(console, "execute", interfering)
    with pytest.raises(services.Conflict, match=r"try again|run the command again"):
        services.environment_run(environment=env, line="pvecm status", retries=2)


def test_time_follows_the_wall_clock_times_the_speed_factor(personas, lab):
    env = services.environment_start(user=personas["alice"], lab=lab)
    LabEnvironment.objects.filter(pk=env.pk).update(synced_at=past(30), speed_factor=2.0)
    env.refresh_from_db()
    before = console.load(env.state).clock.now

    services.environment_run(environment=env, line="hostname")

    after = console.load(env.state).clock.now
    assert 59 <= after - before <= 62


def test_sleep_advances_the_virtual_clock(personas, lab):
    env = services.environment_start(user=personas["alice"], lab=lab)
    before = console.load(env.state).clock.now
    services.environment_run(environment=env, line="sleep 120")
    assert console.load(env.state).clock.now - before >= 120


def test_a_long_absence_is_caught_up_only_to_the_cap(personas, lab, settings):
    settings.GRADER_CONSOLE_MAX_CATCHUP_SECONDS = 600
    env = services.environment_start(user=personas["alice"], lab=lab)
    LabEnvironment.objects.filter(pk=env.pk).update(synced_at=past(86400 * 7))
    env.refresh_from_db()
    before = console.load(env.state).clock.now
    services.environment_run(environment=env, line="hostname")
    assert console.load(env.state).clock.now - before == pytest.approx(600, abs=2)


def test_reset_returns_to_the_scenario_and_opens_a_new_lab_window(personas, lab):
    env = services.environment_start(user=personas["alice"], lab=lab)
    services.environment_run(environment=env, line="pvecm create lab")
    old_start = env.started_at

    services.environment_reset(environment=env)

    assert console.load(env.state).cluster_config() is None
    assert env.transcript == [] and env.resets == 1 and env.started_at > old_start


def test_submitting_writes_submission_and_run_together_and_counts_the_attempt(
        personas, lab, django_capture_on_commit_callbacks):
    services.environment_start(user=personas["alice"], lab=lab)
    with django_capture_on_commit_callbacks() as callbacks:
        submission = services.submission_create(user=personas["alice"], lab=lab)

    assert len(callbacks) == 1, "the task is enqueued once, on commit"
    run = submission.runs.get()
    assert run.status == GradingRun.Status.QUEUED and run.kind == GradingRun.Kind.GRADE
    assert submission.attempt_number == 1 and submission.snapshot["format"] == "ops3-simulator"
    assert AttemptCounter.objects.get(lab=lab, user=personas["alice"]).used == 1


def test_a_submission_freezes_the_cluster_so_later_work_does_not_change_it(personas, lab):
    env = services.environment_start(user=personas["alice"], lab=lab)
    submission = services.submission_create(user=personas["alice"], lab=lab)
    services.environment_run(environment=env, line="pvecm create lab")
    submission.refresh_from_db()
    assert console.load(submission.snapshot).cluster_config() is None


def test_the_attempt_limit_refuses_the_next_submission(personas):
    capped = make_lab(personas["ops3"].modules.get(), max_attempts=2)
    services.environment_start(user=personas["alice"], lab=capped)
    services.submission_create(user=personas["alice"], lab=capped)
    services.submission_create(user=personas["alice"], lab=capped)
    with pytest.raises(services.SubmissionRefused, match="all 2 attempts"):
        services.submission_create(user=personas["alice"], lab=capped)
    assert Submission.objects.count() == 2 and services.attempts_left(lab=capped, user=personas["alice"]) == 0


def test_the_rate_limit_refuses_a_quick_second_submission(personas):
    capped = make_lab(personas["ops3"].modules.get(), submit_interval_seconds=60)
    services.environment_start(user=personas["alice"], lab=capped)
    now = timezone.now()
    services.submission_create(user=personas["alice"], lab=capped, now=now)
    with pytest.raises(services.SubmissionRefused, match="wait"):
        services.submission_create(user=personas["alice"], lab=capped, now=now + timedelta(seconds=10))
    services.submission_create(user=personas["alice"], lab=capped, now=now + timedelta(seconds=61))
    assert Submission.objects.count() == 2


def test_a_closed_lab_refuses_submissions_and_a_late_one_is_marked(personas):
    module = personas["ops3"].modules.get()
    closed = make_lab(module, slug="closed", due_at=past(7200), late_until=past(3600))
    late = make_lab(module, slug="late", due_at=past(60), late_until=past(-3600))
    for each in (closed, late):
        services.environment_start(user=personas["alice"], lab=each)
    with pytest.raises(services.SubmissionRefused, match="closed"):
        services.submission_create(user=personas["alice"], lab=closed)
    assert services.submission_create(user=personas["alice"], lab=late).late is True


def test_submitting_before_starting_is_refused(personas, lab):
    with pytest.raises(services.SubmissionRefused, match="Start the lab"):
        services.submission_create(user=personas["alice"], lab=lab)


def test_a_simulated_only_lab_refuses_a_real_target(personas):
    from grader.targets import target_register

    capped = make_lab(personas["ops3"].modules.get(), allowed_targets=["simulated"])
    target = target_register(owner=personas["alice"], course=personas["ops3"], name="home", host="10.0.0.5",
                             port=8006, token_id="grader@pve!lab", token_secret="s3cret-value", tls_mode="verify")
    with pytest.raises(services.SubmissionRefused, match="cannot be graded"):
        services.submission_create(user=personas["alice"], lab=capped, target=target)


def test_a_platform_fault_refunds_the_attempt_once(personas, lab):
    services.environment_start(user=personas["alice"], lab=lab)
    submission = services.submission_create(user=personas["alice"], lab=lab)
    services._attempt_refund(submission)
    services._attempt_refund(submission)
    assert AttemptCounter.objects.get(lab=lab, user=personas["alice"]).used == 0
    submission.refresh_from_db()
    assert submission.counts_as_attempt is False


def test_a_second_delivery_of_a_claimed_run_finds_nothing_to_claim(personas, lab):
    services.environment_start(user=personas["alice"], lab=lab)
    run = services.submission_create(user=personas["alice"], lab=lab).runs.get()
    token = services.run_claim(run.pk)
    assert token and services.run_claim(run.pk) is None
    assert services.run_grade(run.pk, worker="dup@test") is False
    run.refresh_from_db()
    assert (run.status, run.claims, run.claim_token) == ("started", 1, token)


def test_a_run_started_past_the_hard_time_limit_can_be_claimed_again(personas, lab, settings):
    services.environment_start(user=personas["alice"], lab=lab)
    run = services.submission_create(user=personas["alice"], lab=lab).runs.get()
    services.run_claim(run.pk)
    later = timezone.now() + timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 1)
    assert services.run_claim(run.pk, now=later) is not None


def test_the_sweeper_resends_runs_lost_in_queued_or_started_and_leaves_fresh_ones(
        personas, lab, settings, django_capture_on_commit_callbacks):
    services.environment_start(user=personas["alice"], lab=lab)
    lost = services.submission_create(user=personas["alice"], lab=lab).runs.get()
    dead = services.submission_create(user=personas["alice"], lab=lab).runs.get()
    fresh = services.submission_create(user=personas["alice"], lab=lab).runs.get()
    old = past(settings.GRADER_QUEUED_GRACE_SECONDS + settings.CELERY_TASK_TIME_LIMIT + 5)
    GradingRun.objects.filter(pk=lost.pk).update(enqueued_at=old)
    GradingRun.objects.filter(pk=dead.pk).update(status="started", started_at=old, enqueued_at=old)

    with django_capture_on_commit_callbacks() as callbacks:
        found = services.runs_sweep()
    assert found == {"queued": 1, "started": 1} and len(callbacks) == 2
    with django_capture_on_commit_callbacks() as callbacks:
        assert services.runs_sweep() == {"queued": 0, "started": 0}, "a run is sent once per grace period"
    assert GradingRun.objects.get(pk=fresh.pk).enqueued_at > old


def test_retry_delays_double_and_stay_well_under_the_visibility_timeout(settings):
    settings.GRADER_RETRY_BASE_SECONDS, settings.GRADER_MAX_TRIES = 10, 6
    settings.CELERY_VISIBILITY_TIMEOUT, settings.CELERY_RETRY_BACKOFF_MAX = 200, 300
    assert services.retry_delays() == [10, 20, 40, 50, 50]


def test_environment_speed_can_be_set_for_one_student_or_the_whole_lab(personas, lab):
    alice = services.environment_start(user=personas["alice"], lab=lab)
    bob = services.environment_start(user=personas["bob"], lab=lab)
    services.environment_set_speed(lab=lab, speed=5, user=personas["alice"])
    alice.refresh_from_db(), bob.refresh_from_db()
    assert (alice.speed_factor, bob.speed_factor) == (5, 1)
    services.environment_set_speed(lab=lab, speed=3)
    bob.refresh_from_db(), lab.refresh_from_db()
    assert (bob.speed_factor, lab.speed_factor) == (3, 3)
