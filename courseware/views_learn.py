"""Student pages: sections with their checkpoint, answering in place (htmx or a plain POST), progress.

Thin views: authenticate, call one selector or service, render.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from courseware import selectors
from courseware.forms import AnswerFormError, answer_attempt, answer_payload
from courseware.models import Answer, Figure
from courseware.permissions import course_get_for
from courseware.services import AnswerRejected, answer_submit

FIGURE_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox"


def figure_base(course_slug: str, module_slug: str) -> str:
    return reverse("module-figure", args=[course_slug, module_slug, "x"])[:-1]


@login_required
@require_GET
def section_list(request: HttpRequest, slug: str) -> HttpResponse:
    access = course_get_for(request.user, slug)
    request.course_access = access
    weeks = [(m, selectors.progress_for(request.user, m)) for m in access.course.modules.all()]
    return render(request, "courseware/sections.html", {"course": access.course, "weeks": weeks})


@login_required
@require_GET
def section_detail(request: HttpRequest, slug: str, module_slug: str, section_id: str) -> HttpResponse:
    access, section = selectors.section_get_for(request.user, slug, module_slug, section_id)
    request.course_access = access
    checkpoint = getattr(section, "checkpoint", None)
    states = selectors.checkpoint_states(request.user, checkpoint) if checkpoint and not checkpoint.retired else []
    siblings = list(section.module.sections.filter(retired=False).only("source_id", "title", "number", "order"))
    at = next(n for n, s in enumerate(siblings) if s.pk == section.pk)
    return render(request, "courseware/section.html", {
        "course": access.course, "access": access, "module": section.module, "section": section,
        "checkpoint": checkpoint if states else None, "states": states,
        "figure_base": figure_base(slug, module_slug),
        "previous": siblings[at - 1] if at > 0 else None,
        "next": siblings[at + 1] if at + 1 < len(siblings) else None,
    })


@login_required
@require_POST
def question_answer(request: HttpRequest, slug: str, module_slug: str, question_id: str) -> HttpResponse:
    access, question = selectors.question_get_for(request.user, slug, module_slug, question_id)
    request.course_access = access
    error, status = "", 200
    try:
        state = selectors.question_state(request.user, question)
        answer_submit(student=request.user, question=question, attempt=answer_attempt(request.POST),
                      payload=answer_payload(state.view, request.POST))
    except AnswerFormError as exc:
        error, status = f"Answer not accepted: {exc}.", 400
    except AnswerRejected as exc:
        error, status = exc.message, exc.status
    anchor = reverse("section-detail", args=[slug, module_slug, question.checkpoint.section.source_id])
    if not request.htmx:
        if status in (200, 409):  # recorded, or recorded before (a double submit): show the section
            if error:
                messages.info(request, error)
            return redirect(f"{anchor}#q-{question.source_id}", permanent=False)
        return render(request, "courseware/answer_rejected.html", {
            "course": access.course, "message": error, "back": f"{anchor}#q-{question.source_id}"}, status=status)
    state = selectors.question_state(request.user, question)
    return render(request, "courseware/_question.html", {
        "state": state, "course": access.course, "access": access, "module": question.module, "error": error,
        "figure_base": figure_base(slug, module_slug), "number": question.position + 1, "focus_result": True,
    }, status=status)


@login_required
@require_GET
def module_figure(request: HttpRequest, slug: str, module_slug: str, name: str) -> HttpResponse:
    _, module = selectors.module_get_for(request.user, slug, module_slug)
    figure = Figure.objects.filter(module=module, name=name).first()
    if figure is None:
        return render(request, "error.html", {"title": "Not found", "message": "No such figure."}, status=404)
    inline = figure.media_type.startswith("image/")
    media_type = figure.media_type if inline else "application/octet-stream"
    response = HttpResponse(bytes(figure.data), content_type=media_type)
    response["Content-Security-Policy"] = FIGURE_CSP
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    if not inline:
        response["Content-Disposition"] = "attachment"
    return response


@login_required
@require_GET
def my_progress(request: HttpRequest, slug: str) -> HttpResponse:
    access = course_get_for(request.user, slug)
    request.course_access = access
    weeks = [(m, selectors.progress_for(request.user, m)) for m in access.course.modules.all()]
    answers = (Answer.objects.filter(student=request.user, question__module__course=access.course)
               .select_related("question__checkpoint__section", "question__module").order_by("-submitted_at"))
    total = sum(p.points for _, rows in weeks for p in rows)
    total_max = sum(p.max_points for _, rows in weeks for p in rows)
    return render(request, "courseware/progress.html", {
        "course": access.course, "weeks": weeks, "answers": answers[:200], "total": round(total, 2),
        "total_max": round(total_max, 2)})
