"""Real headless Chromium: a student types lab 1's solution into the web console, submits, sees full marks.

The grading goes through a real Celery worker process and a private Redis,
like production; the console is the page's htmx form with static/js/console.js.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "grader"))

from grader_labkit import LABS_FOLDER, typed_solution

pytestmark = [pytest.mark.browser, pytest.mark.services, pytest.mark.slow]


def test_a_student_types_the_solution_into_the_console_submits_and_sees_full_marks(page, personas, start_worker):
    from grader import services
    from grader.labs import load_lab

    spec = load_lab(LABS_FOLDER / "build-cluster")
    services.lab_store(module=personas["ops3"].modules.get(slug="week6"), spec=spec)
    start_worker("browser")
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text)
            if msg.type == "error" and not msg.text.startswith("Failed to load resource") else None)  # favicon
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill("alice-pass-2026")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/courses/ops3/")

    page.get_by_role("navigation", name="Course").get_by_role("link", name="Labs").click()
    page.get_by_role("link", name=spec.title).click()
    page.get_by_role("button", name="Start the lab").click()
    console = page.locator("#console-input")
    output = page.locator("#console-output")
    assert page.locator("#console-prompt").inner_text() == "root@pve1:~#"

    lines = typed_solution(spec)
    for count, line in enumerate(lines, start=1):
        console.fill(line)
        console.press("Enter")
        page.wait_for_function("n => document.querySelectorAll('#console-output .entry').length >= n", arg=count)
        page.wait_for_function("() => document.getElementById('console-input').value === ''")

    assert "Quorate:          Yes" in output.inner_text()
    assert "3 of 3 nodes quorate" in page.locator("#picture").inner_text()
    console.press("ArrowUp")
    assert console.input_value() == lines[-1], "the arrow keys recall the last line"
    console.fill("")

    page.get_by_role("button", name="Submit for grading").click()
    page.wait_for_url("**/submissions/*/")
    score = page.locator('[data-status="graded"]')
    score.wait_for(timeout=60_000)
    assert score.get_attribute("data-score") == str(int(spec.rubric.max_points)) or \
        score.inner_text().startswith(f"{spec.rubric.max_points:g} / {spec.rubric.max_points:g}")
    assert "(100%)" in page.locator("#report").inner_text()
    assert problems == [], "no script errors and no Content-Security-Policy violations"
