from django.apps import AppConfig


class GraderConfig(AppConfig):
    name = "grader"
    verbose_name = "Grader"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from grader import system_checks  # noqa: F401  (registers system checks)

        self._add_navigation()
        self._add_gradebook_source()

    @staticmethod
    def _add_gradebook_source() -> None:
        from courseware.gradebook import GRADE_SOURCES
        from grader.selectors import lab_grade_rows

        if lab_grade_rows not in GRADE_SOURCES:
            GRADE_SOURCES.append(lab_grade_rows)

    @staticmethod
    def _add_navigation() -> None:
        from courseware.context import COURSE_NAV

        for entry in [("Labs", "lab-list", False), ("Lab dashboard", "lab-dashboards", True)]:
            if entry not in COURSE_NAV:
                COURSE_NAV.append(entry)
