from django.urls import path

from grader import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("ops/worker-check/", views.worker_check, name="worker-check"),
    path("ops/worker-check/<int:ping_id>/", views.worker_check_detail, name="worker-check-detail"),
    path("courses/<slug:slug>/labs/", views.lab_list, name="lab-list"),
    path("courses/<slug:slug>/labs/dashboard/", views.lab_dashboards, name="lab-dashboards"),
    path("courses/<slug:slug>/labs/<slug:lab_slug>/", views.lab_workspace, name="lab-workspace"),
    path("courses/<slug:slug>/labs/<slug:lab_slug>/start", views.lab_start, name="lab-start"),
    path("courses/<slug:slug>/labs/<slug:lab_slug>/reset", views.lab_reset, name="lab-reset"),
    path("courses/<slug:slug>/labs/<slug:lab_slug>/console", views.lab_console, name="lab-console"),
    path("courses/<slug:slug>/labs/<slug:lab_slug>/picture", views.lab_picture, name="lab-picture"),
    path("courses/<slug:slug>/labs/<slug:lab_slug>/submit", views.lab_submit, name="lab-submit"),
    path("courses/<slug:slug>/labs/<slug:lab_slug>/dashboard/", views.lab_dashboard, name="lab-dashboard"),
    path("courses/<slug:slug>/labs/<slug:lab_slug>/students/<str:username>/", views.student_environment,
         name="student-environment"),
    path("courses/<slug:slug>/labs/<slug:lab_slug>/speed", views.lab_speed, name="lab-speed"),
    path("courses/<slug:slug>/labs/<slug:lab_slug>/regrade", views.lab_regrade_all, name="lab-regrade-all"),
    path("courses/<slug:slug>/submissions/<int:submission_id>/", views.submission_report,
         name="submission-report"),
    path("courses/<slug:slug>/submissions/<int:submission_id>/regrade", views.submission_regrade,
         name="submission-regrade"),
    path("courses/<slug:slug>/runs/<int:run_id>/evidence/", views.run_evidence, name="run-evidence"),
    path("courses/<slug:slug>/targets/", views.target_list, name="target-list"),
    path("courses/<slug:slug>/targets/<int:target_id>/", views.target_detail, name="target-detail"),
]
