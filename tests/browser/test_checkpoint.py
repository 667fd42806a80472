"""Real headless Chromium: a student answers a checkpoint in place (htmx) with the keyboard and sees the feedback."""

from __future__ import annotations

import re

import pytest

from courseware.quiz import answer_key, make_seed

pytestmark = [pytest.mark.browser]


@pytest.fixture
def week6_loaded(personas):
    from courseware.authoring import course_load

    course_load("courseware/content/week6")
    return personas


def test_a_student_answers_a_checkpoint_and_sees_the_feedback(page, week6_loaded) -> None:
    from courseware.models import Answer, Question

    alice = week6_loaded["alice"]
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)

    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill("alice-pass-2026")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/courses/ops3/")

    page.get_by_role("link", name=re.compile(r"^2\. Quorum")).first.click()
    page.wait_for_url("**/week6/sections/w6-quorum/")
    assert page.get_by_role("heading", level=1).inner_text().startswith("2. Quorum")
    figure = page.locator("figure img[src$='split-brain.svg']")
    figure.scroll_into_view_if_needed()  # figures load lazily
    page.wait_for_function("""() => {
        const img = document.querySelector("figure img[src$='split-brain.svg']");
        return img && img.complete && img.naturalWidth > 0;
    }""")

    q = Question.objects.get(source_id="w6-cp02-quorum-for-n")
    key = answer_key(q.quiz(), make_seed(alice.pk, q.source_id, 1))
    question = page.locator(f"#q-{q.source_id}")
    assert "Explanation" not in question.inner_text()

    # keyboard only: focus the answer field, type, press Enter
    field = question.get_by_label(re.compile("Your answer"))
    field.focus()
    page.keyboard.type(str(int(key)))
    page.keyboard.press("Enter")

    result = page.locator(f"#q-{q.source_id} .result")
    result.wait_for()
    assert "Correct" in result.inner_text()
    assert "Explanation" in result.inner_text()
    assert page.evaluate("document.activeElement.classList.contains('result')")  # focus moved to the feedback
    assert page.url.endswith("/week6/sections/w6-quorum/")  # answered in place, no page load
    assert Answer.objects.get(student=alice, question=q).correct

    # a wrong answer: feedback, and the next attempt's form in place
    other = Question.objects.get(source_id="w6-cp02-failures-tolerated")
    box = page.locator(f"#q-{other.source_id}")
    box.get_by_label(re.compile("Your answer")).fill("999")
    box.get_by_role("button", name="Submit answer").click()
    page.locator(f"#q-{other.source_id} .result").wait_for()
    assert "Incorrect" in page.locator(f"#q-{other.source_id} .result").inner_text()
    assert page.locator(f"#q-{other.source_id} input[name=attempt]").get_attribute("value") == "2"
    # a malformed answer is refused in place, with the reason, and uses no attempt
    box = page.locator(f"#q-{other.source_id}")
    box.get_by_label(re.compile("Your answer")).fill("lots")
    box.get_by_role("button", name="Submit answer").click()
    page.locator(f"#q-{other.source_id} [role=alert]").wait_for()
    assert "is not a number" in page.locator(f"#q-{other.source_id} [role=alert]").inner_text()
    assert Answer.objects.filter(student=alice, question=other).count() == 1

    # an ordering question put in order with the "move up" buttons (keyboard: focus and Enter)
    ordering = Question.objects.filter(type="ordering", checkpoint__section__source_id="w6-ha-manager").first()
    page.goto(f"/courses/ops3/week6/sections/w6-ha-manager/#q-{ordering.source_id}")
    rows = f"#q-{ordering.source_id} .order-row"
    for target, item in enumerate(answer_key(ordering.quiz(), make_seed(alice.pk, ordering.source_id, 1))):
        while True:
            order = page.eval_on_selector_all(f"{rows} select", "els => els.map(e => e.name.slice(6))")
            if order.index(item) == target:
                break
            page.locator(f"{rows}:has(select[name='order-{item}']) button[data-move=up]").focus()
            page.keyboard.press("Enter")
    page.locator(f"#q-{ordering.source_id}").get_by_role("button", name="Submit answer").click()
    page.locator(f"#q-{ordering.source_id} .result").wait_for()
    assert "Correct" in page.locator(f"#q-{ordering.source_id} .result").inner_text()

    assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p], problems
