"""Shutting a node down from its own root shell: `shutdown`, `poweroff`, `reboot`.

Models systemd's commands on a PVE node: `shutdown [-h|-P|--poweroff|-r|--reboot] [now|+0]`,
`poweroff`, `reboot` and `systemctl poweroff|reboot` (in system.py) begin the node's clean
shutdown (simulator/shutdown.py: HA first, then the guests, then the power); `shutdown` prints
systemd's broadcast. With a node name as the only argument, `shutdown NODE` and `reboot NODE`
are the simulator's fault commands for that node and work from any console.
Leaves out: delayed shutdowns (`shutdown +5`, a time of day), `shutdown -c`/`-k`, `halt`,
and wall messages in other sessions.
"""

from __future__ import annotations

import time

from simulator.cli import Context, connection_closed, register_command
from simulator.errors import PveError

POWEROFF_FLAGS = {"-h", "-P", "--poweroff"}
REBOOT_FLAGS = {"-r", "--reboot"}


def start_local_shutdown(ctx: Context, reboot: bool) -> None:
    """The local node begins a clean poweroff or reboot."""
    if not ctx.cluster.nodes[ctx.node].power:
        raise PveError(connection_closed(ctx.node), 255)
    if ctx.user != "root@pam":
        # UNVERIFIED: polkit's refusal for a non-root login as systemctl prints it
        raise PveError("Call to PowerOff failed: Access denied" if not reboot
                       else "Call to Reboot failed: Access denied", 1)
    if ctx.cluster.shutting_down(ctx.node):
        return  # systemd just queues the same job again
    ctx.cluster.shutdown_node(ctx.node, reboot=reboot)


def _is_fault_form(ctx: Context, args: list[str]) -> bool:
    return len(args) == 1 and args[0] in ctx.cluster.nodes


def shutdown(ctx: Context, args: list[str]) -> str:
    if _is_fault_form(ctx, args):
        return ctx.cluster.apply_fault(f"shutdown {args[0]}")
    reboot = False
    when = None
    for arg in args:
        if arg in POWEROFF_FLAGS:
            reboot = False
        elif arg in REBOOT_FLAGS:
            reboot = True
        elif arg.startswith("-"):
            raise PveError(f"shutdown: invalid option -- '{arg.lstrip('-')[:1]}'", 1)
        elif when is None:
            when = arg
        else:
            raise PveError("Too many arguments.", 1)
    if when not in ("now", "+0"):
        # real shutdown schedules itself a minute (or the given time) ahead; the simulator does not wait
        raise PveError("shutdown: only 'shutdown [-h|-r] now' is simulated (no delayed shutdowns)", 1)
    start_local_shutdown(ctx, reboot)
    stamp = time.strftime("%a %Y-%m-%d %H:%M:%S UTC", time.gmtime(ctx.cluster.clock.wall()))
    # UNVERIFIED: systemd 252's wall message layout on the calling terminal
    return (f"Broadcast message from root@{ctx.node} on pts/0 ({stamp}):\n\n"
            f"The system will {'reboot' if reboot else 'power off'} now!")


def poweroff(ctx: Context, args: list[str]) -> str:
    if args:
        raise PveError("poweroff: only plain 'poweroff' is simulated", 1)
    start_local_shutdown(ctx, reboot=False)
    return ""


def reboot(ctx: Context, args: list[str]) -> str:
    if _is_fault_form(ctx, args):
        return ctx.cluster.apply_fault(f"reboot {args[0]}")
    if args:
        raise PveError("reboot: only plain 'reboot' (or the simulator's 'reboot NODE') is simulated", 1)
    start_local_shutdown(ctx, reboot=True)
    return ""


register_command("shutdown", shutdown)
register_command("poweroff", poweroff)
register_command("reboot", reboot)
