"""Lab pages over HTTP: the permission matrix, the console through htmx, reports, dashboard, bad input."""

from __future__ import annotations

import pytest
from django.urls import reverse
from grader_labkit import SOLUTION, make_lab
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grader import services
from grader.models import GradingRun, LabEnvironment

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def lab(personas):
    return make_lab(personas["ops3"].modules.get(slug="week6"))


@pytest.fixture
def alices_work(personas, lab):
    """alice started the lab, ran a command, submitted (graded when the collector exists), registered a target."""
    from grader.targets import target_register

    env = services.environment_start(user=personas["alice"], lab=lab)
    services.environment_run(environment=env, line="pvecm create alicecluster")
    submission = services.submission_create(user=personas["alice"], lab=lab)
    run = submission.runs.get()
    services.run_grade(run.pk, worker="inline@test")
    GradingRun.objects.filter(pk=run.pk).update(evidence={"state": {"marker": "alice-evidence"}, "stats": {}})
    target = target_register(owner=personas["alice"], course=personas["ops3"], name="alice-home", host="10.0.0.5",
                             port=8006, token_id="alice@pve!lab", token_secret="alice-secret-value-123",
                             tls_mode="verify")
    return {"env": env, "submission": submission, "run": run, "target": target}


def _urls(lab, work) -> dict[str, tuple[str, str]]:
    s, slug = work["submission"].pk, lab.slug
    return {
        "lab-list": ("get", reverse("lab-list", args=["ops3"])),
        "workspace": ("get", reverse("lab-workspace", args=["ops3", slug])),
        "picture": ("get", reverse("lab-picture", args=["ops3", slug])),
        "report": ("get", reverse("submission-report", args=["ops3", s])),
        "dashboards": ("get", reverse("lab-dashboards", args=["ops3"])),
        "dashboard": ("get", reverse("lab-dashboard", args=["ops3", slug])),
        "evidence": ("get", reverse("run-evidence", args=["ops3", work["run"].pk])),
        "regrade": ("post", reverse("submission-regrade", args=["ops3", s])),
        "regrade-all": ("post", reverse("lab-regrade-all", args=["ops3", slug])),
        "targets": ("get", reverse("target-list", args=["ops3"])),
        "target": ("get", reverse("target-detail", args=["ops3", work["target"].pk])),
    }


# who -> view -> expected status (alice owns everything; bob's own picture is 404 as he has not started)
MATRIX = {
    "alice": {"lab-list": 200, "workspace": 200, "picture": 200, "report": 200, "dashboards": 403, "dashboard": 403,
              "evidence": 403, "regrade": 403, "regrade-all": 403, "targets": 200, "target": 200},
    "bob": {"lab-list": 200, "workspace": 200, "picture": 404, "report": 404, "dashboards": 403, "dashboard": 403,
            "evidence": 403, "regrade": 403, "regrade-all": 403, "targets": 200, "target": 404},
    "terry": {"lab-list": 200, "workspace": 200, "picture": 404, "report": 200, "dashboards": 200, "dashboard": 200,
              "evidence": 403, "regrade": 403, "regrade-all": 403, "targets": 200, "target": 404},
    "ingrid": {"lab-list": 200, "workspace": 200, "picture": 404, "report": 200, "dashboards": 200,
               "dashboard": 200, "evidence": 200, "regrade": 302, "regrade-all": 302, "targets": 200, "target": 404},
    "oscar": {name: 404 for name in ("lab-list", "workspace", "picture", "report", "dashboards", "dashboard",
                                     "evidence", "regrade", "regrade-all", "targets", "target")},
}


@pytest.mark.parametrize("who", ["anonymous", *MATRIX])
def test_permission_matrix_for_every_lab_view(who, personas, lab, alices_work, client):
    if who != "anonymous":
        client.force_login(personas[who])
    for name, (method, url) in _urls(lab, alices_work).items():
        response = getattr(client, method)(url)
        if who == "anonymous":
            assert response.status_code == 302 and "/accounts/login/" in response["Location"], name
        else:
            assert response.status_code == MATRIX[who][name], f"{who} {name}: {response.status_code}"


def test_bob_never_sees_alices_console_report_or_evidence(personas, lab, alices_work, client):
    client.force_login(personas["bob"])
    page = client.get(reverse("lab-workspace", args=["ops3", lab.slug])).content.decode()
    assert "alicecluster" not in page and "Start the lab" in page
    for method, url in _urls(lab, alices_work).values():
        body = getattr(client, method)(url).content.decode()
        assert "alice-evidence" not in body and "alicecluster" not in body and "alice-home" not in body
    response = client.post(reverse("lab-console", args=["ops3", lab.slug]), {"line": "pvecm status"}, **HTMX)
    assert response.status_code == 404, "bob has no environment; he cannot reach alice's"


def test_the_workspace_shows_rendered_instructions_without_raw_html(personas, lab, client):
    client.force_login(personas["alice"])
    page = client.get(reverse("lab-workspace", args=["ops3", lab.slug])).content.decode()
    assert "<strong>lab</strong>" in page and "<script>x</script>" not in page


def test_start_console_and_picture_through_htmx(personas, lab, client):
    client.force_login(personas["alice"])
    assert client.post(reverse("lab-start", args=["ops3", lab.slug])).status_code == 302
    url = reverse("lab-console", args=["ops3", lab.slug])

    answer = client.post(url, {"line": "pvecm create lab"}, **HTMX).content.decode()
    assert 'class="prompt">root@pve1:~#</span> <span class="line">pvecm create lab</span>' in answer
    assert 'id="picture"' in answer and 'hx-swap-oob="true"' in answer and "Cluster lab" in answer

    answer = client.post(url, {"line": "ssh pve2"}, **HTMX).content.decode()
    assert 'id="console-prompt"' in answer and ">root@pve2:~#</label>" in answer
    status = client.post(url, {"line": "hostname"}, **HTMX).content.decode()
    assert '<pre class="output">pve2</pre>' in status
    page = client.get(reverse("lab-workspace", args=["ops3", lab.slug])).content.decode()
    assert "root@pve2:~#" in page and "pvecm create lab" in page


def test_console_output_is_exactly_the_simulators(personas, lab, client):
    from simulator.scenario import build

    client.force_login(personas["alice"])
    client.post(reverse("lab-start", args=["ops3", lab.slug]))
    answer = client.post(reverse("lab-console", args=["ops3", lab.slug]), {"line": "pvecm status"}, **HTMX)
    expected = build({}).run("pve1", "pvecm status").output
    assert expected and expected.replace("'", "&#x27;") in answer.content.decode()


def test_a_plain_form_post_without_javascript_runs_the_line_and_shows_the_page(personas, lab, client):
    client.force_login(personas["alice"])
    client.post(reverse("lab-start", args=["ops3", lab.slug]))
    response = client.post(reverse("lab-console", args=["ops3", lab.slug]), {"line": "hostname"})
    assert response.status_code == 302
    assert LabEnvironment.objects.get(user=personas["alice"]).transcript[-1]["output"] == "pve1"


def test_reset_and_submit_redirect_with_messages(personas, lab, client):
    client.force_login(personas["alice"])
    client.post(reverse("lab-start", args=["ops3", lab.slug]))
    response = client.post(reverse("lab-reset", args=["ops3", lab.slug]), follow=True)
    assert "starting point" in response.content.decode()
    response = client.post(reverse("lab-submit", args=["ops3", lab.slug]))
    submission = personas["alice"].lab_submissions.get()
    assert response["Location"] == reverse("submission-report", args=["ops3", submission.pk])


def test_a_refused_submission_explains_why_and_changes_nothing(personas, client):
    lab = make_lab(personas["ops3"].modules.get(), max_attempts=1)
    client.force_login(personas["alice"])
    client.post(reverse("lab-start", args=["ops3", lab.slug]))
    client.post(reverse("lab-submit", args=["ops3", lab.slug]))
    response = client.post(reverse("lab-submit", args=["ops3", lab.slug]), follow=True)
    assert "You have used all 1 attempts" in response.content.decode()
    assert personas["alice"].lab_submissions.count() == 1


def test_a_tampered_target_choice_is_refused(personas, lab, alices_work, client):
    client.force_login(personas["bob"])
    client.post(reverse("lab-start", args=["ops3", lab.slug]))
    response = client.post(reverse("lab-submit", args=["ops3", lab.slug]),
                           {"target": alices_work["target"].pk}, follow=True)
    assert response.status_code == 200 and personas["bob"].lab_submissions.count() == 0
    assert "Select a valid choice" in response.content.decode()


def test_the_report_polls_while_queued_and_stops_when_final(personas, lab, client):
    client.force_login(personas["alice"])
    client.post(reverse("lab-start", args=["ops3", lab.slug]))
    client.post(reverse("lab-submit", args=["ops3", lab.slug]))
    submission = personas["alice"].lab_submissions.get()
    url = reverse("submission-report", args=["ops3", submission.pk])
    fragment = client.get(url, **HTMX).content.decode()
    assert 'hx-trigger="every 1s"' in fragment and 'data-status="queued"' in fragment
    GradingRun.objects.filter(submission=submission).update(status="not_gradable", message="unreachable: x")
    fragment = client.get(url, **HTMX).content.decode()
    assert "hx-trigger" not in fragment and "unreachable: x" in fragment


def test_students_see_visible_items_only_and_staff_see_all(personas, lab, client):
    report = {"score": 0.5, "points": 1, "max_points": 2, "gradable": True, "tests": [
        {"id": "a", "title": "Visible item", "points": 1, "max_points": 1, "passed": True, "message": "",
         "visibility": "visible"},
        {"id": "b", "title": "Hidden item", "points": 0, "max_points": 1, "passed": False, "message": "",
         "visibility": "hidden"},
        {"id": "c", "title": "After due item", "points": 0, "max_points": 0, "passed": False, "message": "",
         "visibility": "after_due"}]}
    from grader_labkit import past

    lab.due_at = past(-3600)
    lab.save()
    services.environment_start(user=personas["alice"], lab=lab)
    submission = services.submission_create(user=personas["alice"], lab=lab)
    GradingRun.objects.filter(submission=submission).update(status="graded", report=report, score=0.5)
    url = reverse("submission-report", args=["ops3", submission.pk])
    client.force_login(personas["alice"])
    page = client.get(url).content.decode()
    assert "Visible item" in page and "Hidden item" not in page and "After due item" not in page
    lab.due_at = past(60)
    lab.save()
    page = client.get(url).content.decode()
    assert "After due item" in page and "Hidden item" not in page
    client.force_login(personas["ingrid"])
    page = client.get(url).content.decode()
    assert "Hidden item" in page and "After due item" in page


def test_the_dashboard_lists_each_students_latest_score_and_item_pass_rates(personas, lab, client):
    pytest.importorskip("grader.collect")
    for name, lines in (("alice", SOLUTION), ("bob", [])):
        env = services.environment_start(user=personas[name], lab=lab)
        for line in lines:
            services.environment_run(environment=env, line=line)
        run = services.submission_create(user=personas[name], lab=lab).runs.get()
        services.run_grade(run.pk)
    client.force_login(personas["ingrid"])
    page = client.get(reverse("lab-dashboard", args=["ops3", lab.slug])).content.decode()
    assert "alice" in page and "bob" in page and "5/5" in page and "0/5" in page
    assert "1 / 2" in page and "50%" in page
    assert "Regrade all" in page


def test_navigation_offers_labs_and_the_dashboard_to_staff(personas, lab, client):
    client.force_login(personas["alice"])
    page = client.get(reverse("lab-list", args=["ops3"])).content.decode()
    assert ">Labs</a>" in page and "Lab dashboard" not in page
    client.force_login(personas["terry"])
    assert "Lab dashboard" in client.get(reverse("lab-list", args=["ops3"])).content.decode()


LINES = st.one_of(
    st.text(max_size=700),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=80),
    st.sampled_from(["", " ", "'", '"', "\\", "ssh", "ssh nowhere", "exit", "sleep -1", "sleep 1e9",
                     "pvecm add", "<script>alert(1)</script>", "qm start 999999", "$(reboot)", "\x00\x1b[31m",
                     "a\nb", "x" * 10000, "power pve1 off", "ssh pve3"]),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(line=LINES)
def test_console_lines_of_any_kind_never_break_the_page(personas, lab, client, line):
    client.force_login(personas["alice"])
    services.environment_start(user=personas["alice"], lab=lab)
    response = client.post(reverse("lab-console", args=["ops3", lab.slug]), {"line": line}, **HTMX)
    assert response.status_code == 200
    body = response.content.decode()
    assert "<script>alert" not in body
    assert client.get(reverse("lab-workspace", args=["ops3", lab.slug])).status_code == 200


def test_only_instructors_set_the_speed_factor_of_a_lab_or_one_student(personas, lab, client):
    services.environment_start(user=personas["alice"], lab=lab)
    services.environment_start(user=personas["bob"], lab=lab)
    url = reverse("lab-speed", args=["ops3", lab.slug])
    for who, status in (("alice", 403), ("terry", 403), ("oscar", 404)):
        client.force_login(personas[who])
        assert client.post(url, {"speed": "10"}).status_code == status
    client.force_login(personas["ingrid"])
    client.post(url, {"speed": "10", "username": "alice"})
    speeds = dict(LabEnvironment.objects.values_list("user__username", "speed_factor"))
    assert speeds == {"alice": 10, "bob": 1}
    response = client.post(url, {"speed": "10", "username": "oscar"}, follow=True)
    assert "No such student" in response.content.decode()
    client.post(url, {"speed": "4"})
    assert set(LabEnvironment.objects.values_list("speed_factor", flat=True)) == {4}


def test_an_instructors_class_target_can_be_graded_by_every_student_but_not_managed(personas, lab, alices_work,
                                                                                     client):
    from grader.targets import target_register

    shared = target_register(owner=personas["ingrid"], course=personas["ops3"], name="class-cluster",
                             host="10.0.0.9", port=8006, token_id="class@pve!lab", token_secret="class-secret-x",
                             tls_mode="verify", shared=True)
    client.force_login(personas["bob"])
    client.post(reverse("lab-start", args=["ops3", lab.slug]))
    page = client.get(reverse("lab-workspace", args=["ops3", lab.slug])).content.decode()
    assert "class-cluster" in page and "alice-home" not in page
    assert client.get(reverse("target-detail", args=["ops3", shared.pk])).status_code == 404
    response = client.post(reverse("lab-submit", args=["ops3", lab.slug]), {"target": shared.pk})
    assert response.status_code == 302
    assert personas["bob"].lab_submissions.get().real_target == shared


def test_only_instructors_may_register_a_class_target(personas, client):
    form = {"name": "x", "host": "10.1.1.1", "port": "8006", "token_id": "a@pve!b", "token_secret": "s",
            "tls_mode": "insecure", "shared": "on"}
    client.force_login(personas["alice"])
    assert "Class target" not in client.get(reverse("target-list", args=["ops3"])).content.decode()
    client.post(reverse("target-list", args=["ops3"]), form)
    client.force_login(personas["ingrid"])
    client.post(reverse("target-list", args=["ops3"]), {**form, "name": "y"})
    from grader.models import RealTarget

    assert dict(RealTarget.objects.values_list("name", "shared")) == {"x": False, "y": True}


def test_a_cluster_the_simulator_cannot_restore_asks_for_a_reset_and_never_breaks_the_page(personas, lab, client):
    env = services.environment_start(user=personas["alice"], lab=lab)
    LabEnvironment.objects.filter(pk=env.pk).update(state={"format": "something-else"})
    client.force_login(personas["alice"])
    page = client.get(reverse("lab-workspace", args=["ops3", lab.slug]))
    assert page.status_code == 200 and "Reset it" in page.content.decode()
    answer = client.post(reverse("lab-console", args=["ops3", lab.slug]), {"line": "pvecm status"}, **HTMX)
    assert answer.status_code == 200 and "reset it" in answer.content.decode()
    assert client.get(reverse("lab-picture", args=["ops3", lab.slug])).status_code == 200
    response = client.post(reverse("lab-submit", args=["ops3", lab.slug]), follow=True)
    assert "reset it" in response.content.decode() and not personas["alice"].lab_submissions.exists()
    client.post(reverse("lab-reset", args=["ops3", lab.slug]))
    assert client.post(reverse("lab-console", args=["ops3", lab.slug]), {"line": "hostname"},
                       **HTMX).content.decode().count("pve1") >= 1


def test_lab_scores_for_a_gradebook(personas, lab):
    from grader import selectors

    services.environment_start(user=personas["alice"], lab=lab)
    run = services.submission_create(user=personas["alice"], lab=lab).runs.get()
    assert selectors.lab_scores_for(personas["alice"], personas["ops3"])[0]["score"] is None
    GradingRun.objects.filter(pk=run.pk).update(status="graded", score=0.75)
    assert selectors.lab_scores_for(personas["alice"], personas["ops3"])[0]["score"] == 0.75


POSTS = ["lab-start", "lab-reset", "lab-console", "lab-submit"]


@pytest.mark.parametrize("who", ["anonymous", "bob", "oscar"])
def test_posting_lab_actions_never_touches_someone_elses_environment(who, personas, lab, alices_work, client):
    if who != "anonymous":
        client.force_login(personas[who])
    before = LabEnvironment.objects.get(user=personas["alice"])
    for name in POSTS:
        response = client.post(reverse(name, args=["ops3", lab.slug]), {"line": "power pve1 off"})
        if who == "anonymous":
            assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        elif who == "oscar":
            assert response.status_code == 404, name
    after = LabEnvironment.objects.get(user=personas["alice"])
    assert (after.version, after.state) == (before.version, before.state)
    assert personas["alice"].lab_submissions.count() == 1


def test_course_staff_look_at_a_students_cluster_read_only(personas, lab, alices_work, client):
    url = reverse("student-environment", args=["ops3", lab.slug, "alice"])
    before = LabEnvironment.objects.get(user=personas["alice"])
    for who, status in (("alice", 403), ("bob", 403), ("oscar", 404), ("terry", 200), ("ingrid", 200)):
        client.force_login(personas[who])
        response = client.get(url)
        assert response.status_code == status, who
    assert "pvecm create alicecluster" in response.content.decode() and "<svg" in response.content.decode()
    assert client.get(reverse("student-environment", args=["ops3", lab.slug, "bob"])).status_code == 404
    assert client.get(reverse("student-environment", args=["ops3", lab.slug, "oscar"])).status_code == 404
    after = LabEnvironment.objects.get(user=personas["alice"])
    assert (after.version, after.synced_at) == (before.version, before.synced_at)


def test_the_lab_list_shows_the_students_latest_score(personas, lab, client):
    services.environment_start(user=personas["alice"], lab=lab)
    run = services.submission_create(user=personas["alice"], lab=lab).runs.get()
    GradingRun.objects.filter(pk=run.pk).update(status="graded", score=0.6)
    client.force_login(personas["alice"])
    assert "graded 60%" in client.get(reverse("lab-list", args=["ops3"])).content.decode()
