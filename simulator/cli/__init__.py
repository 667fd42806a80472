"""The emulated root shell: one command line in, the real tool's output out.

Models: bash's word splitting (shlex) and its `-bash: foo: command not found`,
a registry of commands (name -> handler) that other packages extend with
`register_command` (ha-manager, ceph, pvesm, vzdump later) without touching
this dispatcher, and the rule that a command line never raises out of the
shell. Leaves out: pipes, redirections, variables and `&&` / `;` lists.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from simulator.errors import PveError

if TYPE_CHECKING:
    from simulator.cluster import Cluster, CommandResult


@dataclass
class Context:
    """Where and as whom a command runs."""

    cluster: Cluster
    node: str
    user: str = "root@pam"


Handler = Callable[[Context, list[str]], "CommandResult | str"]
COMMANDS: dict[str, Handler] = {}


def register_command(name: str, handler: Handler) -> None:
    """Make `name` a shell command for every cluster: `handler(ctx, argv_without_name)`.

    The handler returns the output text (exit 0) or a CommandResult, and
    raises PveError(message, exit_code) for failures.
    """
    COMMANDS[name] = handler


def lookup(cluster: Cluster, name: str) -> Handler | None:
    _load_builtins()
    return cluster.commands.get(name) or COMMANDS.get(name)


def execute(cluster: Cluster, node: str, line: str, user: str = "root@pam") -> CommandResult:
    from simulator.cluster import CommandResult

    line = line.strip()
    if not line or line.startswith("#"):
        return CommandResult("", 0)
    try:
        argv = shlex.split(line)
    except ValueError:
        quote = '"' if line.count('"') % 2 else "'"
        return CommandResult(f"-bash: unexpected EOF while looking for matching `{quote}'", 2)
    if not argv:
        return CommandResult("", 0)
    handler = lookup(cluster, argv[0])
    if handler is None:
        return CommandResult(f"-bash: {argv[0]}: command not found", 127)
    if node not in cluster.nodes:
        return CommandResult(f"-bash: no such node '{node}'", 1)
    if not cluster.nodes[node].power and argv[0] not in _ALWAYS:
        return CommandResult(connection_closed(node), 255)
    try:
        result = handler(Context(cluster, node, user), argv[1:])
    except PveError as exc:
        return CommandResult(exc.message, exc.exit_code)
    except Exception as exc:  # a bug must never take the console down
        return CommandResult(f"internal simulator error: {type(exc).__name__}: {exc}", 70)
    if isinstance(result, str):
        return CommandResult(result, 0)
    return result


def connection_closed(node: str) -> str:
    """Simulator message: the console stays attached to a dead node."""
    return f"Connection to {node} closed by remote host. ({node} is powered off; try: power {node} on)"


# `shutdown` and `reboot` are also fault commands (`reboot pve2`); their local form checks power itself
_ALWAYS = {"power", "network", "link", "partition", "crash", "help", "exit", "logout", "sleep", "ssh", "shutdown",
           "reboot"}
_LOADED = False


def _load_builtins() -> None:
    global _LOADED
    if _LOADED:
        return
    _LOADED = True
    from simulator.cli import corosync_tools, faults, node_power, pct, pvecm, pvesh, qm, system  # noqa: F401
