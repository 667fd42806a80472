from django.contrib import admin

from grader.models import GradingRun, Lab, LabEnvironment, Ping, RealTarget, Submission, WorkerHeartbeat


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ["hostname", "pid", "started_at", "last_seen", "stopped_at"]


@admin.register(Ping)
class PingAdmin(admin.ModelAdmin):
    list_display = ["pk", "status", "requested_by", "claims", "completions", "worker", "created_at", "finished_at"]
    list_filter = ["status"]


@admin.register(Lab)
class LabAdmin(admin.ModelAdmin):
    list_display = ["title", "module", "slug", "max_attempts", "submit_interval_seconds", "due_at", "speed_factor"]
    list_filter = ["module__course"]
    search_fields = ["title", "slug"]


@admin.register(LabEnvironment)
class LabEnvironmentAdmin(admin.ModelAdmin):
    list_display = ["lab", "user", "version", "node", "speed_factor", "started_at", "updated_at"]
    list_filter = ["lab"]
    search_fields = ["user__username"]
    readonly_fields = ["state", "transcript"]


@admin.register(RealTarget)
class RealTargetAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "course", "host", "port", "token_id", "tls_mode", "preflight_at"]
    exclude = ["token_secret_encrypted"]  # never shown again, not even to the admin
    readonly_fields = ["preflight", "preflight_at"]


class GradingRunInline(admin.TabularInline):
    model = GradingRun
    fk_name = "submission"
    extra = 0
    fields = ["kind", "status", "tries", "claims", "completions", "worker", "queued_at", "graded_at", "score"]
    readonly_fields = fields


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    list_display = ["pk", "lab", "user", "attempt_number", "target_kind", "counts_as_attempt", "late", "created_at"]
    list_filter = ["lab", "target_kind"]
    search_fields = ["user__username"]
    exclude = ["snapshot"]
    inlines = [GradingRunInline]


@admin.register(GradingRun)
class GradingRunAdmin(admin.ModelAdmin):
    list_display = ["pk", "submission", "kind", "status", "tries", "claims", "completions", "worker", "queued_at"]
    list_filter = ["status", "kind"]
    exclude = ["evidence"]
