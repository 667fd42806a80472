from django.apps import AppConfig


class CoursewareConfig(AppConfig):
    name = "courseware"
    verbose_name = "Courseware"
    default_auto_field = "django.db.models.BigAutoField"
