from django.apps import AppConfig


class GraderConfig(AppConfig):
    name = "grader"
    verbose_name = "Grader"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from grader import checks  # noqa: F401  (registers system checks)
