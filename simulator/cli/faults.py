"""Fault commands in the shell (simulator-only; not on a real node).

Models: `power NODE on|off`, `network NODE on|off`, `link A B down|up`,
`partition A,B|C` / `partition heal`, `crash NODE corosync|pve-cluster`
(`shutdown NODE` / `reboot NODE` live in node_power.py), and
`sleep N` (let N virtual seconds pass). They work from any node, even one
that is powered off, so a person can break the cluster and watch.
"""

from __future__ import annotations

from simulator.cli import Context, Handler, register_command
from simulator.errors import PveError
from simulator.faults import FAULT_COMMANDS


def _fault(verb: str) -> Handler:
    def handler(ctx: Context, args: list[str]) -> str:
        return ctx.cluster.apply_fault(" ".join([verb, *args]))

    return handler


def sleep(ctx: Context, args: list[str]) -> str:
    if len(args) != 1:
        raise PveError("sleep: missing operand\nTry 'sleep --help' for more information.", 1)
    text = args[0].rstrip("s")
    try:
        seconds = float(text)
    except ValueError:
        raise PveError(f"sleep: invalid time interval '{args[0]}'\n"
                       f"Try 'sleep --help' for more information.", 1) from None
    if not 0 <= seconds <= 86400 * 7:
        raise PveError(f"sleep: invalid time interval '{args[0]}'", 1)
    ctx.cluster.advance(seconds)
    return ""


for _verb in FAULT_COMMANDS:
    if _verb not in ("shutdown", "reboot"):  # node_power.py: also `shutdown -h now` / `reboot` on the node
        register_command(_verb, _fault(_verb))
register_command("sleep", sleep)
