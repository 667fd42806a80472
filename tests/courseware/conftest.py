"""Courseware tests are pure: they need no database and also run with `-p no:django`.

Without pytest-django nothing puts the project root on sys.path (and tests/
would shadow the `courseware` and `simulator` packages), so put it first here.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path[:1]:
    sys.path.insert(0, str(ROOT))

import pytest  # noqa: E402

from courseware.quiz import Course, load_course  # noqa: E402


@pytest.fixture(scope="session")
def course() -> Course:
    return load_course(ROOT / "courseware" / "content" / "week6")
