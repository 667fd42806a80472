"""Course staff pages: checkpoint list, item statistics, question preview for any seed, reflections.

Every view starts with `course_get_for(user, slug, staff=True)` (404 outsiders, 403 students).
Answer pages are shared: a student sees their own answers, staff every answer of the course.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from courseware import selectors, stats
from courseware.forms import CommentForm
from courseware.models import Checkpoint
from courseware.permissions import course_get_for
from courseware.quiz import answer_key, public_view
from courseware.quiz.grading import solution_text
from courseware.quiz.variants import evaluate
from courseware.quiz.variants import render as render_template
from courseware.services import AnswerRejected, reflection_comment_create
from courseware.views_learn import figure_base

MAX_SEED = 2**64 - 1


@login_required
@require_GET
def checkpoint_list(request: HttpRequest, slug: str) -> HttpResponse:
    access = course_get_for(request.user, slug, staff=True)
    request.course_access = access
    checkpoints = (Checkpoint.objects.filter(module__course=access.course)
                   .select_related("module", "section").prefetch_related("questions"))
    return render(request, "courseware/staff_checkpoints.html", {"course": access.course, "checkpoints": checkpoints})


@login_required
@require_GET
def checkpoint_statistics(request: HttpRequest, slug: str, module_slug: str, checkpoint_id: str) -> HttpResponse:
    access, checkpoint = selectors.checkpoint_get_for(request.user, slug, module_slug, checkpoint_id, staff=True)
    request.course_access = access
    return render(request, "courseware/staff_stats.html", {
        "course": access.course, "checkpoint": checkpoint, "module": checkpoint.module,
        "items": stats.checkpoint_stats(checkpoint), "top_share": round(stats.TOP_SHARE * 100)})


@login_required
@require_GET
def checkpoint_reflections(request: HttpRequest, slug: str, module_slug: str, checkpoint_id: str) -> HttpResponse:
    access, checkpoint = selectors.checkpoint_get_for(request.user, slug, module_slug, checkpoint_id, staff=True)
    request.course_access = access
    return render(request, "courseware/staff_reflections.html", {
        "course": access.course, "checkpoint": checkpoint, "module": checkpoint.module,
        "answers": selectors.reflections_for(checkpoint), "form": CommentForm()})


def _seed(raw: str) -> int | None:
    raw = raw.strip()
    if not raw:
        return 0
    if not raw.isdigit() or len(raw) > 20 or int(raw) > MAX_SEED:
        return None
    return int(raw)


@login_required
@require_GET
def question_preview(request: HttpRequest, slug: str, module_slug: str, question_id: str) -> HttpResponse:
    access, question = selectors.question_get_for(request.user, slug, module_slug, question_id, staff=True)
    request.course_access = access
    seed = _seed(request.GET.get("seed", ""))
    if seed is None:
        return render(request, "error.html", {"title": "Bad seed",
                      "message": f"A seed is a whole number from 0 to {MAX_SEED}."}, status=400)
    quiz = question.quiz()
    values = evaluate(quiz.variant, seed)
    return render(request, "courseware/staff_preview.html", {
        "course": access.course, "module": question.module, "question": question, "seed": seed,
        "view": public_view(quiz, seed), "values": values, "key": answer_key(quiz, seed),
        "solution": solution_text(quiz, values), "explanation": render_template(quiz.explanation, values),
        "figure_base": figure_base(slug, module_slug), "next_seed": (seed + 1) % (MAX_SEED + 1)})


@login_required
@require_http_methods(["GET", "POST"])
def answer_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    access, answer = selectors.answer_get_for(request.user, slug, pk)
    request.course_access = access
    form, status = CommentForm(), 200
    if request.method == "POST":
        if not access.is_staff:
            return render(request, "error.html", {"title": "Not allowed",
                          "message": "Only the course's staff can comment on answers."}, status=403)
        form = CommentForm(request.POST)
        if form.is_valid():
            try:
                reflection_comment_create(author=request.user, answer=answer, text=form.cleaned_data["text"])
            except AnswerRejected as exc:
                form.add_error("text", exc.message)
            else:
                messages.success(request, "Comment saved.")
                return redirect(request.POST.get("next") if _safe_next(request) else request.path)
        status = 400
    question = answer.question
    state = selectors.question_state(answer.student, question)
    return render(request, "courseware/answer.html", {
        "course": access.course, "access": access, "answer": answer, "question": question,
        "view": public_view(question.quiz(), int(answer.seed)),
        "show_result": access.is_staff or state.show_result,
        "show_solution": access.is_staff or state.show_solution,
        "figure_base": figure_base(slug, question.module.slug), "form": form,
        "comments": answer.comments.select_related("author")}, status=status)


def _safe_next(request: HttpRequest) -> bool:
    target = request.POST.get("next", "")
    return target.startswith(f"/courses/{request.course_access.course.slug}/") and "//" not in target
