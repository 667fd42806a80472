"""Web console glue: one line typed in the page -> the simulator's shell -> the answer.

Pure functions over a cluster's JSON state; the service layer (services.py)
loads and saves the LabEnvironment around them with optimistic locking.

Time: a student's cluster follows the wall clock. Before every line the
virtual clock is advanced by the wall-clock time since the last interaction
times the lab's speed factor (capped, so a student coming back after a week
does not wait for a week of HA ticks), and `sleep N` advances it further.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings

from simulator.cli.shell import Shell
from simulator.cluster import Cluster, CommandResult
from simulator.scenario import build

MAX_LINE = 500  # characters; longer lines are refused, not truncated (a cut command could do harm)
MAX_OUTPUT = 20_000  # characters kept of one answer
MAX_TRANSCRIPT = 200  # lines kept for redisplay


@dataclass
class ConsoleEntry:
    prompt: str
    line: str
    output: str
    exit_code: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"prompt": self.prompt, "line": self.line, "output": self.output, "exit_code": self.exit_code}


@dataclass
class Session:
    """What the console needs between two requests besides the cluster itself."""

    node: str
    stack: list[str] = field(default_factory=list)


def new_cluster(scenario: dict[str, Any], *, now: datetime) -> Cluster:
    """The lab's initial cluster, its virtual clock mapped onto the real start time."""
    cluster = build(scenario or {})
    cluster.clock.epoch = int(now.timestamp()) - int(cluster.clock.now)
    return cluster  # the simulator runs the HA stack on every cluster, as every PVE node runs it


def load(state: dict[str, Any]) -> Cluster:
    return Cluster.from_json(state)


class StateUnreadable(Exception):
    """A stored cluster the simulator cannot restore (its format changed): the student resets."""


def load_or_raise(state: dict[str, Any]) -> Cluster:
    try:
        return load(state)
    except (ValueError, KeyError, TypeError) as exc:
        raise StateUnreadable(str(exc)) from exc


def load_or_none(state: dict[str, Any]) -> Cluster | None:
    try:
        return load_or_raise(state)
    except StateUnreadable:
        return None


def first_node(cluster: Cluster) -> str:
    return sorted(cluster.nodes)[0]


def catch_up(cluster: Cluster, *, since: datetime, now: datetime, speed: float) -> float:
    """Advance virtual time by the wall-clock time elapsed; returns the virtual seconds added."""
    elapsed = max(0.0, (now - since).total_seconds()) * max(0.0, speed)
    seconds = min(elapsed, float(settings.GRADER_CONSOLE_MAX_CATCHUP_SECONDS))
    if seconds > 0:
        cluster.advance(seconds)
    return seconds


def execute(cluster: Cluster, session: Session, line: str, *, user: str) -> ConsoleEntry:
    """Run one typed line; never raises, whatever the line holds."""
    line = clean_line(line)
    if session.node not in cluster.nodes:
        session.node, session.stack = first_node(cluster), []
    prompt = f"root@{session.node}:~#"
    if len(line) > MAX_LINE:
        return ConsoleEntry(prompt, line[:80] + "…", f"-bash: line too long (at most {MAX_LINE} characters)", 1)
    shell = Shell(cluster, session.node, user, list(session.stack))
    try:
        result = shell.execute(line)
    except Exception as exc:  # the simulator promises not to raise; the page must survive if it does
        result = CommandResult(f"internal simulator error: {type(exc).__name__}", 70)
    if shell.closed:
        # The page cannot close: a top-level `exit` logs out and the console stays where it is.
        result = CommandResult("logout", 0)
    session.node, session.stack = shell.node, list(shell.stack)
    output = result.output if len(result.output) <= MAX_OUTPUT else result.output[:MAX_OUTPUT] + "\n[output cut]"
    return ConsoleEntry(prompt, line, output, result.exit_code)


def clean_line(line: str) -> str:
    """One physical line without control characters (a paste of several lines runs the first only)."""
    line = (line or "").replace("\r\n", "\n").split("\n", 1)[0]
    return "".join(ch for ch in line if ch == "\t" or (ch >= " " and ch != "\x7f")).strip()


def trim_transcript(transcript: list[dict[str, Any]], entry: ConsoleEntry) -> list[dict[str, Any]]:
    return [*transcript, entry.to_json()][-MAX_TRANSCRIPT:]
