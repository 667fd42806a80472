from django.core.management.base import BaseCommand

from courseware.quiz.jsonschema import write_json_schemas


class Command(BaseCommand):
    help = ("Write the JSON Schemas of the content files (course.yaml, section front matter, checkpoints) "
            "for editors such as VS Code's YAML extension.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("outdir", nargs="?", default="courseware/quiz/schemas",
                            help="folder to write (default: courseware/quiz/schemas, where the content files point)")

    def handle(self, *args, outdir: str, **options) -> None:
        for path in write_json_schemas(outdir):
            self.stdout.write(str(path))
