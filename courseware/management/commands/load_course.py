from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from courseware.authoring import course_load
from courseware.quiz import ContentError


class Command(BaseCommand):
    help = ("Validate a course content folder (course.yaml, sections/, checkpoints/, figures/) and upsert it "
            "by stable ids in one transaction. Any error names file:line and field, and nothing is loaded.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", help="the content folder, e.g. courseware/content/week6")
        parser.add_argument("--course", dest="course_slug", default=None,
                            help="course slug to load into (default: from course.yaml's id, ops3-week6 -> ops3)")

    def handle(self, *args, path: str, course_slug: str | None = None, **options) -> None:
        folder = Path(path)
        if not (folder / "course.yaml").is_file():
            raise CommandError(f"{folder}: not a course folder (no course.yaml)")
        try:
            report = course_load(folder, course_slug=course_slug)
        except ContentError as exc:
            lines = [f"{folder / issue.file}:{issue.line}:{' ' + issue.field + ':' if issue.field else ''} "
                     f"{issue.message}" for issue in exc.issues]
            raise CommandError(f"{len(lines)} problem(s), nothing was loaded:\n" + "\n".join(lines)) from None
        if options["verbosity"] >= 2:
            for change in report.changes:
                self.stdout.write(f"  {change}")
        module = report.module
        self.stdout.write(self.style.SUCCESS(f"Loaded {folder} into {module.course.slug} week {module.number}: "
                                             f"{report.summary}."))
