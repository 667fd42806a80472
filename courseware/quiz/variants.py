"""Seeded question variants: parameters drawn from (student, question, attempt), answers from pure functions.

A seed is derived with SHA-256, never Python's salted `hash()`, so a student
sees the same variant on every reload and on every server. Parameters are drawn
in sorted name order from one `random.Random(seed)`; derived values are then
computed in declaration order by functions registered here. Nothing in this
module touches the network, the clock or the database.
"""

from __future__ import annotations

import hashlib
import inspect
import random
import re
from collections.abc import Callable
from typing import Any

from .schema import Derived, ParamSpec, Variant

Value = int | float | str
FUNCTIONS: dict[str, Callable[..., Value]] = {}


class VariantError(ValueError):
    """A variant cannot be evaluated (unknown function, bad argument): an authoring error.

    `loc` is the path inside the question's `variant` mapping, for error lines.
    """

    def __init__(self, message: str, loc: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.loc = loc


def answer_function(name: str) -> Callable[[Callable[..., Value]], Callable[..., Value]]:
    def register(fn: Callable[..., Value]) -> Callable[..., Value]:
        FUNCTIONS[name] = fn
        return fn

    return register


def make_seed(student_id: int | str, question_id: str, attempt: int = 1) -> int:
    digest = hashlib.sha256(f"{student_id}\x1f{question_id}\x1f{attempt}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


# --- the registry of pure answer functions -----------------------------------------------------


@answer_function("quorum")
def quorum(expected_votes: int) -> int:
    """votequorum: floor(expected / 2) + 1."""
    return int(expected_votes) // 2 + 1


@answer_function("quorum_for_nodes")
def quorum_for_nodes(nodes: int, votes_per_node: int = 1, qdevice_votes: int = 0) -> int:
    return quorum(int(nodes) * int(votes_per_node) + int(qdevice_votes))


@answer_function("failures_tolerated")
def failures_tolerated(nodes: int, votes_per_node: int = 1, qdevice_votes: int = 0) -> int:
    """How many nodes may fail while the rest (plus a QDevice vote, if any) stay quorate."""
    expected = int(nodes) * int(votes_per_node) + int(qdevice_votes)
    spare = expected - quorum(expected)
    return min(int(nodes) - 1, spare // int(votes_per_node))


@answer_function("max_expected_for_quorum")
def max_expected_for_quorum(present_votes: int) -> int:
    """The largest `pvecm expected N` that still leaves `present_votes` quorate: 2p - 1."""
    return 2 * int(present_votes) - 1


@answer_function("sum")
def total(a: float, b: float, c: float = 0) -> float:
    return a + b + c


@answer_function("minimum")
def minimum(a: float, b: float) -> float:
    return min(a, b)


@answer_function("product")
def product(a: float, b: float) -> float:
    return a * b


@answer_function("fence_recovery_time")
def fence_recovery_time(last_renewal: int, lock_timeout: int = 120) -> int:
    """The CRM can take a dead node's agent lock once it expired: last renewal + 120 s."""
    return int(last_renewal) + int(lock_timeout)


@answer_function("watchdog_reset_time")
def watchdog_reset_time(last_feed: int, watchdog_timeout: int = 60) -> int:
    return int(last_feed) + int(watchdog_timeout)


@answer_function("ceph_replicas_left")
def ceph_replicas_left(size: int, hosts_down: int) -> int:
    """Replicas still up when each replica sits on its own host (failure domain host)."""
    return max(0, int(size) - int(hosts_down))


@answer_function("ceph_io_state")
def ceph_io_state(size: int, min_size: int, hosts_down: int) -> str:
    left = ceph_replicas_left(size, hosts_down)
    if left >= int(size):
        return "clean"
    return "degraded" if left >= int(min_size) else "blocked"


@answer_function("ceph_more_failures")
def ceph_more_failures(size: int, min_size: int, hosts_down: int) -> int:
    """Further host failures the pool absorbs before I/O stops."""
    return max(0, int(size) - int(hosts_down) - int(min_size))


@answer_function("ceph_usable")
def ceph_usable(raw: float, size: int) -> float:
    return round(float(raw) / int(size), 2)


@answer_function("percent_used")
def percent_used(used: float, total: float) -> float:
    """`pvesm status` prints used / total * 100 with two decimals."""
    return round(float(used) * 100.0 / float(total), 2)


@answer_function("gib_from_kib")
def gib_from_kib(kib: float) -> float:
    return round(float(kib) / 1024 / 1024, 2)


# --- evaluation ----------------------------------------------------------------------------------


def _draw(rng: random.Random, spec: ParamSpec) -> Value:
    if spec.choices is not None:
        return rng.choice(spec.choices)
    assert spec.range is not None
    lo, hi = spec.range
    return rng.randrange(lo, hi + 1, spec.step)


def _call(name: str, derived: Derived, values: dict[str, Value]) -> Value:
    fn = FUNCTIONS.get(derived.fn)
    if fn is None:
        raise VariantError(
            f"derived '{name}': unknown function '{derived.fn}' (known: {', '.join(sorted(FUNCTIONS))})",
            ("derived", name, "fn"),
        )
    kwargs: dict[str, Any] = {}
    for arg, raw in derived.args.items():
        if isinstance(raw, str) and raw.startswith("$"):
            ref = raw[1:]
            if ref not in values:
                raise VariantError(
                    f"derived '{name}': '{raw}' is not a param or earlier derived value", ("derived", name, "args", arg)
                )
            kwargs[arg] = values[ref]
        else:
            kwargs[arg] = raw
    try:
        inspect.signature(fn).bind(**kwargs)
    except TypeError as exc:
        raise VariantError(f"derived '{name}': {derived.fn}() {exc}", ("derived", name, "args")) from None
    try:
        return fn(**kwargs)
    except (ArithmeticError, ValueError, TypeError) as exc:
        raise VariantError(f"derived '{name}': {derived.fn}() failed: {exc}", ("derived", name)) from None


def evaluate(variant: Variant | None, seed: int) -> dict[str, Value]:
    """The variant's values (params then derived) for this seed; empty for a fixed question."""
    if variant is None:
        return {}
    rng = random.Random(seed)
    values: dict[str, Value] = {}
    for name in sorted(variant.params):
        values[name] = _draw(rng, variant.params[name])
    for name, derived in variant.derived.items():
        values[name] = _call(name, derived, values)
    return values


_PLACEHOLDER = re.compile(r"\{\{\s*([a-z_][a-z0-9_]*)\s*\}\}")


def _fmt(value: Value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def render(template: str, values: dict[str, Value], *, escape: Callable[[str], str] | None = None) -> str:
    """Replace `{{name}}` placeholders; unknown names are an authoring error."""

    def sub(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in values:
            raise VariantError(f"placeholder '{{{{{name}}}}}' has no param or derived value")
        text = _fmt(values[name])
        return escape(text) if escape else text

    return _PLACEHOLDER.sub(sub, template)


def placeholders(template: str) -> set[str]:
    return set(_PLACEHOLDER.findall(template))
