"""The JSON Schemas for editors are generated from the pydantic models and kept in the tree."""

from __future__ import annotations

import json
from pathlib import Path

from quiz_helpers import ROOT

from courseware.quiz.jsonschema import content_json_schemas, write_json_schemas

SCHEMAS = ROOT / "courseware" / "quiz" / "schemas"


def test_committed_schemas_match_the_models() -> None:
    """If this fails: python -m courseware.quiz.jsonschema courseware/quiz/schemas"""
    for name, schema in content_json_schemas().items():
        committed = json.loads((SCHEMAS / name).read_text(encoding="utf-8"))
        assert committed == json.loads(json.dumps(schema)), name


def test_schemas_forbid_unknown_keys_and_know_every_question_type() -> None:
    checkpoint = content_json_schemas()["checkpoint.schema.json"]
    assert checkpoint["additionalProperties"] is False
    text = json.dumps(checkpoint)
    for qtype in ("single_choice", "multiple_choice", "numeric", "short_text", "ordering", "matching",
                  "reflection", "simulator"):
        assert f'"const": "{qtype}"' in text or f'"{qtype}"' in text


def test_write_json_schemas(tmp_path: Path) -> None:
    written = write_json_schemas(tmp_path)
    assert sorted(p.name for p in written) == sorted(content_json_schemas())


def test_content_files_point_editors_at_the_schemas() -> None:
    content = ROOT / "courseware" / "content" / "week6"
    for path in [content / "course.yaml", *sorted((content / "checkpoints").glob("*.yaml"))]:
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith("# yaml-language-server: $schema="), path.name
        target = (path.parent / first.split("=", 1)[1]).resolve()
        assert target.is_file(), (path.name, target)
