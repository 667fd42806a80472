"""Rubrics: the items of a lab's grade, and `grade(state, rubric) -> Report` (pure).

A rubric is data (`rubric.yaml` in the lab folder):

    items:
      - id: cluster-exists            # stable id, [a-z0-9-]
        title: The cluster "lab" exists
        points: 2
        check: cluster.exists          # a named check (grader/checks) ...
        params: {name: lab}
      - id: all-online
        title: Every node is online
        points: 1
        requires: [cluster-exists]     # fails with "requires ..." unless these passed
        expr: state.cluster.nodes.all(n, n.online == 1)   # ... or a CEL expression
        message: A node is offline; power it on and check `pvecm status`.
      - id: failover
        title: vm:100 is recovered when its node fails
        points: 3
        visibility: hidden             # visible | hidden | after_due
        probe: {steps: ["power {node_of:100} off", "delay 180"]}
        check: ha.resource-started
        params: {sid: "vm:100"}

An item with 0 points is informational: reported, never scored. Named checks
and their parameters are validated and CEL is compiled when the rubric is
loaded (`RubricError` lists every problem with the item id and field).
`grade` never raises on a bad state: a check that crashes or an expression
that cannot be evaluated makes its item fail with a message.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

from grader.cel import CelAuthoringError, CompiledExpr, as_cel_data
from grader.checks import registry
from grader.checks.registry import Outcome

ID_PATTERN = r"^[a-z0-9][a-z0-9-]*$"
Visibility = Literal["visible", "hidden", "after_due"]


class RubricError(ValueError):
    """Authoring errors in a rubric; `problems` are "<where>: <what>" lines."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class Probe(BaseModel):
    """Scripted faults applied to a fork of the student's simulated cluster before the check runs.

    Each step is a simulator fault command (`power pve2 off`, `network pve3 off`,
    `link pve1 pve2 down`, `partition pve1|pve2,pve3`, `crash pve2 corosync`, a clean
    `shutdown pve2` or `reboot pve2` that the HA shutdown policy acts on) or
    `delay N` (let N virtual seconds pass). `{node_of:100}` is replaced by the
    node guest 100 is on when the probe starts.
    """

    model_config = ConfigDict(extra="forbid")

    steps: list[str] = Field(min_length=1)
    settle: float = Field(0, ge=0, description="seconds to let pass after the last step")

    @field_validator("steps")
    @classmethod
    def _steps_are_known(cls, steps: list[str]) -> list[str]:
        for step in steps:
            verb = step.split()[0] if step.split() else ""
            if verb not in PROBE_VERBS:
                raise ValueError(f"probe step '{step}' is not one of: {', '.join(sorted(PROBE_VERBS))}")
            if verb == "delay" and not re.fullmatch(r"delay\s+\d+(\.\d+)?", step.strip()):
                raise ValueError(f"probe step '{step}': write delay SECONDS")
        return steps


    def describe(self) -> str:
        """`on a copy of your cluster, after power <node of VM 100> off, delay 300`"""
        steps = [re.sub(r"\{node_of:(\d+)\}", r"<node of guest \1>", s) for s in self.steps]
        return f"on a copy of your cluster, after {', '.join(steps)}"


PROBE_VERBS = {"power", "network", "link", "partition", "crash", "shutdown", "reboot", "delay"}


class Item(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=ID_PATTERN)
    title: str = Field(min_length=1)
    points: float = Field(ge=0)
    visibility: Visibility = "visible"
    requires: list[str] = Field(default_factory=list)
    check: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    expr: str | None = None
    message: str | None = None
    probe: Probe | None = None

    _compiled: CompiledExpr | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _one_way_of_checking(self) -> Item:
        if (self.check is None) == (self.expr is None):
            raise ValueError("give either 'check' (a named check) or 'expr' (a CEL expression), not both or neither")
        if self.expr is not None and self.params:
            raise ValueError("'params' belong to a named check; an 'expr' item has none")
        if self.expr is not None and not self.message:
            raise ValueError("an 'expr' item needs a 'message' telling the student what to fix")
        return self

    @property
    def informational(self) -> bool:
        return self.points == 0


class Rubric(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[Item] = Field(min_length=1)

    def item(self, item_id: str) -> Item | None:
        return next((i for i in self.items if i.id == item_id), None)

    @property
    def max_points(self) -> float:
        return sum(i.points for i in self.items)

    @property
    def has_probes(self) -> bool:
        return any(i.probe is not None for i in self.items)

    def order(self) -> list[Item]:
        """Items with every requirement before the items that need it (stable otherwise)."""
        done: dict[str, Item] = {}
        pending = list(self.items)
        while pending:
            ready = [i for i in pending if all(r in done for r in i.requires)]
            if not ready:  # a cycle; load_rubric refuses these, stay safe anyway
                ready = pending[:1]
            for item in ready:
                done[item.id] = item
                pending.remove(item)
        return list(done.values())


def load_rubric(data: Any, where: str = "rubric.yaml", lines: list[int] | None = None) -> Rubric:
    """Validate rubric data, check named checks and their params, compile CEL; raise RubricError.

    `lines[i]` is the line of item i in the file, when known: messages then read `<where>:<line>: ...`.
    """
    lines = lines or []

    def at_index(index: int) -> str:
        return f"{where}:{lines[index]}" if index < len(lines) else where

    try:
        rubric = Rubric.model_validate(data)
    except ValidationError as exc:
        raise RubricError([_describe(where, data, err, at_index) for err in exc.errors()]) from None
    problems: list[str] = []
    ids = [i.id for i in rubric.items]
    for dup in sorted({i for i in ids if ids.count(i) > 1}):
        problems.append(f"{at_index(len(ids) - 1 - ids[::-1].index(dup))}: item '{dup}': id used more than once")
    for index, item in enumerate(rubric.items):
        at = f"{at_index(index)}: item '{item.id}'"
        for req in item.requires:
            if req not in ids:
                problems.append(f"{at}: requires: unknown item '{req}'")
            elif req == item.id:
                problems.append(f"{at}: requires: an item cannot require itself")
        if item.check is not None:
            problems += [f"{at}: check: {p}" for p in registry.validate_params(item.check, item.params)]
        if item.expr is not None:
            try:
                item._compiled = CompiledExpr(item.expr)
            except CelAuthoringError as exc:
                problems.append(f"{at}: expr: {exc}")
    problems += _cycles(rubric, where)
    if rubric.max_points <= 0:
        problems.append(f"{where}: every item is informational (0 points); give at least one item points")
    if problems:
        raise RubricError(problems)
    return rubric


def _cycles(rubric: Rubric, where: str) -> list[str]:
    graph = {i.id: set(i.requires) for i in rubric.items}
    problems = []
    for start in graph:
        stack, seen = list(graph[start]), set()
        while stack:
            node = stack.pop()
            if node == start:
                problems.append(f"{where}: item '{start}': requires: a cycle leads back to '{start}'")
                break
            if node not in seen and node in graph:
                seen.add(node)
                stack.extend(graph[node])
    return problems


def _describe(where: str, data: Any, err: Any, at_index: Callable[[int], str]) -> str:
    loc = list(err["loc"])
    label = ""
    if len(loc) >= 2 and loc[0] == "items" and isinstance(loc[1], int):
        where = at_index(loc[1])
        items = data.get("items") if isinstance(data, dict) else None
        raw = items[loc[1]] if isinstance(items, list) and loc[1] < len(items) else None
        label = f"item '{raw.get('id')}'" if isinstance(raw, dict) and raw.get("id") else f"item #{loc[1] + 1}"
        loc = loc[2:]
    field_ = ".".join(str(p) for p in loc)
    message = err["msg"]
    if err["type"] == "extra_forbidden":
        message = "unknown field"
    parts = [where] + [p for p in (label, field_) if p]
    return ": ".join(parts) + f": {message}"


# -- grading ----------------------------------------------------------------------------------
ProbeRunner = Callable[[Probe], Any]
"""`runner(probe) -> state document of the fork after the probe`; raises ProbeError if it cannot run."""


@dataclass(frozen=True)
class GradeContext:
    """Facts about the submission that checks may need: the student's PVE user (`alice@pve`)
    and the lab window [start, end] in epoch seconds (None: unbounded)."""

    user: str | None = None
    window_start: int | None = None
    window_end: int | None = None

    def params_for(self, check_id: str) -> dict[str, Any]:
        declared = registry.get(check_id).params
        return {name: getattr(self, name) for name in registry.CONTEXT_PARAMS if name in declared}


class ProbeError(RuntimeError):
    """The probe could not run (no simulated cluster, a bad step...): the item fails with this message."""


@dataclass
class TestResult:
    __test__ = False  # not a pytest test class

    id: str
    title: str
    points: float
    max_points: float
    passed: bool
    message: str
    visibility: str


@dataclass
class Report:
    score: float
    points: float
    max_points: float
    gradable: bool
    tests: list[TestResult] = field(default_factory=list)
    message: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def test(self, item_id: str) -> TestResult | None:
        return next((t for t in self.tests if t.id == item_id), None)

    def for_student(self, *, after_due: bool) -> list[TestResult]:
        """What a student may see: visible items, and after-due items once the due date passed."""
        shown = {"visible", "after_due"} if after_due else {"visible"}
        return [t for t in self.tests if t.visibility in shown]

    @classmethod
    def not_gradable(cls, message: str, max_points: float = 0) -> Report:
        return cls(0.0, 0.0, max_points, False, [], message)


def grade(state: Any, rubric: Rubric, *, probe_runner: ProbeRunner | None = None,
          context: GradeContext | None = None) -> Report:
    """Evaluate every item on `state` (a grader.state.StateDoc). Pure, never raises on bad data."""
    context = context or GradeContext()
    results: dict[str, TestResult] = {}
    cel_data: dict[int, Any] = {}
    probed: dict[tuple[str, ...], Any] = {}
    for item in rubric.order():
        failed = [r for r in item.requires if r in results and not results[r].passed]
        if failed:
            outcome = Outcome.fail(f"requires {_names(item, [results[r] for r in failed])} to pass first")
        else:
            outcome = _evaluate(item, state, cel_data, probed, probe_runner, context)
        earned = round(item.points * outcome.credit, 4)
        results[item.id] = TestResult(item.id, item.title, earned, item.points, outcome.passed,
                                      outcome.message, item.visibility)
    tests = [results[i.id] for i in rubric.items]
    points = round(sum(t.points for t in tests), 4)
    max_points = rubric.max_points
    return Report(round(points / max_points, 4) if max_points else 0.0, points, max_points, True, tests)


def _names(item: Item, required: list[TestResult]) -> str:
    """The required items by title; a hidden one is not named on an item a student may see more of."""
    names = []
    for test in required:
        secret = test.visibility != "visible" and item.visibility != test.visibility
        names.append("an item that is not shown yet" if secret else f"'{test.title}'")
    return ", ".join(dict.fromkeys(names))


def _evaluate(item: Item, state: Any, cel_data: dict[int, Any], probed: dict[tuple[str, ...], Any],
              probe_runner: ProbeRunner | None, context: GradeContext) -> Outcome:
    target = state
    if item.probe is not None:
        if probe_runner is None:
            return Outcome.fail("this item is graded by a behaviour probe, which runs only on a simulated "
                                "lab environment")
        key = (*item.probe.steps, str(item.probe.settle))
        if key not in probed:
            try:
                probed[key] = probe_runner(item.probe)
            except ProbeError as exc:
                probed[key] = exc
            except Exception as exc:  # a broken probe must not take the whole report down
                probed[key] = ProbeError(f"the probe could not run: {type(exc).__name__}: {exc}")
        target = probed[key]
        if isinstance(target, ProbeError):
            return Outcome.fail(str(target))
        outcome = _check_or_expr(item, target, cel_data, context)
        if outcome.passed:
            return outcome
        return Outcome(False, f"{item.probe.describe()}: {outcome.message}", outcome.partial)
    return _check_or_expr(item, target, cel_data, context)


def _check_or_expr(item: Item, target: Any, cel_data: dict[int, Any], context: GradeContext) -> Outcome:
    if item.check is not None:
        try:
            outcome = registry.get(item.check)(target, **{**context.params_for(item.check), **item.params})
        except Exception as exc:  # checks are pure; a crash is a bug, reported not raised
            return Outcome.fail(f"internal error in check {item.check}: {type(exc).__name__}: {exc}")
        return outcome if isinstance(outcome, Outcome) else Outcome.fail(f"check {item.check} gave no outcome")
    try:
        compiled = item._compiled or CompiledExpr(item.expr or "")
        if id(target) not in cel_data:
            cel_data[id(target)] = as_cel_data(target)
    except Exception as exc:  # a rubric built without load_rubric, or a state that is not JSON
        return Outcome.fail(f"{item.message} (could not evaluate: {exc})")
    result = compiled.evaluate(cel_data[id(target)])
    if result.error is not None:
        return Outcome.fail(f"{item.message} (could not evaluate: {result.error})")
    return Outcome.ok() if result.passed else Outcome.fail(item.message or "")
