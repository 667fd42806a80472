"""Lab folders: load and validate one lab (`load_lab`) or all labs under a folder (`load_labs`).

A lab folder (courseware/content/week6/labs/<slug>/) holds:

    lab.yaml          id, number, title, summary, targets, policy, console_user, speed_factor
    instructions.md   what the student reads (Markdown)
    scenario.yaml     the initial state, in the simulator's scenario format (simulator/scenario.py)
    rubric.yaml       the rubric (grader/rubric.py)
    solution          commands that solve the lab from the initial state
    mutants/*.txt     solutions with one deliberate mistake; first line `# fails: <item-id>`

Solution format, one command per line, as typed in the lab console:

    # comments and blank lines are skipped
    pve1: pvecm create lab          # run on pve1
    pvecm status                    # no prefix: where the console is (the previous line's node)
    ssh pve3                        # ... and `ssh NODE` / `exit` move it, as in the console
    pve2 as root@pam: qm start 100  # on pve2 as another PVE user (default: the lab's console_user)
    sleep 120                       # let 120 virtual seconds pass (the console's own command)

Every error names the file, and where it applies the item id and the field.
`load_lab` returns plain typed objects (`LabSpec`) that the Django side stores.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from grader.rubric import Rubric, RubricError, load_rubric

TargetKind = Literal["simulated", "real"]
SLUG = r"^[a-z0-9][a-z0-9-]*$"
NODE_PREFIX = re.compile(r"^(?P<node>[A-Za-z0-9][A-Za-z0-9-]*)(\s+as\s+(?P<user>\S+@\S+))?:\s+(?P<command>.*)$")
FAILS_HEADER = re.compile(r"^#\s*fails:\s*(?P<items>[a-z0-9][a-z0-9-]*(\s*,\s*[a-z0-9][a-z0-9-]*)*)\s*$")


class LabError(ValueError):
    """Problems with a lab folder; `problems` are "<file>: <where>: <what>" lines."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class Policy(BaseModel):
    """Attempts and dates. `max_attempts` 0 = unlimited; the late penalty is a fraction of the score."""

    model_config = ConfigDict(extra="forbid")

    max_attempts: int = Field(0, ge=0)
    min_seconds_between_submissions: int = Field(0, ge=0)
    due: datetime | None = None
    late_until: datetime | None = None
    late_penalty: float = Field(0.0, ge=0, le=1)


class LabMeta(BaseModel):
    """lab.yaml."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=SLUG)
    number: int = Field(0, ge=0)
    title: str = Field(min_length=1)
    summary: str = ""
    targets: list[TargetKind] = Field(default_factory=lambda: ["simulated"], min_length=1)
    policy: Policy = Field(default_factory=Policy)
    console_user: str = Field("root@pam", pattern=r"^\S+@\S+$")
    speed_factor: float = Field(1.0, gt=0)


class Command(BaseModel):
    """One solution line: `command` on `node` (None: where the console is) as `user` (None: console user)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    line: int
    node: str | None = None
    command: str
    user: str | None = None


class Mutant(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    fails: list[str]
    commands: list[Command]
    text: str


class LabSpec(BaseModel):
    """A validated lab folder."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    path: str
    slug: str
    meta: LabMeta
    instructions: str
    scenario: dict[str, Any]
    rubric_data: dict[str, Any]
    rubric: Rubric
    solution_text: str
    solution: list[Command]
    mutants: list[Mutant]
    content_hash: str

    @property
    def id(self) -> str:
        return self.meta.id

    @property
    def title(self) -> str:
        return self.meta.title

    @property
    def scenario_nodes(self) -> list[str]:
        """The PVE nodes of the initial cluster, in scenario order (the console starts on the first)."""
        return _scenario_nodes(self.scenario)


def load_labs(folder: str | Path) -> list[LabSpec]:
    """Every lab under `folder` (each subfolder with a lab.yaml), ordered by number; all errors at once."""
    folder = Path(folder)
    labs, problems = [], []
    for sub in sorted(p for p in folder.iterdir() if p.is_dir() and (p / "lab.yaml").exists()):
        try:
            labs.append(load_lab(sub))
        except LabError as exc:
            problems += exc.problems
    if problems:
        raise LabError(problems)
    seen: dict[str, str] = {}
    for lab in labs:
        if lab.id in seen:
            problems.append(f"{lab.path}/lab.yaml: id: '{lab.id}' is also the id of {seen[lab.id]}")
        seen[lab.id] = lab.path
    if problems:
        raise LabError(problems)
    return sorted(labs, key=lambda lab: (lab.meta.number, lab.id))


def load_lab(folder: str | Path) -> LabSpec:
    folder = Path(folder)
    problems: list[str] = []
    texts: dict[str, str] = {}

    def read(name: str) -> str | None:
        path = folder / name
        try:
            texts[name] = path.read_text(encoding="utf-8")
            return texts[name]
        except FileNotFoundError:
            problems.append(f"{path}: missing (every lab folder has lab.yaml, instructions.md, "
                            "scenario.yaml, rubric.yaml and solution)")
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(f"{path}: cannot read: {exc}")
        return None

    meta = _meta(folder, read("lab.yaml"), problems)
    instructions = read("instructions.md")
    if instructions is not None and not instructions.strip():
        problems.append(f"{folder / 'instructions.md'}: empty")
    scenario = _scenario(folder, read("scenario.yaml"), problems)
    rubric_data, rubric = _rubric(folder, read("rubric.yaml"), meta, problems)
    nodes = _scenario_nodes(scenario)
    if rubric is not None and scenario is not None:
        _probe_machines(folder, meta, rubric, scenario, problems)
    solution_text = read("solution")
    solution = parse_commands(solution_text, folder / "solution", nodes, problems) if solution_text else []
    if solution_text is not None and not solution:
        problems.append(f"{folder / 'solution'}: no commands")
    mutants = _mutants(folder, rubric, nodes, problems, texts)
    if meta is not None and meta.id != folder.name:
        problems.append(f"{folder / 'lab.yaml'}: id: '{meta.id}' differs from the folder name '{folder.name}'")
    if problems:
        raise LabError(problems)
    assert meta is not None and rubric is not None and scenario is not None and rubric_data is not None
    digest = hashlib.sha256()
    for name in sorted(texts):
        digest.update(name.encode() + b"\0" + texts[name].encode() + b"\0")
    return LabSpec(path=str(folder), slug=folder.name, meta=meta, instructions=instructions or "",
                   scenario=scenario, rubric_data=rubric_data, rubric=rubric, solution_text=solution_text or "",
                   solution=solution, mutants=mutants, content_hash=digest.hexdigest())


def _yaml(path: Path, text: str, problems: list[str]) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problems.append(f"{path}: {where}not valid YAML ({getattr(exc, 'problem', None) or exc})")
        return None


def _meta(folder: Path, text: str | None, problems: list[str]) -> LabMeta | None:
    if text is None:
        return None
    path = folder / "lab.yaml"
    data = _yaml(path, text, problems)
    if data is None and not problems:
        problems.append(f"{path}: empty")
    if data is None:
        return None
    try:
        return LabMeta.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"]) or "(file)"
            msg = "unknown field" if err["type"] == "extra_forbidden" else err["msg"]
            problems.append(f"{path}: {where}: {msg}")
    return None


def _scenario(folder: Path, text: str | None, problems: list[str]) -> dict[str, Any] | None:
    if text is None:
        return None
    path = folder / "scenario.yaml"
    data = _yaml(path, text, problems)
    if not isinstance(data, dict):
        if data is not None:
            problems.append(f"{path}: a scenario is a mapping (topology: ...)")
        return None
    from simulator.scenario import build

    try:
        build(data)
    except Exception as exc:  # the simulator's own validation; any failure is an authoring error here
        problems.append(f"{path}: the simulator cannot build it: {type(exc).__name__}: {exc}")
        return None
    return data


def _scenario_nodes(scenario: dict[str, Any] | None) -> list[str]:
    if not scenario:
        return []
    nodes = (scenario.get("topology") or {}).get("nodes")
    if nodes:
        return [str(n["name"]) for n in nodes]
    from simulator.cluster import LAB_NODES

    return [name for name, _ in LAB_NODES]


def _rubric(folder: Path, text: str | None, meta: LabMeta | None,
            problems: list[str]) -> tuple[dict[str, Any] | None, Rubric | None]:
    if text is None:
        return None, None
    path = folder / "rubric.yaml"
    data = _yaml(path, text, problems)
    if data is None:
        return None, None
    label = f"lab {meta.id if meta else folder.name}: {path}"
    try:
        rubric = load_rubric(data, where=label, lines=_item_lines(text))
    except RubricError as exc:
        problems += exc.problems
        return None, None
    if meta is not None and rubric.has_probes and "real" in meta.targets:
        problems.append(f"{label}: behaviour probes run on simulated clusters only; "
                        "set targets: [simulated] in lab.yaml or drop the probes")
    return data, rubric


def _probe_machines(folder: Path, meta: LabMeta | None, rubric: Rubric, scenario: dict[str, Any],
                    problems: list[str]) -> None:
    """Probe steps may only name machines of the scenario (or `{node_of:N}`)."""
    topology = scenario.get("topology") or {}
    hosts = [str(h["name"]) for h in topology.get("hosts") or []] or (["qnetd"] if not topology.get("nodes") else [])
    machines = set(_scenario_nodes(scenario)) | set(hosts)
    label = f"lab {meta.id if meta else folder.name}: {folder / 'rubric.yaml'}"
    for item in rubric.items:
        for step in item.probe.steps if item.probe else []:
            verb, *args = step.split()
            names = {"power": args[:1], "network": args[:1], "crash": args[:1], "link": args[:2],
                     "partition": re.split(r"[,|]", args[0]) if args else []}.get(verb, [])
            for name in names:
                if name and not name.startswith("{node_of:") and name != "heal" and name not in machines:
                    problems.append(f"{label}: item '{item.id}': probe.steps: '{step}' names '{name}', "
                                    f"which is not in the scenario ({', '.join(sorted(machines))})")


def _item_lines(text: str) -> list[int]:
    """The line (1-based) where each rubric item starts, for messages."""
    try:
        root = yaml.compose(text)
    except yaml.YAMLError:
        return []
    if not isinstance(root, yaml.MappingNode):
        return []
    for key, value in root.value:
        if getattr(key, "value", None) == "items" and isinstance(value, yaml.SequenceNode):
            return [node.start_mark.line + 1 for node in value.value]
    return []


def parse_commands(text: str, path: Path, nodes: list[str], problems: list[str]) -> list[Command]:
    """Solution lines -> commands; see the module docstring for the format."""
    commands: list[Command] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        node = user = None
        match = NODE_PREFIX.match(line)
        if match:
            node, user, line = match["node"], match["user"], match["command"].strip()
            if nodes and node not in nodes:
                problems.append(f"{path}: line {number}: unknown node '{node}' (nodes: {', '.join(nodes)})")
                continue
        commands.append(Command(line=number, node=node, command=line, user=user))
    return commands


def _mutants(folder: Path, rubric: Rubric | None, nodes: list[str], problems: list[str],
             texts: dict[str, str]) -> list[Mutant]:
    mutants = []
    for path in sorted((folder / "mutants").glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        texts[f"mutants/{path.name}"] = text
        first = text.splitlines()[0] if text.strip() else ""
        header = FAILS_HEADER.match(first.strip())
        if header is None:
            problems.append(f"{path}: line 1: must be '# fails: <item-id>' naming the rubric item that must fail")
            continue
        fails = [f.strip() for f in header["items"].split(",")]
        if rubric is not None:
            for item_id in fails:
                item = rubric.item(item_id)
                if item is None:
                    problems.append(f"{path}: line 1: fails: unknown rubric item '{item_id}'")
                elif item.informational:
                    problems.append(f"{path}: line 1: fails: '{item_id}' is informational (0 points)")
        commands = parse_commands(text, path, nodes, problems)
        if not commands:
            problems.append(f"{path}: no commands")
        mutants.append(Mutant(name=path.stem, fails=fails, commands=commands, text=text))
    return mutants
