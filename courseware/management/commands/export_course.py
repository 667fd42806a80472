from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from courseware.authoring import course_export
from courseware.models import Module


class Command(BaseCommand):
    help = "Write a course week from the database back to a content folder that load_course loads again."

    def add_arguments(self, parser) -> None:
        parser.add_argument("slug", help="course slug, e.g. ops3")
        parser.add_argument("outdir", help="folder to write (created if missing)")
        parser.add_argument("--week", type=int, default=None, help="week number (default: the only loaded week)")

    def handle(self, *args, slug: str, outdir: str, week: int | None = None, **options) -> None:
        modules = Module.objects.filter(course__slug=slug, content__isnull=False)
        if week is not None:
            modules = modules.filter(number=week)
        found = list(modules)
        if not found:
            raise CommandError(f"no loaded content for course '{slug}'" + (f" week {week}" if week else ""))
        if len(found) > 1:
            raise CommandError(f"course '{slug}' has several weeks; choose one with --week "
                               f"({', '.join(str(m.number) for m in found)})")
        out = Path(outdir)
        if out.exists() and any(out.iterdir()) and not (out / "course.yaml").is_file():
            raise CommandError(f"{out} is not empty and is not a course folder; refusing to write into it")
        written = course_export(found[0], out)
        self.stdout.write(self.style.SUCCESS(f"Wrote {len(written)} files to {out}."))
