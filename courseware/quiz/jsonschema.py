"""JSON Schemas of the content files, for editors (VS Code's YAML extension, etc.).

    python -m courseware.quiz.jsonschema OUTDIR

writes course.schema.json, section-front-matter.schema.json and
checkpoint.schema.json. A checkpoint file can then start with
`# yaml-language-server: $schema=../../schemas/checkpoint.schema.json`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from .schema import CheckpointFile, CourseFile, SectionFront

SCHEMAS = {
    "course.schema.json": CourseFile,
    "section-front-matter.schema.json": SectionFront,
    "checkpoint.schema.json": CheckpointFile,
}


def content_json_schemas() -> dict[str, dict[str, Any]]:
    out = {}
    for name, model in SCHEMAS.items():
        schema = model.model_json_schema()
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["$id"] = name
        out[name] = schema
    return out


def write_json_schemas(folder: str | Path) -> list[Path]:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in content_json_schemas().items():
        path = folder / name
        path.write_text(json.dumps(schema, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":  # pragma: no cover
    for p in write_json_schemas(sys.argv[1] if len(sys.argv) > 1 else "."):
        print(p)
