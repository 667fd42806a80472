from django.urls import path

from courseware import views, views_learn, views_staff

urlpatterns = [
    path("", views.home, name="home"),
    path("courses/<slug:slug>/", views.course_home, name="course-home"),
    path("courses/<slug:slug>/grades/", views.course_grades, name="course-grades"),
    path("courses/<slug:slug>/instructor/roster/", views.course_roster, name="course-roster"),
    # sections, checkpoints, progress
    path("courses/<slug:slug>/sections/", views_learn.section_list, name="course-sections"),
    path("courses/<slug:slug>/progress/", views_learn.my_progress, name="course-progress"),
    path("courses/<slug:slug>/answers/<int:pk>/", views_staff.answer_detail, name="answer-detail"),
    path("courses/<slug:slug>/<slug:module_slug>/sections/<str:section_id>/", views_learn.section_detail,
         name="section-detail"),
    path("courses/<slug:slug>/<slug:module_slug>/questions/<str:question_id>/answer/", views_learn.question_answer,
         name="question-answer"),
    path("courses/<slug:slug>/<slug:module_slug>/figures/<str:name>", views_learn.module_figure,
         name="module-figure"),
    # course staff
    path("courses/<slug:slug>/instructor/checkpoints/", views_staff.checkpoint_list, name="staff-checkpoints"),
    path("courses/<slug:slug>/instructor/<slug:module_slug>/checkpoints/<str:checkpoint_id>/",
         views_staff.checkpoint_statistics, name="checkpoint-stats"),
    path("courses/<slug:slug>/instructor/<slug:module_slug>/checkpoints/<str:checkpoint_id>/reflections/",
         views_staff.checkpoint_reflections, name="checkpoint-reflections"),
    path("courses/<slug:slug>/instructor/<slug:module_slug>/questions/<str:question_id>/preview/",
         views_staff.question_preview, name="question-preview"),
]
