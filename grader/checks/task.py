"""Checks on PVE tasks: provenance of a change (who made it, and when).

`user`, `window_start` and `window_end` are context parameters: the grader
fills them from the submission (the student's own PVE user, and the lab
window [start, end] in epoch seconds), so a rubric names only the task.
A change counts when it was made by the student's user inside the window:
not by root, not by a classmate, not before the lab was started.
"""

from __future__ import annotations

from grader.checks.registry import Outcome, check
from grader.state import StateDoc, Task


def in_window(task: Task, window_start: int | None, window_end: int | None) -> bool:
    return ((window_start is None or task.starttime >= window_start)
            and (window_end is None or task.starttime <= window_end))


def provenance(state: StateDoc, types: list[str], task_id: str | None, user: str | None,
               window_start: int | None, window_end: int | None, label: str | None = None) -> tuple[list[Task], str]:
    """The OK tasks of `types` (and id) by `user` in the window, and why others did not count."""
    label = label or "/".join(types) + (f" task for {task_id}" if task_id is not None else " task")
    candidates = state.tasks_where(type=types, id=task_id)
    if not candidates:
        return [], f"no {label} has run yet"
    if user is None:
        return [], "the grader was not told which PVE user is yours; ask your instructor"
    mine = [t for t in candidates if t.user == user]
    if not mine:
        others = ", ".join(sorted({t.user for t in candidates}))
        return [], f"the {label} was run by {others}, not by your user {user}: run it yourself as {user}"
    timely = [t for t in mine if in_window(t, window_start, window_end)]
    if not timely:
        return [], f"your {label} ran outside the lab window (before you started the lab or after it closed)"
    done = [t for t in timely if t.ok]
    if not done:
        last = timely[-1]
        return [], f"your {label} did not finish successfully ({last.status or 'still running'}; see its task log)"
    return done, ""


def _types(type: str | list[str]) -> list[str]:
    return [type] if isinstance(type, str) else list(type)


@check("task.ran-by-user")
def ran_by_user(state: StateDoc, *, type: str | list[str], id: str | int | None = None,
                user: str | None = None, window_start: int | None = None,
                window_end: int | None = None) -> Outcome:
    """A task of `type` (and `id`) finished OK, started by the student's user inside the lab window."""
    done, why = provenance(state, _types(type), None if id is None else str(id), user, window_start, window_end)
    if not done:
        return Outcome.fail(why)
    return Outcome.ok(f"{done[-1].type} {done[-1].id} by {user} on {done[-1].node}".replace("  ", " "))
