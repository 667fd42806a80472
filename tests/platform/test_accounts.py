"""Login, logout, password change and reset, and the periodic session pruning job."""

from __future__ import annotations

import re
from datetime import timedelta

from django.contrib.sessions.models import Session
from django.core import mail
from django.utils import timezone


def test_logout_is_a_post_and_ends_the_session(client, personas):
    client.force_login(personas["alice"])

    response = client.post("/accounts/logout/")

    assert response.status_code == 302
    assert client.get("/courses/ops3/").status_code == 302


def test_a_student_changes_their_password(client, personas):
    client.force_login(personas["alice"])

    response = client.post("/accounts/password_change/", {
        "old_password": "alice-pass-2026", "new_password1": "a-much-better-pass-77", "new_password2":
        "a-much-better-pass-77"})

    assert response.status_code == 302
    personas["alice"].refresh_from_db()
    assert personas["alice"].check_password("a-much-better-pass-77")


def test_a_password_reset_mails_a_link_that_sets_a_new_password(client, personas, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

    client.post("/accounts/password_reset/", {"email": "bob@example.edu"})

    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    form_url = client.get(link)["Location"]
    response = client.post(form_url, {"new_password1": "bobs-new-pass-2026", "new_password2": "bobs-new-pass-2026"})
    assert response.status_code == 302
    personas["bob"].refresh_from_db()
    assert personas["bob"].check_password("bobs-new-pass-2026")


def test_the_beat_schedule_prunes_expired_sessions(db, settings):
    from config.celery import app
    from grader.tasks import sessions_prune

    entry = settings.CELERY_BEAT_SCHEDULE["sessions-prune"]
    assert entry["task"] in app.tasks
    Session.objects.create(session_key="old", session_data="x", expire_date=timezone.now() - timedelta(days=1))
    Session.objects.create(session_key="new", session_data="x", expire_date=timezone.now() + timedelta(days=1))

    sessions_prune.run()

    assert list(Session.objects.values_list("session_key", flat=True)) == ["new"]
