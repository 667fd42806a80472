from django.contrib import admin

from grader.models import Ping, WorkerHeartbeat


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ["hostname", "pid", "started_at", "last_seen", "stopped_at"]


@admin.register(Ping)
class PingAdmin(admin.ModelAdmin):
    list_display = ["pk", "status", "requested_by", "claims", "completions", "worker", "created_at", "finished_at"]
    list_filter = ["status"]
