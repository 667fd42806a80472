"""Answering checkpoints on the section pages: keys accepted, nothing leaks before answering, policies hold."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from quiz_helpers import wrong_answer
from web_helpers import (  # noqa: F401
    SIMULATOR_READY,
    answer_url,
    form_for,
    question,
    section_url,
    seed_for,
    view_for,
    week6_fixture,
)

from courseware.markdown import render_markdown
from courseware.models import Answer, Question, QuestionProgress
from courseware.quiz import answer_key, public_view
from courseware.quiz.variants import evaluate, render

pytestmark = pytest.mark.django_db


def fragment(html: str, qid: str) -> str:
    match = re.search(rf'<section class="question card" id="q-{re.escape(qid)}".*?</section>', html, re.S)
    assert match, f"question {qid} is not on the page"
    return match.group(0)


def _secrets(q: Question, seed: int) -> list[str]:
    quiz = q.quiz()
    values = evaluate(quiz.variant, seed)
    secrets = [render_markdown(render(quiz.explanation, values)).strip()]
    for option in getattr(quiz, "options", []):
        if option.feedback:
            secrets.append(render(option.feedback, values))
    view = public_view(quiz, seed)
    shown = " ".join([view["prompt"], *view["hints"], view.get("placeholder") or ""])
    for text in [*getattr(quiz, "accept", []), getattr(quiz, "example_answer", "")]:
        text = render(text, values)
        if text and text not in shown:
            secrets.append(text)
    return secrets


def test_no_answer_reaches_the_browser_before_submission_for_any_question(week6, client) -> None:
    alice = week6["alice"]
    client.force_login(alice)
    seen_types = set()
    for q in Question.objects.select_related("checkpoint__section", "module__course"):
        html = fragment(client.get(section_url(q)).content.decode(), q.source_id)
        seed = seed_for(alice, q)
        for secret in _secrets(q, seed):
            assert secret not in html, (q.source_id, secret)
        assert "Explanation" not in html and "Answer:" not in html
        for tag in re.findall(r"<(?:input|option|label)[^>]*>", html):
            assert "correct" not in tag and "data-key" not in tag, (q.source_id, tag)
        if q.type in {"single_choice", "multiple_choice"}:
            inputs = re.findall(r'<input type="(?:radio|checkbox)"[^>]*>', html)
            attrs = {re.sub(r'value="[^"]*"', "", t) for t in inputs}
            assert len(attrs) == 1, (q.source_id, attrs)  # correct and wrong options look the same
        seen_types.add(q.type)
    assert seen_types == {"single_choice", "multiple_choice", "numeric", "short_text", "ordering", "matching",
                          "reflection", "simulator"}


def test_each_answer_key_is_accepted_through_the_page_and_a_wrong_answer_is_not(week6, client) -> None:
    alice, bob = week6["alice"], week6["bob"]
    for q in Question.objects.select_related("checkpoint__section", "module__course"):
        if q.type == "simulator" and not SIMULATOR_READY:
            continue
        client.force_login(alice)
        response = client.post(answer_url(q), form_for(q, answer_key(q.quiz(), seed_for(alice, q))))
        assert response.status_code == 302, (q.source_id, response.content[:300])
        answer = Answer.objects.get(student=alice, question=q)
        if q.type == "reflection":
            assert answer.status == "stored" and answer.points == 0
            continue
        assert answer.correct, q.source_id
        assert answer.points == pytest.approx(q.checkpoint.points_per_attempt[0] * q.quiz().weight)
        if q.type != "simulator":
            client.force_login(bob)
            wrong = wrong_answer(q.quiz(), seed_for(bob, q))
            assert client.post(answer_url(q), form_for(q, wrong)).status_code == 302, q.source_id
            assert Answer.objects.get(student=bob, question=q).correct is False, q.source_id


def test_the_same_student_sees_the_same_variant_on_every_reload(week6, client) -> None:
    alice = week6["alice"]
    client.force_login(alice)
    q = question("w6-cp02-quorum-for-n")
    first = fragment(client.get(section_url(q)).content.decode(), q.source_id)
    again = fragment(client.get(section_url(q)).content.decode(), q.source_id)
    strip = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')
    assert strip.sub("", first) == strip.sub("", again)
    nodes = view_for(alice, q)["prompt"].split(" nodes")[0].split()[-1]
    assert f"has {nodes} nodes" in first


def test_a_wrong_answer_opens_the_next_attempt_with_its_own_variant(week6, client) -> None:
    alice = week6["alice"]
    client.force_login(alice)
    q = question("w6-cp02-quorum-for-n")
    client.post(answer_url(q), form_for(q, wrong_answer(q.quiz(), seed_for(alice, q, 1))))
    html = fragment(client.get(section_url(q)).content.decode(), q.source_id)
    assert 'name="attempt" value="2"' in html
    assert view_for(alice, q, 2)["prompt"].split("\n")[0] in html
    key = answer_key(q.quiz(), seed_for(alice, q, 2))
    client.post(answer_url(q), form_for(q, key, attempt=2))
    answer = Answer.objects.get(student=alice, question=q, attempt=2)
    assert answer.correct and answer.points == 7  # points_per_attempt [10, 7, 5, 2]
    html = fragment(client.get(section_url(q)).content.decode(), q.source_id)
    assert "Explanation" in html and "<form" not in html


def test_htmx_answers_come_back_as_the_question_with_its_feedback(week6, client) -> None:
    alice = week6["alice"]
    client.force_login(alice)
    q = question("w6-cp02-quorum-for-n")
    key = answer_key(q.quiz(), seed_for(alice, q))
    response = client.post(answer_url(q), form_for(q, key), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith(f'<section class="question card" id="q-{q.source_id}"')
    assert "Correct" in html and "Explanation" in html and "10 / 10 points" in html


def test_all_attempts_used_shows_the_explanation_and_no_more_form(week6, client) -> None:
    alice = week6["alice"]
    client.force_login(alice)
    q = question("w6-cp01-quorum-two-nodes") if Question.objects.filter(
        source_id="w6-cp01-quorum-two-nodes").exists() else question("w6-cp02-quorum-for-n")
    for attempt in range(1, 5):
        wrong = wrong_answer(q.quiz(), seed_for(alice, q, attempt))
        assert client.post(answer_url(q), form_for(q, wrong, attempt)).status_code == 302
    html = fragment(client.get(section_url(q)).content.decode(), q.source_id)
    assert "<form" not in html and "Explanation" in html and "Incorrect" in html
    response = client.post(answer_url(q), form_for(q, answer_key(q.quiz(), seed_for(alice, q, 5)), 5),
                           HTTP_HX_REQUEST="true")
    assert response.status_code == 409
    assert Answer.objects.filter(student=alice, question=q).count() == 4


def test_a_double_submit_uses_one_attempt(week6, client) -> None:
    alice = week6["alice"]
    client.force_login(alice)
    q = question("w6-cp02-quorum-for-n")
    data = form_for(q, wrong_answer(q.quiz(), seed_for(alice, q)))
    assert client.post(answer_url(q), data, HTTP_HX_REQUEST="true").status_code == 200
    second = client.post(answer_url(q), data, HTTP_HX_REQUEST="true")
    assert second.status_code == 409
    assert "already submitted" in second.content.decode()
    assert client.post(answer_url(q), data).status_code == 302  # without JavaScript: back to the section
    assert Answer.objects.filter(student=alice, question=q).count() == 1
    assert QuestionProgress.objects.get(student=alice, question=q).attempts_used == 1


def test_the_attempt_counter_is_taken_under_a_lock(week6) -> None:
    from courseware.services import AttemptAlreadyUsed, answer_submit

    alice = week6["alice"]
    q = question("w6-cp02-quorum-for-n")
    payload = wrong_answer(q.quiz(), seed_for(alice, q))
    answer_submit(student=alice, question=q, attempt=1, payload=payload)
    # a racing request that read the state before the first one committed still cannot record attempt 1 again
    QuestionProgress.objects.filter(student=alice, question=q).update(attempts_used=0)
    with pytest.raises(AttemptAlreadyUsed):
        answer_submit(student=alice, question=q, attempt=1, payload=payload)
    assert Answer.objects.filter(student=alice, question=q).count() == 1


def test_after_submission_feedback_waits_for_the_last_attempt(week6, client) -> None:
    alice = week6["alice"]
    client.force_login(alice)
    q = Question.objects.filter(checkpoint__feedback="after_submission").exclude(
        type__in=["reflection", "simulator"]).select_related("checkpoint__section", "module__course").first()
    client.post(answer_url(q), form_for(q, wrong_answer(q.quiz(), seed_for(alice, q, 1)), 1))
    html = fragment(client.get(section_url(q)).content.decode(), q.source_id)
    assert "Recorded" in html and "Incorrect" not in html and "Explanation" not in html
    client.post(answer_url(q), form_for(q, wrong_answer(q.quiz(), seed_for(alice, q, 2)), 2))
    html = fragment(client.get(section_url(q)).content.decode(), q.source_id)
    assert "Incorrect" in html and "Explanation" in html


def test_after_due_feedback_waits_for_the_due_date_and_late_answers_earn_late_credit(week6, client) -> None:
    import datetime as dt

    alice, bob = week6["alice"], week6["bob"]
    q = Question.objects.filter(checkpoint__feedback="after_due", type="single_choice").select_related(
        "checkpoint__section", "module__course").first()
    checkpoint = q.checkpoint
    checkpoint.due = dt.datetime.now(dt.UTC) + dt.timedelta(days=3)
    checkpoint.save()
    client.force_login(alice)
    client.post(answer_url(q), form_for(q, answer_key(q.quiz(), seed_for(alice, q))))
    html = fragment(client.get(section_url(q)).content.decode(), q.source_id)
    assert "Recorded" in html and "Correct" not in html and "Explanation" not in html
    assert 'name="attempt" value="2"' in html  # a correct answer does not show itself by closing the question
    checkpoint.due = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    checkpoint.save()
    html = fragment(client.get(section_url(q)).content.decode(), q.source_id)
    assert "Correct" in html and "Explanation" in html
    assert "<form" not in html  # the solution is out: no more attempts for those who answered
    client.force_login(bob)
    assert "<form" in fragment(client.get(section_url(q)).content.decode(), q.source_id)
    client.post(answer_url(q), form_for(q, answer_key(q.quiz(), seed_for(bob, q))))
    late = Answer.objects.get(student=bob, question=q)
    assert late.late and late.points == 10 * checkpoint.late_credit
    html = fragment(client.get(section_url(q)).content.decode(), q.source_id)
    assert "Correct" in html and "<form" not in html


def test_hints_are_offered_on_request(week6, client) -> None:
    client.force_login(week6["alice"])
    q = question("w6-cp02-quorum-for-n")
    html = fragment(client.get(section_url(q)).content.decode(), q.source_id)
    assert "<details><summary>Hint 1</summary>" in html and "integer division" in html


def test_the_progress_pages_count_finished_questions_and_points(week6, client) -> None:
    alice = week6["alice"]
    client.force_login(alice)
    q = question("w6-cp02-quorum-for-n")
    client.post(answer_url(q), form_for(q, answer_key(q.quiz(), seed_for(alice, q))))
    page = client.get(reverse("course-progress", args=["ops3"])).content.decode()
    assert "10 of " in page
    home = client.get(reverse("course-home", args=["ops3"])).content.decode()
    total = Question.objects.filter(checkpoint=q.checkpoint, retired=False).count()
    assert f'max="{total}" value="1"' in home


# --- tampering ---------------------------------------------------------------------------------------


def _post_bad(client, q, data, **extra):
    before = (Answer.objects.count(), list(QuestionProgress.objects.values_list("attempts_used", flat=True)))
    response = client.post(answer_url(q), data, **extra)
    assert (Answer.objects.count(), list(QuestionProgress.objects.values_list("attempts_used", flat=True))) == before
    return response


@pytest.mark.parametrize(("qid", "data", "message"), [
    ("single_choice", {"attempt": "1", "answer": "zzz"}, "unknown option id"),
    ("single_choice", {"attempt": "1", "answer": ["a", "b"]}, "give one value"),
    ("single_choice", {"attempt": "1"}, "choose an option first"),
    ("multiple_choice", {"attempt": "1", "answer": ["nope", "a"]}, "unknown option id"),
    ("numeric", {"attempt": "1", "answer": "[1, 2]"}, "is not a number"),
    ("numeric", {"attempt": "1", "answer": "3 parsecs"}, "not accepted here"),
    ("short_text", {"attempt": "1", "answer": "x" * 30_000}, "too"),
    ("short_text", {"attempt": "1", "answer": "line one\nline two"}, "single line"),
    ("short_text", {"attempt": "abc", "answer": "pvecm status"}, "no valid attempt"),
    ("ordering", {"attempt": "1", "order-evil": "1"}, "unknown item"),
    ("ordering", {"attempt": "1"}, "give every step a position"),
    ("matching", {"attempt": "1", "match-zz": "x"}, "unknown item"),
    ("reflection", {"attempt": "1", "answer": "too short"}, "write at least"),
    ("short_text", {"attempt": "1", "answer": "pvecm\x00 status"}, "control characters"),
    ("multiple_choice", {"attempt": "1", "answer": ["a\x00"]}, "control characters"),
])
def test_tampered_answers_get_a_400_with_a_message_and_change_nothing(week6, client, qid, data, message) -> None:
    q = Question.objects.filter(type=qid).select_related("checkpoint__section", "module__course").first()
    if q.type == "ordering" and "order-evil" in data:
        data = {**form_for(q, answer_key(q.quiz(), 0)), **data}
    if q.type == "matching" and "match-zz" in data:
        data = {**form_for(q, answer_key(q.quiz(), 0)), **data}
    if q.type == "reflection" and q.quiz().min_words <= 2:
        pytest.skip("no minimum length")
    client.force_login(week6["alice"])
    response = _post_bad(client, q, data, HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    assert message in response.content.decode().replace("&#x27;", "'")
    plain = _post_bad(client, q, data)
    assert plain.status_code == 400 and "No attempt was used" in plain.content.decode()


def test_ordering_positions_must_all_differ_and_matching_choices_must_exist(week6, client) -> None:
    client.force_login(week6["alice"])
    q = question(Question.objects.filter(type="ordering").first().source_id)
    data = form_for(q, answer_key(q.quiz(), 0))
    data = {k: ("1" if k.startswith("order-") else v) for k, v in data.items()}
    assert b"different position" in _post_bad(client, q, data).content
    m = question(Question.objects.filter(type="matching").first().source_id)
    data = form_for(m, answer_key(m.quiz(), 0))
    data = {k: ("not-a-choice" if k.startswith("match-") else v) for k, v in data.items()}
    assert _post_bad(client, m, data).status_code == 400


def test_a_future_or_past_attempt_number_is_refused(week6, client) -> None:
    client.force_login(week6["alice"])
    q = question("w6-cp02-quorum-for-n")
    response = _post_bad(client, q, {"attempt": "3", "answer": "2"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 409 and "not open" in response.content.decode()


def test_unknown_and_foreign_question_ids_are_404(week6, client) -> None:
    client.force_login(week6["alice"])
    assert client.post("/courses/ops3/week6/questions/no-such-question/answer/", {"attempt": "1"}).status_code == 404
    assert client.post("/courses/ops4/week6/questions/w6-cp02-quorum-for-n/answer/",
                       {"attempt": "1"}).status_code == 404
    assert client.get("/courses/ops3/week6/questions/w6-cp02-quorum-for-n/answer/").status_code == 405


def test_a_huge_request_body_is_a_400_not_a_500(week6, client, settings) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100_000
    client.force_login(week6["alice"])
    q = question("w6-cp02-quorum-for-n")
    response = _post_bad(client, q, {"attempt": "1", "answer": "9" * 200_000})
    assert response.status_code == 400
    many = {f"f{i}": "x" for i in range(1200)}
    assert _post_bad(client, q, {"attempt": "1", "answer": "2", **many}).status_code == 400


def test_when_grading_is_unavailable_no_attempt_is_used(week6, client, monkeypatch) -> None:
    from courseware import services
    from courseware.quiz import GradingUnavailable

    def unavailable(*args, **kwargs):
        raise GradingUnavailable("the cluster simulator is not available; try again later")

    monkeypatch.setattr(services, "grade", unavailable)
    client.force_login(week6["alice"])
    q = question("w6-cp02-quorum-for-n")
    response = _post_bad(client, q, {"attempt": "1", "answer": "2"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 503 and "No attempt was used" in response.content.decode()


# --- content rendering -----------------------------------------------------------------------------


def test_section_markdown_is_sanitised_and_figures_come_from_the_course(week6, client) -> None:
    from courseware.models import Section

    section = Section.objects.get(source_id="w6-quorum")
    section.body += ('\n<script>alert(1)</script>\n\n[x](javascript:alert(2)) <img src=x onerror=alert(3)>\n\n'
                     '![remote](https://evil.example/x.png)\n')
    section.save()
    client.force_login(week6["alice"])
    html = client.get(reverse("section-detail", args=["ops3", "week6", "w6-quorum"])).content.decode()
    assert "<script>alert" not in html and "onerror=" not in html.replace("&lt;", "<").split("<img src=x")[0]
    assert 'href="javascript:' not in html and "evil.example" not in html
    assert '<img src="/courses/ops3/week6/figures/split-brain.svg"' in html
    assert "<figcaption>Figure 3: Split brain scenario." in html


def test_figures_are_served_inert(week6, client) -> None:
    client.force_login(week6["alice"])
    response = client.get(reverse("module-figure", args=["ops3", "week6", "split-brain.svg"]))
    assert response["Content-Type"] == "image/svg+xml"
    assert "sandbox" in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert client.get(reverse("module-figure", args=["ops3", "week6", "nope.svg"])).status_code == 404
    assert client.get("/courses/ops3/week6/figures/..%2F..%2Fsettings.py").status_code == 404


def test_the_instructor_preview_shows_any_seed_with_its_answer_key(week6, client) -> None:
    client.force_login(week6["ingrid"])
    q = question("w6-cp02-quorum-for-n")
    for seed in (0, 1, 2**64 - 1):
        html = client.get(reverse("question-preview", args=["ops3", "week6", q.source_id]), {"seed": seed})
        values = evaluate(q.quiz().variant, seed)
        page = html.content.decode()
        assert f"has {values['nodes']} nodes" in page
        assert f"<code>q = {values['q']}</code>" in page
        assert "Answer key" in page and "Explanation" in page
    for bad in ("-1", "abc", str(2**64), "9" * 40):
        response = client.get(reverse("question-preview", args=["ops3", "week6", q.source_id]), {"seed": bad})
        assert response.status_code == 400


def test_a_simulator_crash_is_a_503_that_uses_no_attempt(week6, client, monkeypatch) -> None:
    from courseware import services

    def crash(*args, **kwargs):
        raise KeyError("pve9")

    monkeypatch.setattr(services, "grade", crash)
    client.force_login(week6["alice"])
    q = Question.objects.filter(type="simulator").select_related("checkpoint__section", "module__course").first()
    response = _post_bad(client, q, {"attempt": "1", "answer": "pvecm expected 1"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 503 and "No attempt was used" in response.content.decode()


def test_simulator_checked_answers_run_on_the_simulator(week6, client) -> None:
    if not SIMULATOR_READY:
        pytest.skip("the cluster simulator is not importable")
    alice = week6["alice"]
    client.force_login(alice)
    q = question("w6-cp04-sim-two-node")
    response = client.post(answer_url(q), form_for(q, "pvecm status"), HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "Incorrect" in response.content.decode()
    assert "console-output" in response.content.decode()  # what `pvecm status` printed
    response = client.post(answer_url(q), form_for(q, q.quiz().example_answer, attempt=2), HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "Correct" in response.content.decode()
