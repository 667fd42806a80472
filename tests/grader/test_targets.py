"""Real targets against `python -m simulator serve` over HTTPS: grading through proxmoxer, faults, rules, secrets."""

from __future__ import annotations

import json
import logging

import pytest
from django.urls import reverse
from grader_labkit import ServedCluster, loopback_allowed, make_lab, register

from grader import crypto, services
from grader.models import AttemptCounter, RealTarget

pytestmark = pytest.mark.slow


@pytest.fixture
def lab(personas):
    return make_lab(personas["ops3"].modules.get(slug="week6"))


@pytest.fixture
def serve(tmp_path):
    started: list[ServedCluster] = []

    def start(*extra: str, **kwargs) -> ServedCluster:
        served = ServedCluster(tmp_path, *extra, **kwargs)
        started.append(served)
        return served

    yield start
    for served in started:
        served.stop()


def _grade_real(user, lab, target):
    run = services.submission_create(user=user, lab=lab, target=target).runs.get()
    services.run_grade(run.pk, worker="inline@test")
    run.refresh_from_db()
    return run


def test_a_correct_lab_is_graded_through_proxmoxer_over_https(personas, lab, serve, settings):
    loopback_allowed(settings)
    served = serve()
    target = register(personas["alice"], personas["ops3"], served)
    assert target.preflight["ok"] is True and target.preflight["audit_only"] is True

    run = _grade_real(personas["alice"], lab, target)

    assert run.status == "graded" and run.score == 1.0, run.report
    assert run.evidence["state"]["source"] == "proxmox"
    assert run.evidence["stats"]["levels"] == 2 and run.evidence["stats"]["calls"] > 5


@pytest.mark.parametrize(("mode", "words"), [
    ("5xx", "500"), ("timeout", "did not answer"), ("garbage", "not JSON"), ("wrong-shape", "expected"),
    ("401", "401"), ("403", "privilege"), ("tls-mismatch", "fingerprint"),
])
def test_each_fault_mode_is_not_gradable_with_a_clear_message_and_uses_no_attempt(
        mode, words, personas, lab, serve, settings):
    loopback_allowed(settings)
    settings.GRADER_MAX_TRIES, settings.GRADER_COLLECT_TIMEOUT_SECONDS = 1, 3
    served = serve("--fault", mode, "--hang-seconds", "6")
    target = register(personas["alice"], personas["ops3"], served)

    run = _grade_real(personas["alice"], lab, target)

    assert run.status == "not_gradable" and run.score is None and run.report is None
    assert words.lower() in run.message.lower(), run.message
    assert "No attempt was used" in run.message
    assert AttemptCounter.objects.get(lab=lab, user=personas["alice"]).used == 0


def test_a_fault_is_retried_with_backoff_before_it_is_explained(personas, lab, serve, settings):
    loopback_allowed(settings)
    settings.GRADER_MAX_TRIES = 3
    served = serve("--fault", "5xx")
    target = register(personas["alice"], personas["ops3"], served)
    run = services.submission_create(user=personas["alice"], lab=lab, target=target).runs.get()
    assert services.run_grade(run.pk) is False
    run.refresh_from_db()
    assert run.status == "queued" and run.tries == 1 and "trying again" in run.message


def test_an_address_outside_the_allowed_networks_is_refused_before_connecting(personas, lab, serve, settings,
                                                                               client):
    settings.GRADER_ALLOWED_NETWORKS = []
    served = serve()
    client.force_login(personas["alice"])
    response = client.post(reverse("target-list", args=["ops3"]), {
        "name": "sneaky", "host": "127.0.0.1", "port": served.port, "token_id": "grader@pve!lab",
        "token_secret": served.secret, "tls_mode": "insecure"}, follow=True)
    page = response.content.decode()
    assert "GRADER_ALLOWED_NETWORKS" in page and 'data-preflight="failed"' in page
    target = RealTarget.objects.get()

    run = _grade_real(personas["alice"], lab, target)

    assert run.status == "not_gradable" and "outside the networks" in run.message and run.tries == 1
    assert served.requests_seen() == 0, "nothing may be sent to a refused address"


def test_registration_shows_the_preflight_and_never_the_secret(personas, lab, serve, settings, client, caplog):
    loopback_allowed(settings)
    caplog.set_level(logging.DEBUG)
    served = serve(secret="SECRET-do-not-leak-0123456789abcdef", role="Administrator")
    client.force_login(personas["alice"])

    response = client.post(reverse("target-list", args=["ops3"]), {
        "name": "home", "host": "127.0.0.1", "port": served.port, "token_id": "grader@pve!lab",
        "token_secret": served.secret, "tls_mode": "pinned", "fingerprint": served.fingerprint}, follow=True)

    page = response.content.decode()
    target = RealTarget.objects.get()
    assert 'data-preflight="ok"' in page and target.preflight["version"] in page
    assert "more than audit" in page or "warning" in page, "an admin token is warned about"
    assert crypto.decrypt(target.token_secret_encrypted) == served.secret
    assert served.secret not in target.token_secret_encrypted
    run = _grade_real(personas["alice"], lab, target)
    assert run.status == "graded"
    client.force_login(personas["ingrid"])
    pages = [page, client.get(reverse("target-list", args=["ops3"])).content.decode(),
             client.get(reverse("submission-report", args=["ops3", run.submission_id])).content.decode(),
             client.get(reverse("run-evidence", args=["ops3", run.pk])).content.decode()]
    client.force_login(personas["alice"])
    pages.append(client.get(reverse("target-detail", args=["ops3", target.pk])).content.decode())
    assert all(served.secret not in p for p in pages)
    assert served.secret not in json.dumps([run.evidence, run.report, run.message, target.preflight])
    assert served.secret not in caplog.text
    assert served.secret not in (served.log_path.read_text())


def test_the_form_refuses_a_malformed_token_id_and_a_pin_without_fingerprint(personas, client):
    client.force_login(personas["alice"])
    response = client.post(reverse("target-list", args=["ops3"]), {
        "name": "x", "host": "10.1.1.1", "port": "8006", "token_id": "not a token", "token_secret": "s",
        "tls_mode": "pinned", "fingerprint": ""})
    assert response.status_code == 400
    page = response.content.decode()
    assert "USER@REALM!TOKENNAME" in page and "Give the fingerprint to pin" in page
    assert RealTarget.objects.count() == 0


def test_a_target_can_be_rechecked_and_removed(personas, serve, settings, client):
    loopback_allowed(settings)
    served = serve()
    target = register(personas["alice"], personas["ops3"], served)
    client.force_login(personas["alice"])
    url = reverse("target-detail", args=["ops3", target.pk])
    assert client.post(url, {"action": "preflight"}).status_code == 302
    client.force_login(personas["bob"])
    assert client.post(url, {"action": "delete"}).status_code == 404
    client.force_login(personas["alice"])
    client.post(url, {"action": "delete"})
    assert not RealTarget.objects.exists()
