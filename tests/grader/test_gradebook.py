"""The Grades page: checkpoints and labs of the week, for the student who asks, and no one else."""

from __future__ import annotations

from django.core.management import call_command

from courseware.models import Question
from courseware.quiz.grading import answer_key
from courseware.quiz.variants import make_seed
from courseware.services import answer_submit


def _load_week6(db) -> None:
    call_command("load_course", "courseware/content/week6", verbosity=0)


def _answer_correctly(student, question: Question) -> None:
    payload = answer_key(question.quiz(), make_seed(student.pk, question.source_id, 1))
    answer_submit(student=student, question=question, attempt=1, payload=payload)


def _grade_lab_one(student, ops3) -> None:
    from grader_labkit import typed_solution

    from grader import services
    from grader.labs import load_lab
    from grader.models import GradingRun, Lab

    lab = Lab.objects.get(module__course=ops3, slug="build-cluster")
    spec = load_lab("courseware/content/week6/labs/build-cluster")
    environment = services.environment_start(user=student, lab=lab)
    for line in typed_solution(spec):
        services.environment_run(environment=environment, line=line)
    submission = services.submission_create(user=student, lab=lab)
    services.run_grade(GradingRun.objects.get(submission=submission).pk, worker="inline@test")


def test_the_grades_page_lists_every_checkpoint_and_lab_of_the_week(client, personas):
    _load_week6(personas)
    client.force_login(personas["alice"])

    page = client.get("/courses/ops3/grades/").content.decode()

    assert page.count("Checkpoint") >= 8
    for title in ("Build a three-node cluster", "Live migration"):
        assert title.lower() in page.lower()
    assert "not submitted yet" in page


def test_a_correct_checkpoint_answer_shows_its_points_to_its_student_only(client, personas):
    _load_week6(personas)
    question = Question.objects.filter(type="single_choice", retired=False).order_by("pk").first()
    _answer_correctly(personas["alice"], question)

    client.force_login(personas["alice"])
    alice_page = client.get("/courses/ops3/grades/").content.decode()
    client.force_login(personas["bob"])
    bob_page = client.get("/courses/ops3/grades/").content.decode()

    assert "1 of " in alice_page and "1 of " not in bob_page


def test_a_graded_lab_shows_its_score_with_a_link_to_the_report(client, personas):
    _load_week6(personas)
    _grade_lab_one(personas["alice"], personas["ops3"])
    client.force_login(personas["alice"])

    page = client.get("/courses/ops3/grades/").content.decode()

    assert "/courses/ops3/submissions/" in page
    assert "100%" in page


def test_outsiders_do_not_get_a_grades_page(client, personas):
    client.force_login(personas["oscar"])

    assert client.get("/courses/ops3/grades/").status_code == 404
