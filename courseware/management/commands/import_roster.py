from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from courseware.models import Course
from courseware.roster import RosterError, roster_import


class Command(BaseCommand):
    help = "Import a roster CSV (username,email,full name,role) into a course. Nothing is deleted."

    def add_arguments(self, parser) -> None:
        parser.add_argument("course", help="course slug, e.g. ops3")
        parser.add_argument("csv", type=Path, help="path to the roster CSV")

    def handle(self, *args, course: str, csv: Path, **options) -> None:
        target = Course.objects.filter(slug=course).first()
        if target is None:
            raise CommandError(f"no course with slug {course!r} (known: "
                               f"{', '.join(Course.objects.values_list('slug', flat=True)) or 'none'})")
        try:
            data = csv.read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {csv}: {exc.strerror}") from exc
        try:
            result = roster_import(target, data)
        except RosterError as exc:
            raise CommandError(f"{csv}: nothing imported:\n  " + "\n  ".join(exc.problems)) from exc
        self.stdout.write(self.style.SUCCESS(f"{csv}: {result.summary}"))
