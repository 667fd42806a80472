"""Pydantic models for the course files: course.yaml, section front matter, checkpoints.

Every model forbids unknown keys, so a typo in a content file is an authoring
error with a file and line (see loader.py), never a silently ignored field.
Question types form a discriminated union on `type`.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

ID_PATTERN = r"^[a-z0-9][a-z0-9_.-]*$"
StableId = Annotated[str, Field(pattern=ID_PATTERN, min_length=1, max_length=80)]
OptionId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,20}$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- course and sections -----------------------------------------------------------------


class CourseFile(Strict):
    """course.yaml."""

    id: StableId
    title: str = Field(min_length=1)
    week: int = Field(ge=1, le=52)
    week_title: str = Field(min_length=1)
    welcome: str = ""
    learning_outcomes: list[str] = Field(default_factory=list)


class SectionFront(Strict):
    """The YAML front matter of sections/NN-slug.md."""

    id: StableId
    title: str = Field(min_length=1)
    order: int = Field(ge=0)
    number: str | None = Field(default=None, pattern=r"^\d+$")
    checkpoint: StableId | None = None


# --- variants --------------------------------------------------------------------------------


class ParamSpec(Strict):
    """A seeded parameter: `choices` (any of the listed values) or `range` [lo, hi] (integers, inclusive)."""

    choices: list[int | float | str] | None = Field(default=None, min_length=1)
    range: tuple[int, int] | None = None
    step: int = Field(default=1, ge=1)

    @model_validator(mode="after")
    def _one_source(self) -> ParamSpec:
        if (self.choices is None) == (self.range is None):
            raise ValueError("give exactly one of 'choices' or 'range'")
        if self.range is not None and self.range[0] > self.range[1]:
            raise ValueError("range must be [low, high] with low <= high")
        return self


class Derived(Strict):
    """A value computed by a registered pure function (variants.FUNCTIONS).

    `args` maps the function's keyword arguments to literals or to `$name`
    references to params and earlier derived values.
    """

    fn: str
    args: dict[str, int | float | str] = Field(default_factory=dict)


class Variant(Strict):
    params: dict[Annotated[str, Field(pattern=r"^[a-z_][a-z0-9_]*$")], ParamSpec] = Field(min_length=1)
    derived: dict[Annotated[str, Field(pattern=r"^[a-z_][a-z0-9_]*$")], Derived] = Field(default_factory=dict)


# --- questions ---------------------------------------------------------------------------------


class QuestionBase(Strict):
    id: StableId
    prompt: str = Field(min_length=1)
    explanation: str = Field(min_length=1)
    hints: list[str] = Field(default_factory=list)
    weight: float = Field(default=1.0, gt=0)
    variant: Variant | None = None
    retired: bool = False


class Option(Strict):
    id: OptionId
    text: str = Field(min_length=1)
    correct: bool = False
    feedback: str | None = None


def _unique(ids: list[str], what: str) -> None:
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            raise ValueError(f"duplicate {what} id '{i}'")
        seen.add(i)


class SingleChoice(QuestionBase):
    type: Literal["single_choice"]
    options: list[Option] = Field(min_length=2, max_length=12)
    shuffle: bool = False

    @model_validator(mode="after")
    def _exactly_one_correct(self) -> SingleChoice:
        _unique([o.id for o in self.options], "option")
        n = sum(o.correct for o in self.options)
        if n != 1:
            raise ValueError(f"single_choice needs exactly one correct option, found {n}")
        return self


class MultipleChoice(QuestionBase):
    """Partial credit: (correct picks - wrong picks) / number of correct options, floored at 0."""

    type: Literal["multiple_choice"]
    options: list[Option] = Field(min_length=2, max_length=12)
    shuffle: bool = False

    @model_validator(mode="after")
    def _some_correct(self) -> MultipleChoice:
        _unique([o.id for o in self.options], "option")
        if not any(o.correct for o in self.options):
            raise ValueError("multiple_choice needs at least one correct option")
        return self


class Numeric(QuestionBase):
    """`answer` is a number or `$name` of a variant value; units convert to the canonical `unit`."""

    type: Literal["numeric"]
    answer: float | Annotated[str, Field(pattern=r"^\$[a-z_][a-z0-9_]*$")]
    tolerance: float = Field(default=0.0, ge=0)
    tolerance_percent: float = Field(default=0.0, ge=0)
    unit: str | None = None
    units: dict[str, float] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _units(self) -> Numeric:
        if self.units and self.unit is None:
            raise ValueError("'units' needs a canonical 'unit'")
        if self.unit is not None and self.units.get(self.unit, 1.0) != 1.0:
            raise ValueError(f"the canonical unit '{self.unit}' must have factor 1")
        if any(f <= 0 for f in self.units.values()):
            raise ValueError("unit factors must be positive")
        return self


class ShortText(QuestionBase):
    """Accepted when the normalised answer equals an `accept` string or fully matches a `pattern`."""

    type: Literal["short_text"]
    accept: list[str] = Field(default_factory=list)
    patterns: list[str] = Field(default_factory=list)
    case_sensitive: bool = False
    max_length: int = Field(default=300, ge=1, le=2000)
    placeholder: str | None = None

    @model_validator(mode="after")
    def _has_key(self) -> ShortText:
        if not self.accept:
            raise ValueError("short_text needs at least one 'accept' string (the answer key shown after)")
        if self.variant is None:
            for p in self.patterns:
                try:
                    re.compile(p)
                except re.error as exc:  # not a ValueError: pydantic would not report it
                    raise ValueError(f"patterns contain an invalid regular expression {p!r}: {exc}") from None
        return self


class OrderItem(Strict):
    id: OptionId
    text: str = Field(min_length=1)


class Ordering(QuestionBase):
    """`items` are listed in the correct order. Partial credit: share of pairs in the right relative order."""

    type: Literal["ordering"]
    items: list[OrderItem] = Field(min_length=3, max_length=12)
    partial_credit: bool = True

    @model_validator(mode="after")
    def _ids(self) -> Ordering:
        _unique([i.id for i in self.items], "item")
        return self


class MatchPair(Strict):
    id: OptionId
    text: str = Field(min_length=1)
    match: OptionId


class Matching(QuestionBase):
    """Each left `pair` must be matched to one of `choices` (more choices than pairs = distractors)."""

    type: Literal["matching"]
    pairs: list[MatchPair] = Field(min_length=2, max_length=12)
    choices: list[OrderItem] = Field(min_length=2, max_length=16)
    partial_credit: bool = True

    @model_validator(mode="after")
    def _refs(self) -> Matching:
        _unique([p.id for p in self.pairs], "pair")
        _unique([c.id for c in self.choices], "choice")
        known = {c.id for c in self.choices}
        for p in self.pairs:
            if p.match not in known:
                raise ValueError(f"pair '{p.id}' matches unknown choice '{p.match}'")
        return self


class Reflection(QuestionBase):
    """Free text, stored for the instructor to review; never auto-graded."""

    type: Literal["reflection"]
    min_words: int = Field(default=0, ge=0)
    max_chars: int = Field(default=4000, ge=1, le=20000)


# --- simulator-checked -------------------------------------------------------------------------


class TopologyNode(Strict):
    name: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,30}$")]
    votes: int = Field(default=1, ge=0, le=10)
    online: bool = True


class TopologyGuest(Strict):
    vmid: int = Field(ge=100, le=999999999)
    type: Literal["qemu", "lxc"] = "qemu"
    node: str
    status: Literal["running", "stopped"] = "running"
    storage: str = "local-lvm"


class Topology(Strict):
    """An inline scenario: a cluster of nodes (some powered off), its guests and HA resources."""

    cluster_name: str = "lab"
    nodes: list[TopologyNode] = Field(min_length=1, max_length=16)
    qdevice: bool = False
    guests: list[TopologyGuest] = Field(default_factory=list)
    shared_storage: list[str] = Field(default_factory=list)
    ha_resources: list[Annotated[str, Field(pattern=r"^(vm|ct):\d+$")]] = Field(default_factory=list)

    @model_validator(mode="after")
    def _names(self) -> Topology:
        _unique([n.name for n in self.nodes], "node")
        names = {n.name for n in self.nodes}
        for g in self.guests:
            if g.node not in names:
                raise ValueError(f"guest {g.vmid} is on unknown node '{g.node}'")
        return self


class ScenarioRef(Strict):
    """A named scenario from the simulator's scenario library."""

    ref: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")]


class GuestOn(Strict):
    vmid: int = Field(ge=100, le=999999999)
    node: str
    status: Literal["running", "stopped"] | None = None


class ResourceState(Strict):
    sid: Annotated[str, Field(pattern=r"^(vm|ct):\d+$")]
    state: str


class Condition(Strict):
    """What must hold after the command ran; exactly one key."""

    quorate_on: str | None = None
    not_quorate_on: str | None = None
    expected_votes_on: dict[str, int] | None = None
    guest_on: GuestOn | None = None
    ha_resource: ResourceState | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Condition:
        set_keys = [k for k, v in self.__dict__.items() if v is not None]
        if len(set_keys) != 1:
            raise ValueError(f"a condition needs exactly one key, found {set_keys or 'none'}")
        return self

    def describe(self) -> str:
        key, value = next((k, v) for k, v in self.__dict__.items() if v is not None)
        if isinstance(value, BaseModel):
            value = value.model_dump(exclude_none=True)
        return f"{key}: {value}"


class SimulatorCheck(QuestionBase):
    """The answer is one command line, run on a copy of `scenario` on `node`."""

    type: Literal["simulator"]
    scenario: Topology | ScenarioRef
    node: str
    condition: Condition
    example_answer: str = Field(min_length=1)
    wrong_examples: list[str] = Field(default_factory=list)
    max_length: int = Field(default=300, ge=1, le=2000)

    @model_validator(mode="after")
    def _node_known(self) -> SimulatorCheck:
        if isinstance(self.scenario, Topology):
            names = {n.name for n in self.scenario.nodes}
            if self.node not in names:
                raise ValueError(f"node '{self.node}' is not in the scenario's nodes {sorted(names)}")
        return self


Question = Annotated[
    SingleChoice | MultipleChoice | Numeric | ShortText | Ordering | Matching | Reflection | SimulatorCheck,
    Field(discriminator="type"),
]

QUESTION_TYPES = (
    "single_choice",
    "multiple_choice",
    "numeric",
    "short_text",
    "ordering",
    "matching",
    "reflection",
    "simulator",
)


# --- checkpoints ---------------------------------------------------------------------------------


class CheckpointFile(Strict):
    """checkpoints/NN-slug.yaml.

    `points_per_attempt[k]` is what a fully correct answer earns on attempt k+1
    (decreasing); `attempts` defaults to its length. `late_credit` multiplies
    points earned after `due`.
    """

    id: StableId
    section: StableId
    title: str = Field(min_length=1)
    attempts: int | None = Field(default=None, ge=1, le=20)
    feedback: Literal["immediate", "after_submission", "after_due"] = "immediate"
    points_per_attempt: list[float] = Field(min_length=1, max_length=20)
    due: dt.datetime | None = None
    late_credit: float = Field(default=0.0, ge=0, le=1)
    questions: list[Question] = Field(min_length=1)

    @model_validator(mode="after")
    def _policy(self) -> CheckpointFile:
        ppa = self.points_per_attempt
        if any(p < 0 for p in ppa):
            raise ValueError("points_per_attempt must not be negative")
        if any(b > a for a, b in itertools.pairwise(ppa)):
            raise ValueError("points_per_attempt must not increase from one attempt to the next")
        if self.attempts is not None and self.attempts > len(ppa):
            raise ValueError(
                f"attempts ({self.attempts}) exceeds the length of points_per_attempt ({len(ppa)})"
            )
        if self.feedback == "after_due" and self.due is None:
            raise ValueError("feedback 'after_due' needs a due date")
        if self.due is not None and self.due.tzinfo is None:
            raise ValueError("due needs a timezone, e.g. 2026-12-01T23:59:00+00:00")
        _unique([q.id for q in self.questions], "question")
        return self

    @property
    def active_questions(self) -> list[Question]:
        """The questions students see: retired ones keep their answers but are not shown."""
        return [q for q in self.questions if not q.retired]

    @property
    def max_attempts(self) -> int:
        return self.attempts if self.attempts is not None else len(self.points_per_attempt)


def question_adapter_schema() -> dict[str, Any]:
    from pydantic import TypeAdapter

    return TypeAdapter(Question).json_schema()
