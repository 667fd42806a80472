"""Named checks: pure functions over the state document, one module per area.

`cluster`, `quorum`, `node`, `ha`, `guest`, `migration`, `task`; each check is
registered by id (`area.fact-that-holds`) with `@check` from `registry`. The
list with parameters is in docs/labs.md.
"""

from __future__ import annotations

from grader.checks.registry import Outcome, all_checks, check, get, validate_params

__all__ = ["Outcome", "all_checks", "check", "get", "validate_params"]
