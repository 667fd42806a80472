"""`manage.py check_labs [FOLDER] [--lab ID]`: the rubric self-test for every lab (grader/selftest.py)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from grader import selftest
from grader.labs import LabError


class Command(BaseCommand):
    help = ("For every lab: the solution scores full marks, the initial state scores zero on every graded "
            "item, each mutant fails exactly the item it names. Exits non-zero on any failure.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("folder", nargs="?", default=str(selftest.DEFAULT_LABS),
                            help="folder holding the lab folders (default: the week 6 labs)")
        parser.add_argument("--lab", action="append", dest="labs", help="only this lab id (repeatable)")

    def handle(self, *args, folder: str, labs: list[str] | None, **options) -> None:
        try:
            cases = selftest.run(folder, only=labs)
        except LabError as exc:
            raise CommandError(f"labs do not load:\n{exc}") from None
        except FileNotFoundError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(selftest.table(cases))
        summary = selftest.summary(cases)
        if not cases:
            raise CommandError("no labs found")
        if summary["failed"]:
            raise CommandError(f"{summary['failed']} of {summary['cases']} self-test cases failed")
        self.stdout.write(self.style.SUCCESS(f"all {summary['cases']} self-test cases pass"))
