"""Real headless Chromium (Debian's /usr/bin/chromium driven by Playwright): a student logs in."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser]


def test_a_student_logs_in_and_sees_the_course_home(page, personas):
    page.goto("/")
    assert "/accounts/login/" in page.url

    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill("alice-pass-2026")
    page.get_by_role("button", name="Log in").click()

    page.wait_for_url("**/courses/ops3/")
    assert page.get_by_role("heading", level=1).inner_text() == "Virtualization and Cloud Infrastructure"
    assert page.get_by_role("heading", name="Week 6: Cluster and High Availability").is_visible()
    nav = page.get_by_role("navigation", name="Course")
    assert nav.get_by_role("link", name="Course home").get_attribute("aria-current") == "page"
    assert nav.get_by_role("link", name="Instructor").count() == 0


def test_a_wrong_password_shows_an_error_and_stays_on_the_login_page(page, personas):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Log in").click()

    assert page.get_by_role("alert").inner_text().startswith("Your username and password didn't match")
    assert "/accounts/login/" in page.url
