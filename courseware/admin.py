from __future__ import annotations

from django import forms
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from pydantic import ValidationError as PydanticError

from courseware.models import (
    Answer,
    Checkpoint,
    Course,
    Figure,
    Membership,
    Module,
    ModuleContent,
    Question,
    QuestionProgress,
    ReflectionComment,
    Section,
)
from courseware.models.content import question_validate
from courseware.quiz.loader import check_question
from courseware.quiz.schema import CheckpointFile


class ModuleInline(admin.TabularInline):
    model = Module
    extra = 0


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = ["slug", "code", "title"]
    inlines = [ModuleInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "course", "role"]
    list_filter = ["course", "role"]
    search_fields = ["user__username", "user__email"]


# --- content: the same rows load_course writes and export_course reads ------------------------------


def _pydantic_messages(exc: PydanticError) -> list[str]:
    return [f"{'.'.join(str(p) for p in e['loc']) or 'question'}: {e['msg']}" for e in exc.errors(include_url=False)]


@admin.register(ModuleContent)
class ModuleContentAdmin(admin.ModelAdmin):
    list_display = ["source_id", "module", "title"]


@admin.register(Section)
class SectionAdmin(admin.ModelAdmin):
    list_display = ["title", "number", "order", "source_id", "module", "retired", "preview"]
    list_filter = ["module", "retired"]
    search_fields = ["title", "source_id", "body"]
    readonly_fields = ["source_id"]

    @admin.display(description="Preview")
    def preview(self, obj: Section) -> str:
        return format_html('<a href="{}">open</a>', self.view_on_site(obj))

    def view_on_site(self, obj: Section) -> str:
        return reverse("section-detail", args=[obj.module.course.slug, obj.module.slug, obj.source_id])


@admin.register(Figure)
class FigureAdmin(admin.ModelAdmin):
    list_display = ["name", "module", "media_type", "preview"]
    readonly_fields = ["name", "media_type"]

    @admin.display(description="Preview")
    def preview(self, obj: Figure) -> str:
        url = reverse("module-figure", args=[obj.module.course.slug, obj.module.slug, obj.name])
        return format_html('<a href="{}">open</a>', url)


class QuestionForm(forms.ModelForm):
    class Meta:
        model = Question
        fields = ["checkpoint", "source_id", "position", "data", "retired"]

    def clean(self) -> dict:
        cleaned = super().clean()
        data = cleaned.get("data")
        if not isinstance(data, dict):
            raise forms.ValidationError("The question must be a JSON object, as in its checkpoint file.")
        data = {k: v for k, v in data.items() if k != "retired"}
        if cleaned.get("source_id") and data.get("id") != cleaned["source_id"]:
            raise forms.ValidationError(f"The JSON's id must be the stable id '{cleaned['source_id']}'.")
        try:
            quiz = question_validate(data)
        except PydanticError as exc:
            raise forms.ValidationError(_pydantic_messages(exc)) from None
        problems = check_question(quiz)
        if problems:
            raise forms.ValidationError([f"{field or 'question'}: {msg}" for field, msg in problems])
        cleaned["data"] = data
        self.instance.type = quiz.type
        return cleaned


class QuestionInline(admin.TabularInline):
    model = Question
    fields = ["position", "source_id", "type", "retired", "preview"]
    readonly_fields = ["source_id", "type", "preview"]
    extra = 0
    max_num = 0  # questions are added on their own page, where their JSON is validated
    can_delete = False
    show_change_link = True

    @admin.display(description="Preview")
    def preview(self, obj: Question) -> str:
        return _preview_link(obj)


def _preview_link(obj: Question) -> str:
    if not obj.pk:
        return "-"
    url = reverse("question-preview", args=[obj.module.course.slug, obj.module.slug, obj.source_id])
    return format_html('<a href="{}">preview any seed</a>', url)


class CheckpointForm(forms.ModelForm):
    class Meta:
        model = Checkpoint
        fields = ["module", "section", "source_id", "filename", "title", "attempts", "feedback",
                  "points_per_attempt", "due", "late_credit", "retired"]

    def clean(self) -> dict:
        cleaned = super().clean()
        if self.errors or not self.instance.pk:
            return cleaned
        policy = {k: cleaned.get(k) for k in ("attempts", "feedback", "points_per_attempt", "due", "late_credit")}
        spec = {**self.instance.spec_dict(), **{k: v for k, v in policy.items() if v is not None}}
        if policy["attempts"] is None:
            spec.pop("attempts", None)
        try:
            CheckpointFile.model_validate(spec)
        except PydanticError as exc:
            raise forms.ValidationError(_pydantic_messages(exc)) from None
        return cleaned


@admin.register(Checkpoint)
class CheckpointAdmin(admin.ModelAdmin):
    form = CheckpointForm
    list_display = ["title", "source_id", "module", "feedback", "attempts", "due", "retired", "statistics"]
    list_filter = ["module", "feedback", "retired"]
    inlines = [QuestionInline]

    @admin.display(description="Statistics")
    def statistics(self, obj: Checkpoint) -> str:
        url = reverse("checkpoint-stats", args=[obj.module.course.slug, obj.module.slug, obj.source_id])
        return format_html('<a href="{}">item statistics</a>', url)

    def view_on_site(self, obj: Checkpoint) -> str:
        return reverse("section-detail", args=[obj.module.course.slug, obj.module.slug, obj.section.source_id])


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    form = QuestionForm
    list_display = ["source_id", "type", "checkpoint", "position", "retired", "preview"]
    list_filter = ["checkpoint__module", "checkpoint", "type", "retired"]
    search_fields = ["source_id"]
    readonly_fields = ["type", "preview"]

    @admin.display(description="Preview")
    def preview(self, obj: Question) -> str:
        return _preview_link(obj)

    def view_on_site(self, obj: Question) -> str:
        return reverse("question-preview", args=[obj.module.course.slug, obj.module.slug, obj.source_id])

    def save_model(self, request, obj: Question, form, change: bool) -> None:
        obj.module = obj.checkpoint.module
        super().save_model(request, obj, form, change)

    def has_delete_permission(self, request, obj: Question | None = None) -> bool:
        # Answered questions are retired, never deleted (the database refuses too: PROTECT).
        return super().has_delete_permission(request, obj) and (obj is None or not obj.answers.exists())


# --- what students did: read-only -------------------------------------------------------------------


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Answer)
class AnswerAdmin(ReadOnlyAdmin):
    list_display = ["student", "question", "attempt", "status", "correct", "points", "late", "submitted_at"]
    list_filter = ["question__checkpoint", "status", "late"]
    search_fields = ["student__username", "question__source_id"]


@admin.register(QuestionProgress)
class QuestionProgressAdmin(ReadOnlyAdmin):
    list_display = ["student", "question", "attempts_used", "points", "correct"]
    list_filter = ["question__checkpoint"]
    search_fields = ["student__username", "question__source_id"]


@admin.register(ReflectionComment)
class ReflectionCommentAdmin(admin.ModelAdmin):
    list_display = ["answer", "author", "created_at"]
    search_fields = ["answer__student__username", "text"]
