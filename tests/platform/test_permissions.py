"""Who sees what: every view, for every persona (STYLE.md: can bob see alice's thing?)."""

from __future__ import annotations

import pytest

from grader.models import Ping

ANON, ALICE, BOB, TERRY, INGRID, OSCAR = "anonymous", "alice", "bob", "terry", "ingrid", "oscar"

# url -> expected status per persona (302 = sent to the login page)
GET_MATRIX = {
    "/": {ANON: 302, ALICE: 302, BOB: 302, TERRY: 302, INGRID: 302, OSCAR: 302},  # one course: redirected into it
    "/courses/ops3/": {ANON: 302, ALICE: 200, BOB: 200, TERRY: 200, INGRID: 200, OSCAR: 404},
    "/courses/ops3/grades/": {ANON: 302, ALICE: 200, BOB: 200, TERRY: 200, INGRID: 200, OSCAR: 404},
    "/courses/ops3/instructor/roster/": {ANON: 302, ALICE: 403, BOB: 403, TERRY: 200, INGRID: 200, OSCAR: 404},
    "/courses/ops4/": {ANON: 302, ALICE: 404, BOB: 404, TERRY: 404, INGRID: 404, OSCAR: 200},
    "/courses/nope/": {ANON: 302, ALICE: 404, BOB: 404, TERRY: 404, INGRID: 404, OSCAR: 404},
    "/ops/worker-check/": {ANON: 302, ALICE: 403, BOB: 403, TERRY: 200, INGRID: 200, OSCAR: 200},
    "/accounts/password_change/": {ANON: 302, ALICE: 200, BOB: 200, TERRY: 200, INGRID: 200, OSCAR: 200},
    "/admin/": {ANON: 302, ALICE: 302, BOB: 302, TERRY: 302, INGRID: 302, OSCAR: 302},
}
PERSONAS = [ANON, ALICE, BOB, TERRY, INGRID, OSCAR]


def _client_for(client, personas, who):
    if who != ANON:
        client.force_login(personas[who])
    return client


@pytest.mark.parametrize("url", list(GET_MATRIX))
@pytest.mark.parametrize("who", PERSONAS)
def test_each_persona_gets_the_expected_answer_for_each_page(client, personas, url, who):
    response = _client_for(client, personas, who).get(url)

    assert response.status_code == GET_MATRIX[url][who], f"{who} GET {url}"
    if response.status_code == 302 and who == ANON:
        assert response["Location"].startswith("/accounts/login/") or url == "/admin/"


def test_a_worker_check_is_visible_only_to_the_instructor_who_sent_it(client, personas):
    ping = Ping.objects.create(requested_by=personas["ingrid"])
    url = f"/ops/worker-check/{ping.pk}/"
    expected = {ANON: 302, ALICE: 403, BOB: 403, TERRY: 404, INGRID: 200, OSCAR: 404}
    for who in PERSONAS:
        client.logout()
        assert _client_for(client, personas, who).get(url).status_code == expected[who], who


@pytest.mark.parametrize("who,status", [(ALICE, 403), (TERRY, 403), (OSCAR, 404), (INGRID, 302)])
def test_only_the_course_instructor_can_import_a_roster(client, personas, who, status):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("r.csv", b"username,email,full name,role\nzed,zed@example.edu,Zed Z,student\n")
    response = _client_for(client, personas, who).post("/courses/ops3/instructor/roster/", {"roster": upload})

    assert response.status_code == status
    assert personas["ops3"].memberships.filter(user__username="zed").exists() == (status == 302)


def test_students_do_not_see_the_instructor_link_in_the_navigation(client, personas):
    student_page = _client_for(client, personas, ALICE).get("/courses/ops3/").content.decode()
    client.force_login(personas["ingrid"])
    instructor_page = client.get("/courses/ops3/").content.decode()

    assert "/instructor/roster/" not in student_page
    assert "/instructor/roster/" in instructor_page


def test_a_post_without_a_csrf_token_is_refused_with_a_message(personas):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(personas["ingrid"])

    response = strict.post("/ops/worker-check/", {"work_seconds": "0"})

    assert response.status_code == 403
    assert b"security token" in response.content
    assert Ping.objects.count() == 0


@pytest.mark.parametrize("payload", [{"work_seconds": "abc"}, {"work_seconds": "99999"}, {"work_seconds": "-5"}])
def test_a_tampered_worker_check_form_gets_a_400_and_writes_nothing(client, personas, payload):
    response = _client_for(client, personas, INGRID).post("/ops/worker-check/", payload)

    assert response.status_code == 400
    assert b"Select a valid choice" in response.content
    assert Ping.objects.count() == 0


def test_a_roster_post_without_a_file_gets_a_400_with_a_message(client, personas):
    response = _client_for(client, personas, INGRID).post("/courses/ops3/instructor/roster/", {"roster": ""})

    assert response.status_code == 400
    assert b"This field is required" in response.content


def test_unknown_pages_get_a_friendly_404_without_a_traceback(client, personas):
    response = _client_for(client, personas, ALICE).get("/courses/ops3/../../etc/passwd")

    assert response.status_code == 404
    assert b"Traceback" not in response.content
