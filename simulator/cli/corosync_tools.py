"""`corosync-quorumtool` and `corosync-cfgtool`, byte for byte.

Models: corosync-quorumtool's `-s` (status, default), `-l` (list), `-i`
(addresses instead of names), `-H` (hex node ids), `-e N` (set expected),
the membership table with the optional Qdevice column and row, and
corosync-cfgtool `-s` (per-link status). Layouts follow
tools/corosync-quorumtool.c and tools/corosync-cfgtool.c (see the reference).
Leaves out: `-m` (monitor), `-p` (parsable), `-v`/`-n`, cfgtool `-b`/`-n`/`-R`.
"""

from __future__ import annotations

import time

from simulator.cli import Context, register_command
from simulator.cluster import CommandResult
from simulator.corosync import QuorumView
from simulator.errors import PveError

QUORUMTOOL_USAGE = "usage: corosync-quorumtool <options>"
CFGTOOL_DOWN = "Could not initialize corosync configuration API error 2"  # UNVERIFIED wording


def _pad(value: object) -> str:
    """corosync's print_string_padded: right-aligned to 10, then a space."""
    return f"{value!s:>10} "


def membership_table(ctx: Context, view: QuorumView, hex_ids: bool, addresses: bool) -> list[str]:
    conf = ctx.cluster.conf_of(ctx.node)
    assert conf is not None
    lines = ["", "Membership information", "----------------------"]
    header = _pad("Nodeid") + _pad("Votes")
    if view.qdevice_registered:
        header += _pad("Qdevice")
    lines.append(header + "Name")
    for name in view.members:
        entry = conf.nodes.get(name) or ctx.cluster.conf_of(name).nodes[name]  # type: ignore[union-attr]
        row = (f"0x{entry.nodeid:08x} " if hex_ids else _pad(entry.nodeid)) + _pad(entry.votes)
        if view.qdevice_registered:
            alive = ctx.cluster._sees_qnetd(name)
            flags = f"{'A' if alive else 'NA'},{'V' if view.qdevice_cast_vote else 'NV'},NMW"
            row += _pad(flags)
        label = entry.ip if addresses else entry.name
        lines.append(row + label + (" (local)" if name == ctx.node else ""))
    if view.qdevice_registered:
        votes = view.qdevice_votes if view.qdevice_cast_vote else 0
        row = ("0x00000000 " if hex_ids else _pad(0)) + _pad(votes) + "           Qdevice"
        if not view.qdevice_cast_vote:
            row += f" (votes {view.qdevice_votes})"
        lines.append(row)
    return lines


def quorum_status(ctx: Context, hex_ids: bool, addresses: bool) -> list[str]:
    view = ctx.cluster.views.get(ctx.node)
    if view is None:
        raise PveError("Cannot initialize CMAP service", 1)
    wall = ctx.cluster.clock.wall()
    flags = ("Quorate " if view.quorate else "") + ("Qdevice " if view.qdevice_registered else "")
    node_id = f"0x{view.nodeid:08x}" if hex_ids else str(view.nodeid)
    lines = [
        "Quorum information", "------------------",
        f"Date:             {time.asctime(time.gmtime(wall))}",
        "Quorum provider:  corosync_votequorum",
        f"Nodes:            {len(view.members)}",
        f"Node ID:          {node_id}",
        f"Ring ID:          {view.ring_id}",
        f"Quorate:          {'Yes' if view.quorate else 'No'}",
        "", "Votequorum information", "----------------------",
        f"Expected votes:   {view.expected_votes}",
        f"Highest expected: {view.highest_expected}",
        f"Total votes:      {view.total_votes}",
        f"Quorum:           {view.quorum} {' ' if view.quorate else 'Activity blocked'}",
        f"Flags:            {flags}",
    ]
    return lines + membership_table(ctx, view, hex_ids, addresses)


def node_list(ctx: Context, hex_ids: bool, addresses: bool) -> list[str]:
    view = ctx.cluster.views.get(ctx.node)
    if view is None:
        raise PveError("Cannot initialize CMAP service", 1)
    return membership_table(ctx, view, hex_ids, addresses)


def _short_flags(args: list[str]) -> tuple[set[str], str | None]:
    flags: set[str] = set()
    value = None
    i = 0
    while i < len(args):
        arg = args[i]
        if not arg.startswith("-") or len(arg) < 2:
            raise PveError(QUORUMTOOL_USAGE, 2)
        for j, char in enumerate(arg[1:]):
            if char == "e":
                rest = arg[2 + j:]
                if not rest:
                    i += 1
                    if i >= len(args):
                        raise PveError(f"corosync-quorumtool: option requires an argument -- 'e'\n"
                                       f"{QUORUMTOOL_USAGE}", 2)
                    rest = args[i]
                flags.add("e")
                value = rest
                break
            if char not in "slHi":
                raise PveError(f"corosync-quorumtool: invalid option -- '{char}'\n{QUORUMTOOL_USAGE}", 2)
            flags.add(char)
        i += 1
    return flags, value


def corosync_quorumtool(ctx: Context, args: list[str]) -> CommandResult | str:
    flags, value = _short_flags(args)
    if not ctx.cluster.nodes[ctx.node].services["corosync"]:
        raise PveError("Cannot initialize CMAP service", 1)
    if "e" in flags:
        if value is None or not value.isdigit() or int(value) <= 0:
            return CommandResult("New expected votes value was not valid, try a positive number", 0)
        ctx.cluster.set_expected(ctx.node, int(value))
        return ""
    hex_ids, addresses = "H" in flags, "i" in flags
    if "l" in flags:
        return "\n".join(node_list(ctx, hex_ids, addresses))
    lines = quorum_status(ctx, hex_ids, addresses)
    view = ctx.cluster.views[ctx.node]
    return CommandResult("\n".join(lines), 0 if view.quorate else 2)


def corosync_cfgtool(ctx: Context, args: list[str]) -> str:
    if args != ["-s"]:
        raise PveError("usage:  corosync-cfgtool [[-i <interface ip>] [-b] -s] [-R] [-k nodeid] "
                       "[-a nodeid] [-h] [-H] [--force]", 1)
    cluster = ctx.cluster
    conf = cluster.conf_of(ctx.node)
    if conf is None or not cluster.nodes[ctx.node].services["corosync"]:
        raise PveError(CFGTOOL_DOWN, 1)
    me = conf.nodes[ctx.node]
    lines = [f"Local node ID {me.nodeid}, transport knet", "LINK ID 0 udp", f"\taddr\t= {me.ip}", "\tstatus:"]
    for entry in conf.by_nodeid():
        if entry.name == ctx.node:
            state = "localhost"
        elif cluster._corosync_member(entry.name) and cluster.link_up(ctx.node, entry.name):
            state = "connected"
        else:
            state = "disconnected"
        lines.append(f"\t\tnodeid: {entry.nodeid:>10}:\t{state}")
    return "\n".join(lines)


register_command("corosync-quorumtool", corosync_quorumtool)
register_command("corosync-cfgtool", corosync_cfgtool)
