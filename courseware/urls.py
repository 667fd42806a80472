from django.urls import path

from courseware import views

urlpatterns = [
    path("", views.home, name="home"),
    path("courses/<slug:slug>/", views.course_home, name="course-home"),
    path("courses/<slug:slug>/grades/", views.course_grades, name="course-grades"),
    path("courses/<slug:slug>/instructor/roster/", views.course_roster, name="course-roster"),
]
