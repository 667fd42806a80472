"""The named-check registry: `@check("area.fact-that-holds")` and `Outcome`.

A named check is a pure function `(state, **params) -> Outcome`. Its keyword
parameters (with type hints) are its contract: a rubric that names an unknown
check, leaves out a required parameter, passes an unknown one or a value of
the wrong type is an authoring error found when the lab is loaded
(`validate_params`), never a wrong grade at submission time.
"""

from __future__ import annotations

import inspect
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Outcome:
    """What a check found. `partial` (0..1) gives part of the item's points."""

    passed: bool
    message: str = ""
    partial: float | None = None

    @classmethod
    def ok(cls, message: str = "") -> Outcome:
        return cls(True, message)

    @classmethod
    def fail(cls, message: str, partial: float | None = None) -> Outcome:
        return cls(False, message, partial)

    @classmethod
    def part(cls, done: int, total: int, message: str) -> Outcome:
        """`done` of `total` parts hold: full pass when all do, else partial credit."""
        if total and done >= total:
            return cls(True, message)
        return cls(False, message, (done / total) if total else 0.0)

    @property
    def credit(self) -> float:
        """Fraction of the item's points earned."""
        if self.partial is not None:
            return min(1.0, max(0.0, float(self.partial)))
        return 1.0 if self.passed else 0.0


CheckFn = Callable[..., Outcome]


@dataclass(frozen=True)
class CheckSpec:
    id: str
    fn: CheckFn
    doc: str
    params: dict[str, inspect.Parameter]
    hints: dict[str, Any]

    def __call__(self, state: Any, **params: Any) -> Outcome:
        return self.fn(state, **params)


REGISTRY: dict[str, CheckSpec] = {}

CONTEXT_PARAMS = ("user", "window_start", "window_end")
"""Filled by the grader from the submission (the student's PVE user, the lab window in epoch
seconds) when a check declares them; a rubric may still set them explicitly."""


def check(check_id: str) -> Callable[[CheckFn], CheckFn]:
    """Register a named check under `check_id` (`area.fact-that-holds`)."""

    def register(fn: CheckFn) -> CheckFn:
        if check_id in REGISTRY:
            raise ValueError(f"named check '{check_id}' registered twice")
        signature = inspect.signature(fn)
        params = {name: p for name, p in list(signature.parameters.items())[1:]}
        hints = typing.get_type_hints(fn)
        REGISTRY[check_id] = CheckSpec(check_id, fn, inspect.getdoc(fn) or "", params, hints)
        return fn

    return register


def get(check_id: str) -> CheckSpec:
    _load_areas()
    try:
        return REGISTRY[check_id]
    except KeyError:
        raise KeyError(f"unknown check '{check_id}'") from None


def all_checks() -> dict[str, CheckSpec]:
    _load_areas()
    return dict(sorted(REGISTRY.items()))


def validate_params(check_id: str, params: dict[str, Any]) -> list[str]:
    """Problems with `params` for `check_id` (empty when they fit its signature)."""
    _load_areas()
    spec = REGISTRY.get(check_id)
    if spec is None:
        known = ", ".join(sorted(REGISTRY))
        return [f"unknown check '{check_id}' (known checks: {known})"]
    problems = []
    for name in params:
        if name not in spec.params:
            problems.append(f"check '{check_id}' has no parameter '{name}' "
                            f"(parameters: {', '.join(spec.params) or 'none'})")
    for name, param in spec.params.items():
        if name not in params:
            if param.default is inspect.Parameter.empty and name not in CONTEXT_PARAMS:
                problems.append(f"check '{check_id}' needs parameter '{name}'")
            continue
        expected = spec.hints.get(name)
        if expected is not None and not _fits(params[name], expected):
            problems.append(f"parameter '{name}' of check '{check_id}' must be {_type_name(expected)}, "
                            f"got {params[name]!r}")
    return problems


def _fits(value: Any, hint: Any) -> bool:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_fits(value, arg) for arg in typing.get_args(hint))
    if hint is type(None):
        return value is None
    if hint is Any:
        return True
    if origin is list:
        (inner,) = typing.get_args(hint) or (Any,)
        return isinstance(value, list) and all(_fits(v, inner) for v in value)
    if origin is dict:
        return isinstance(value, dict)
    if hint is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(hint, type):
        return isinstance(value, hint)
    return True


def _type_name(hint: Any) -> str:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_name(a) for a in typing.get_args(hint))
    if origin is list:
        (inner,) = typing.get_args(hint) or (Any,)
        return f"a list of {_type_name(inner)}"
    if hint is type(None):
        return "null"
    return {str: "a string", int: "an integer", float: "a number", bool: "true or false"}.get(
        hint, getattr(hint, "__name__", str(hint)))


_AREAS = ("cluster", "quorum", "node", "ha", "guest", "migration", "task")
_loaded = False


def _load_areas() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    import importlib

    for area in _AREAS:
        importlib.import_module(f"grader.checks.{area}")
