"""The rubric self-test: every lab's rubric grades its own solution and mutants as intended.

For each lab folder:

- the initial state (the scenario, nothing done) earns nothing on every
  item with points;
- the solution, typed into a fresh copy of the initial state as a student
  would, runs without a failing command and scores full marks;
- each mutant (the solution with one deliberate mistake) fails exactly the
  items its `# fails:` header names and passes every other item with points.

It runs the lab for real: the simulator builds the scenario with the HA
stack installed (as the lab console does), commands go through the same
shell, the state document comes from the one collector, and probes fork
the cluster. `manage.py check_labs` prints the table; the test suite asserts it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from grader.labs import Command, LabSpec, load_labs
from grader.probes import collect_simulated, runner_for
from grader.rubric import GradeContext, Report, grade

if TYPE_CHECKING:
    from simulator.cluster import Cluster

DEFAULT_LABS = Path(__file__).resolve().parent.parent / "courseware" / "content" / "week6" / "labs"


@dataclass
class Case:
    """One row of the table: a lab run (initial, solution or mutant:<name>) and what it should do."""

    lab: str
    run: str
    expected: str
    ok: bool
    score: float
    failed: list[str]
    problems: list[str] = field(default_factory=list)
    report: Report | None = None

    @property
    def verdict(self) -> str:
        return "ok" if self.ok else "FAIL"


def initial_cluster(lab: LabSpec) -> Cluster:
    """The lab's starting cluster, as the console creates it (the HA stack runs on every cluster)."""
    from simulator.scenario import build

    return build(lab.scenario)


def play(lab: LabSpec, commands: list[Command]) -> tuple[Cluster, GradeContext, list[str]]:
    """Run `commands` on a fresh initial cluster; returns it, the grading context and failed lines."""
    from simulator.cli.shell import Shell

    cluster = initial_cluster(lab)
    start = cluster.clock.wall()
    nodes = sorted(cluster.nodes)
    shell = Shell(cluster, nodes[0], lab.meta.console_user)
    failures = []
    for command in commands:
        if command.node is not None and command.node != shell.node:
            shell.node, shell.stack = command.node, []
        shell.user = command.user or lab.meta.console_user
        result = shell.execute(command.command)
        if result.exit_code != 0:
            output = result.output.strip().splitlines()
            failures.append(f"line {command.line}: {shell.node}: {command.command} -> exit {result.exit_code}"
                            + (f": {output[-1]}" if output else ""))
    context = GradeContext(user=lab.meta.console_user, window_start=start, window_end=cluster.clock.wall())
    return cluster, context, failures


def grade_cluster(lab: LabSpec, cluster: Cluster, context: GradeContext) -> Report:
    return grade(collect_simulated(cluster), lab.rubric, probe_runner=runner_for(cluster), context=context)


def _failed_items(lab: LabSpec, report: Report) -> list[str]:
    graded = {i.id for i in lab.rubric.items if not i.informational}
    return [t.id for t in report.tests if t.id in graded and not t.passed]


def check_lab(lab: LabSpec) -> list[Case]:
    cases = []
    graded = [i.id for i in lab.rubric.items if not i.informational]

    cluster, context, _ = play(lab, [])
    report = grade_cluster(lab, cluster, context)
    earning = [t.id for t in report.tests if t.id in graded and (t.points > 0 or t.passed)]
    cases.append(Case(lab.id, "initial", "0 on every graded item", not earning, report.score,
                      _failed_items(lab, report), [f"earns points or passes: {', '.join(earning)}"] if earning else [],
                      report))

    cluster, context, failures = play(lab, lab.solution)
    report = grade_cluster(lab, cluster, context)
    problems = [f"solution command failed: {f}" for f in failures]
    problems += [f"{t.id}: {t.message}" for t in report.tests if t.id in graded and not t.passed]
    if report.score < 1.0 and not problems:
        problems.append(f"score {report.score} < 1")
    cases.append(Case(lab.id, "solution", "full marks", not problems, report.score,
                      _failed_items(lab, report), problems, report))

    for mutant in lab.mutants:
        cluster, context, _ = play(lab, mutant.commands)
        report = grade_cluster(lab, cluster, context)
        failed = _failed_items(lab, report)
        problems = []
        for item_id in mutant.fails:
            if item_id not in failed:
                problems.append(f"{item_id} should fail but passed")
        for item_id in failed:
            if item_id not in mutant.fails:
                test = report.test(item_id)
                problems.append(f"{item_id} should pass but failed: {test.message if test else ''}")
        cases.append(Case(lab.id, f"mutant:{mutant.name}", f"fails {', '.join(mutant.fails)}", not problems,
                          report.score, failed, problems, report))
    return cases


def run(folder: str | Path = DEFAULT_LABS, only: list[str] | None = None) -> list[Case]:
    cases: list[Case] = []
    for lab in load_labs(folder):
        if only and lab.id not in only:
            continue
        try:
            cases += check_lab(lab)
        except Exception as exc:  # one broken lab must not hide the others' results
            cases.append(Case(lab.id, "(lab)", "runs", False, 0.0, [], [f"{type(exc).__name__}: {exc}"]))
    return cases


def table(cases: list[Case]) -> str:
    rows = [("lab", "run", "expected", "score", "failed items", "result")]
    rows += [(c.lab, c.run, c.expected, f"{c.score:.2f}", ", ".join(c.failed) or "-", c.verdict) for c in cases]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    for case in cases:
        lines += [f"  {case.lab} {case.run}: {p}" for p in case.problems]
    return "\n".join(lines)


def summary(cases: list[Case]) -> dict[str, Any]:
    return {"cases": len(cases), "failed": sum(not c.ok for c in cases)}
