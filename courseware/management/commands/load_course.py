from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from courseware.authoring import course_load
from courseware.quiz import ContentError, load_course


class Command(BaseCommand):
    help = ("Validate a course content folder (course.yaml, sections/, checkpoints/, figures/, labs/) and upsert "
            "it by stable ids in one transaction. Any error names file:line and field, and nothing is loaded.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", help="the content folder, e.g. courseware/content/week6")
        parser.add_argument("--course", dest="course_slug", default=None,
                            help="course slug to load into (default: from course.yaml's id, ops3-week6 -> ops3)")

    def handle(self, *args, path: str, course_slug: str | None = None, **options) -> None:
        from grader.labs import LabError, load_labs
        from grader.services import lab_store

        folder = Path(path)
        if not (folder / "course.yaml").is_file():
            raise CommandError(f"{folder}: not a course folder (no course.yaml)")
        problems: list[str] = []
        content = None
        try:
            content = load_course(folder)
        except ContentError as exc:
            problems += [f"{folder / issue.file}:{issue.line}:{' ' + issue.field + ':' if issue.field else ''} "
                         f"{issue.message}" for issue in exc.issues]
        labs_folder = folder / "labs"
        specs = []
        if labs_folder.is_dir():
            try:
                specs = load_labs(labs_folder)
            except LabError as exc:
                problems += [f"{labs_folder}/{problem}" for problem in exc.problems]
        if problems:
            raise CommandError(f"{len(problems)} problem(s), nothing was loaded:\n" + "\n".join(problems))
        with transaction.atomic():
            report = course_load(folder, course_slug=course_slug, content=content)
            labs = [lab_store(module=report.module, spec=spec) for spec in specs]
        if options["verbosity"] >= 2:
            for change in report.changes:
                self.stdout.write(f"  {change}")
        module = report.module
        self.stdout.write(self.style.SUCCESS(f"Loaded {folder} into {module.course.slug} week {module.number}: "
                                             f"{report.summary}; {len(labs)} lab(s)."))
