"""manage.py load_labs COURSE MODULE [FOLDER]: upsert a week's labs from their folders."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from courseware.models import Module
from grader import services

DEFAULT = Path(__file__).resolve().parents[3] / "courseware" / "content" / "week6" / "labs"


class Command(BaseCommand):
    help = "Validate every lab folder, then store them all as labs of one course week (idempotent)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("course", help="course slug, e.g. ops3")
        parser.add_argument("module", help="week slug, e.g. week6")
        parser.add_argument("folder", nargs="?", default=str(DEFAULT), help="folder holding <lab>/lab.yaml")

    def handle(self, *args, course: str, module: str, folder: str, **options) -> None:
        from grader.labs import LabError

        week = Module.objects.filter(course__slug=course, slug=module).first()
        if week is None:
            raise CommandError(f"no week '{module}' in course '{course}'")
        if not Path(folder).is_dir():
            raise CommandError(f"{folder}: not a folder")
        try:
            labs = services.labs_load(module=week, folder=folder)
        except LabError as exc:
            raise CommandError("labs not loaded:\n" + "\n".join(exc.problems)) from None
        for lab in labs:
            self.stdout.write(f"{lab.slug}: {lab.title}")
        self.stdout.write(self.style.SUCCESS(f"{len(labs)} lab(s) loaded into {course}/{module}"))
