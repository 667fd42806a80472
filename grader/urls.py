from django.urls import path

from grader import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("ops/worker-check/", views.worker_check, name="worker-check"),
    path("ops/worker-check/<int:ping_id>/", views.worker_check_detail, name="worker-check-detail"),
]
