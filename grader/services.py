"""Grader domain verbs (`<entity>_<verb>`). Tasks and views call these only."""

from __future__ import annotations

import logging
import secrets
import time
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from grader import console, selectors
from grader.models import AttemptCounter, GradingRun, Lab, LabEnvironment, Ping, RealTarget, Submission
from grader.models.labs import TargetKind

log = logging.getLogger(__name__)

MAX_PING_WORK_SECONDS = 30.0


def ping_create(*, user, work_seconds: float = 0.0) -> Ping:
    """Write the row and enqueue its task once the row is committed."""
    from grader import tasks

    work_seconds = min(max(float(work_seconds), 0.0), MAX_PING_WORK_SECONDS)
    with transaction.atomic():
        ping = Ping.objects.create(requested_by=user, work_seconds=work_seconds)
        transaction.on_commit(lambda: tasks.ping_run.delay(ping.pk))
    return ping


def ping_claim(ping_id: int, *, now=None) -> str | None:
    """Claim a queued ping, or one whose claimant is past the hard time limit (so surely dead).

    Returns the claim token, or None when another delivery holds it or it is done.
    """
    now = now or timezone.now()
    stale_before = now - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    token = secrets.token_hex(16)
    claimed = (
        Ping.objects.filter(pk=ping_id)
        .filter(Q(status=Ping.Status.QUEUED) | Q(status=Ping.Status.STARTED, claimed_at__lt=stale_before))
        .update(status=Ping.Status.STARTED, claim_token=token, claimed_at=now, claims=F("claims") + 1)
    )
    return token if claimed == 1 else None


def ping_run(ping_id: int, *, worker: str) -> bool:
    """Claim, do the (simulated) work, and write the result once. False if not ours to run."""
    token = ping_claim(ping_id)
    if token is None:
        return False
    work = Ping.objects.filter(pk=ping_id).values_list("work_seconds", flat=True).first() or 0.0
    deadline = time.monotonic() + work
    while time.monotonic() < deadline:
        time.sleep(min(0.05, deadline - time.monotonic()))
    finished = Ping.objects.filter(pk=ping_id, status=Ping.Status.STARTED, claim_token=token).update(
        status=Ping.Status.DONE, finished_at=timezone.now(), worker=worker[:255],
        completions=F("completions") + 1,
    )
    return finished == 1


def ping_get_for(user, ping_id: int) -> Ping | None:
    return Ping.objects.filter(pk=ping_id, requested_by=user).first()


# ================================================================ lab environments (simulated targets)

class Conflict(Exception):
    """Someone else changed the environment at the same moment; the user should try again."""


class SubmissionRefused(Exception):
    """A submission the policy does not allow (attempts, rate limit, deadline, target kind)."""


def environment_start(*, user, lab: Lab, now=None) -> LabEnvironment:
    """The student's environment for `lab`, created from the lab's scenario on first start."""
    now = now or timezone.now()
    existing = LabEnvironment.objects.filter(lab=lab, user=user).first()
    if existing is not None:
        return existing
    cluster = console.new_cluster(lab.scenario, now=now)
    try:
        with transaction.atomic():
            return LabEnvironment.objects.create(
                lab=lab, user=user, state=cluster.to_json(), node=console.first_node(cluster),
                speed_factor=lab.speed_factor, started_at=now, synced_at=now,
            )
    except IntegrityError:  # a double click: the other request created it
        return LabEnvironment.objects.get(lab=lab, user=user)


def environment_reset(*, environment: LabEnvironment, now=None) -> LabEnvironment:
    """Back to the lab's initial scenario, with a new lab window. Unconditional: the student asked."""
    now = now or timezone.now()
    cluster = console.new_cluster(environment.lab.scenario, now=now)
    LabEnvironment.objects.filter(pk=environment.pk).update(
        state=cluster.to_json(), version=F("version") + 1, node=console.first_node(cluster), node_stack=[],
        transcript=[], started_at=now, synced_at=now, resets=F("resets") + 1, updated_at=now,
    )
    environment.refresh_from_db()
    return environment


def environment_run(*, environment: LabEnvironment, line: str, now=None,
                    retries: int = 3) -> console.ConsoleEntry:
    """Run one console line against the stored cluster and save it (optimistic lock on `version`).

    A lost race reloads and runs the line again on the winner's state; after
    `retries` lost races the user is told to try again (Conflict).
    """
    for _ in range(retries):
        now = now or timezone.now()
        env = LabEnvironment.objects.select_related("lab").filter(pk=environment.pk).first()
        if env is None:
            raise Conflict("Your cluster was removed; start the lab again.")
        try:
            cluster = console.load_or_raise(env.state)
        except console.StateUnreadable:
            raise Conflict("Your cluster cannot be loaded any more (the simulator was updated); reset it to "
                           "continue.") from None
        console.catch_up(cluster, since=env.synced_at, now=now, speed=env.speed_factor)
        session = console.Session(env.node, list(env.node_stack))
        entry = console.execute(cluster, session, line, user=env.lab.console_user)
        saved = LabEnvironment.objects.filter(pk=env.pk, version=env.version).update(
            state=cluster.to_json(), version=env.version + 1, node=session.node, node_stack=session.stack,
            transcript=console.trim_transcript(env.transcript, entry), synced_at=now, updated_at=now,
        )
        if saved == 1:
            environment.refresh_from_db()
            return entry
        now = None
    raise Conflict("Your cluster was changed by another request at the same moment; please run the command again.")


def environment_sync(*, environment: LabEnvironment, now=None) -> LabEnvironment:
    """Bring the cluster's clock up to the wall clock (before drawing it); a lost race is harmless."""
    now = now or timezone.now()
    if (now - environment.synced_at).total_seconds() * environment.speed_factor < 1:
        return environment
    cluster = console.load_or_none(environment.state)
    if cluster is None:
        return environment
    console.catch_up(cluster, since=environment.synced_at, now=now, speed=environment.speed_factor)
    LabEnvironment.objects.filter(pk=environment.pk, version=environment.version).update(
        state=cluster.to_json(), version=environment.version + 1, synced_at=now, updated_at=now)
    environment.refresh_from_db()
    return environment


def environment_set_speed(*, lab: Lab, speed: float, user=None) -> int:
    """Instructor: the speed factor of one student's environment, or of the whole lab's."""
    speed = min(max(float(speed), 0.0), 1000.0)
    envs = LabEnvironment.objects.filter(lab=lab)
    if user is None:
        Lab.objects.filter(pk=lab.pk).update(speed_factor=speed)
    else:
        envs = envs.filter(user=user)
    return envs.update(speed_factor=speed)


# ================================================================ submissions and grading runs

def _attempt_take(*, lab: Lab, user, now) -> int:
    """Count one attempt with a conditional UPDATE; raise SubmissionRefused when the policy says no."""
    AttemptCounter.objects.get_or_create(lab=lab, user=user)
    rows = AttemptCounter.objects.filter(lab=lab, user=user)
    allowed = rows
    if lab.max_attempts:
        allowed = allowed.filter(used__lt=lab.max_attempts)
    if lab.submit_interval_seconds:
        allowed = allowed.filter(Q(last_submit_at__isnull=True)
                                 | Q(last_submit_at__lte=now - timedelta(seconds=lab.submit_interval_seconds)))
    if allowed.update(used=F("used") + 1, last_submit_at=now) == 1:
        return rows.values_list("used", flat=True).get()
    counter = rows.get()
    if lab.max_attempts and counter.used >= lab.max_attempts:
        raise SubmissionRefused(f"You have used all {lab.max_attempts} attempts for this lab.")
    wait = lab.submit_interval_seconds - int((now - counter.last_submit_at).total_seconds())
    raise SubmissionRefused(f"Please wait {max(wait, 1)} s before submitting again (one submission every "
                            f"{lab.submit_interval_seconds} s).")


def _attempt_refund(submission: Submission) -> None:
    """A platform fault: give the attempt back, once."""
    if Submission.objects.filter(pk=submission.pk, counts_as_attempt=True).update(counts_as_attempt=False) == 1:
        AttemptCounter.objects.filter(lab_id=submission.lab_id, user_id=submission.user_id, used__gt=0).update(
            used=F("used") - 1)


def attempts_left(*, lab: Lab, user) -> int | None:
    if not lab.max_attempts:
        return None
    used = AttemptCounter.objects.filter(lab=lab, user=user).values_list("used", flat=True).first() or 0
    return max(0, lab.max_attempts - used)


def submission_create(*, user, lab: Lab, target: RealTarget | None = None, now=None) -> Submission:
    """Freeze what is handed in, count the attempt, write submission + run, enqueue on commit."""
    now = now or timezone.now()
    closes = lab.closes_at()
    if closes is not None and now > closes:
        raise SubmissionRefused(f"This lab closed on {timezone.localtime(closes):%Y-%m-%d %H:%M}.")
    kind = TargetKind.REAL if target is not None else TargetKind.SIMULATED
    if not lab.allows(kind):
        raise SubmissionRefused(f"This lab cannot be graded on a {TargetKind(kind).label.lower()}.")
    environment = None
    if kind == TargetKind.SIMULATED:
        environment = LabEnvironment.objects.filter(lab=lab, user=user).first()
        if environment is None:
            raise SubmissionRefused("Start the lab before submitting it.")
        environment = environment_sync(environment=environment, now=now)
        if console.load_or_none(environment.state) is None:
            raise SubmissionRefused("Your cluster cannot be loaded any more (the simulator was updated); reset it "
                                    "and do the lab again.")
    elif target.course_id != lab.module.course_id or not (target.owner_id == user.pk or target.shared):
        raise SubmissionRefused("That target is not yours.")
    with transaction.atomic():
        number = _attempt_take(lab=lab, user=user, now=now)
        submission = Submission.objects.create(
            lab=lab, user=user, target_kind=kind, environment=environment, real_target=target,
            snapshot=environment.state if environment else None,
            lab_window_start=environment.started_at if environment else None,
            attempt_number=number, late=bool(lab.due_at and now > lab.due_at),
        )
        run = GradingRun.objects.create(submission=submission, enqueued_at=now)
        _enqueue_on_commit(run.pk)
    return submission


def _enqueue_on_commit(run_id: int, countdown: float = 0) -> None:
    from grader import tasks

    def send() -> None:
        try:
            tasks.grade_run.apply_async((run_id,), countdown=countdown or None)
        except Exception:  # broker down: the row is committed and the sweeper sends it later
            log.warning("grading run %s could not be enqueued now; the sweeper will retry", run_id, exc_info=True)

    transaction.on_commit(send)


def run_claim(run_id: int, *, now=None) -> str | None:
    """Claim a queued run that is due, or one whose claimant is past the hard time limit (so surely dead)."""
    now = now or timezone.now()
    stale_before = now - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    token = secrets.token_hex(16)
    claimed = (
        GradingRun.objects.filter(pk=run_id)
        .filter(Q(status=GradingRun.Status.QUEUED, retry_at__isnull=True)
                | Q(status=GradingRun.Status.QUEUED, retry_at__lte=now)
                | Q(status=GradingRun.Status.STARTED, started_at__lt=stale_before))
        .update(status=GradingRun.Status.STARTED, claim_token=token, started_at=now, claims=F("claims") + 1,
                retry_at=None)
    )
    return token if claimed == 1 else None


def _mine(run_id: int, token: str):
    return GradingRun.objects.filter(pk=run_id, status=GradingRun.Status.STARTED, claim_token=token)


def run_grade(run_id: int, *, worker: str = "") -> bool:
    """Claim, collect (or reuse evidence for a regrade), grade, write evidence and report once.

    The evidence is written together with the result (one commit less per grade, which is what a
    PostgreSQL commit costs): a worker that dies before that leaves nothing half-written, and the
    redelivered run collects again.
    """
    from grader import grading

    token = run_claim(run_id)
    if token is None:
        return False
    run = GradingRun.objects.select_related("submission__lab__module", "submission__real_target",
                                            "source_run").get(pk=run_id)
    submission = run.submission
    collected: dict = {}
    try:
        if run.kind == GradingRun.Kind.REGRADE and run.source_run and run.source_run.evidence:
            evidence = run.source_run.evidence
        else:
            evidence = grading.collect_evidence(submission)
            collected = {"evidence": evidence, "collected_at": timezone.now()}
        report = grading.grade_evidence(submission, evidence)
    except grading.TargetUnavailable as exc:
        return _run_unavailable(run, token, str(exc), worker, final=exc.final)
    except Exception as exc:
        log.exception("grading run %s failed", run_id)
        done = _mine(run_id, token).update(
            status=GradingRun.Status.FAILED, graded_at=timezone.now(), worker=worker[:255], **collected,
            message=f"The grader failed ({type(exc).__name__}); no attempt was used. Staff have been told.",
            completions=F("completions") + 1)
        if done and run.kind == GradingRun.Kind.GRADE:
            _attempt_refund(submission)
        return done == 1
    graded_at = timezone.now()
    report["phases"] = {"queued": run.queued_at.isoformat(), "started": run.started_at.isoformat(),
                        "collected": (collected.get("collected_at") or run.started_at).isoformat(),
                        "graded": graded_at.isoformat()}
    written = _mine(run_id, token).update(
        status=GradingRun.Status.GRADED, report=report, score=report.get("score"), graded_at=graded_at,
        worker=worker[:255], message="", completions=F("completions") + 1, **collected,
    )
    return written == 1


def _run_unavailable(run: GradingRun, token: str, reason: str, worker: str, *, final: bool = False) -> bool:
    """Not gradable right now: back off and try again, or give up with an explanation. No attempt used."""
    tries = run.tries + 1
    delays = retry_delays()
    if tries <= len(delays) and not final:
        retry_at = timezone.now() + timedelta(seconds=delays[tries - 1])
        with transaction.atomic():
            released = _mine(run.pk, token).update(
                status=GradingRun.Status.QUEUED, tries=tries, retry_at=retry_at, enqueued_at=timezone.now(),
                message=f"Target not reachable yet ({reason}); trying again at {retry_at:%H:%M:%S}.",
                claim_token="")
            if released:
                _enqueue_on_commit(run.pk, countdown=delays[tries - 1])
        return False
    tried = "" if final else "We tried once. " if tries == 1 else f"We tried {tries} times. "
    done = _mine(run.pk, token).update(
        status=GradingRun.Status.NOT_GRADABLE, tries=tries, graded_at=timezone.now(), worker=worker[:255],
        message=f"Not gradable: {reason}. {tried}No attempt was used; fix the target and submit again.",
        completions=F("completions") + 1)
    if done and run.kind == GradingRun.Kind.GRADE:
        _attempt_refund(run.submission)
    return done == 1


def retry_delays() -> list[float]:
    """Backoff for unavailable targets: doubling, each well under the visibility timeout."""
    base = float(settings.GRADER_RETRY_BASE_SECONDS)
    cap = min(float(settings.CELERY_RETRY_BACKOFF_MAX), settings.CELERY_VISIBILITY_TIMEOUT / 4)
    return [min(base * 2**i, cap) for i in range(int(settings.GRADER_MAX_TRIES) - 1)]


def run_regrade(*, submission: Submission, user, now=None) -> GradingRun | None:
    """Grade the submission again from its latest evidence, without collecting again."""
    source = (submission.runs.filter(evidence__isnull=False, kind=GradingRun.Kind.GRADE)
              .order_by("-queued_at", "-pk").first())
    if source is None:
        return None
    with transaction.atomic():
        run = GradingRun.objects.create(submission=submission, kind=GradingRun.Kind.REGRADE, source_run=source,
                                        requested_by=user, enqueued_at=now or timezone.now())
        _enqueue_on_commit(run.pk)
    return run


def lab_regrade_all(*, lab: Lab, user) -> int:
    """Regrade every student's latest collected submission of `lab`."""
    count = 0
    for submission in selectors.latest_submissions(lab):
        if run_regrade(submission=submission, user=user) is not None:
            count += 1
    return count


def runs_sweep(*, now=None) -> dict[str, int]:
    """Re-enqueue runs the queue lost: queued but never picked up, or started by a worker that died."""
    now = now or timezone.now()
    grace = timedelta(seconds=settings.GRADER_QUEUED_GRACE_SECONDS)
    stale_started = now - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    queued = GradingRun.objects.filter(status=GradingRun.Status.QUEUED).filter(
        Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=now - grace)).filter(
        Q(retry_at__isnull=True) | Q(retry_at__lt=now - grace))
    started = GradingRun.objects.filter(status=GradingRun.Status.STARTED, started_at__lt=stale_started,
                                        enqueued_at__lt=now - grace)
    found = {"queued": 0, "started": 0}
    for name, rows in (("queued", queued), ("started", started)):
        for run_id in list(rows.values_list("pk", flat=True)[:1000]):
            # Stamp first, conditionally: two sweepers never send the same run twice in one period.
            if rows.filter(pk=run_id).update(enqueued_at=now) == 1:
                with transaction.atomic():
                    _enqueue_on_commit(run_id)
                found[name] += 1
    if found["queued"] or found["started"]:
        log.info("sweeper re-enqueued %(queued)s queued and %(started)s stuck grading runs", found)
    return found


# ================================================================ labs from their folders

def lab_store(*, module, spec) -> Lab:
    """Upsert one validated lab folder (grader.labs.LabSpec) as a Lab of `module`, by its stable id."""
    policy = spec.meta.policy
    fields = {
        "number": spec.meta.number, "title": spec.meta.title, "instructions": spec.instructions,
        "scenario": spec.scenario, "rubric": spec.rubric_data, "solution": spec.solution_text,
        "max_attempts": policy.max_attempts, "submit_interval_seconds": policy.min_seconds_between_submissions,
        "due_at": _aware(policy.due), "late_until": _aware(policy.late_until), "late_penalty": policy.late_penalty,
        "allowed_targets": list(spec.meta.targets), "speed_factor": spec.meta.speed_factor,
        "console_user": spec.meta.console_user, "content_hash": spec.content_hash,
    }
    lab, _ = Lab.objects.update_or_create(module=module, slug=spec.meta.id, defaults=fields)
    return lab


def labs_load(*, module, folder) -> list[Lab]:
    """Validate every lab under `folder` first (grader.labs.LabError lists all problems), then store them all.

    This is the hook `load_course` calls for `<content>/labs/`; `manage.py load_labs` calls it too.
    """
    from grader.labs import load_labs

    specs = load_labs(folder)
    with transaction.atomic():
        return [lab_store(module=module, spec=spec) for spec in specs]


def _aware(value):
    if value is None or timezone.is_aware(value):
        return value
    return timezone.make_aware(value, timezone.get_default_timezone())
