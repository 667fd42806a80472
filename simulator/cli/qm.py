"""`qm`: QEMU/KVM virtual machine management.

Models: create, destroy, set, list, status, config, start, stop, shutdown,
snapshot, listsnapshot, rollback, delsnapshot, migrate, unlock (the shared
ones live in guest_cli.py). Leaves out: clone, template, move-disk,
importdisk, agent, monitor, terminal, pending, rescan, resize.
"""

from __future__ import annotations

from simulator.cli import Context, register_command
from simulator.cli.common import Spec, config_values, parse, tool_usage, unknown_subcommand, vmid_arg
from simulator.cli.guest_cli import _lvm_volumes, run_common, specs
from simulator.cluster import CommandResult

OPTION_NAME = r"^[a-z][a-z0-9_\-]*$"
SPECS = specs("qm")
SPECS["create"] = Spec("qm create <vmid> [OPTIONS]", ["vmid"],
                       {"memory": "int", "cores": "int", "sockets": "int", "start": "bool"},
                       minimum={"memory": 16, "cores": 1, "sockets": 1}, allow_any=OPTION_NAME)
SPECS["set"] = Spec("qm set <vmid> [OPTIONS]", ["vmid"],
                    {"memory": "int", "cores": "int", "sockets": "int", "delete": "str"},
                    minimum={"memory": 16, "cores": 1, "sockets": 1}, allow_any=OPTION_NAME)
SPECS["list"] = Spec("qm list  [OPTIONS]", [], {"full": "bool"})
USAGES = sorted(s.usage for s in SPECS.values())


def qm(ctx: Context, args: list[str]) -> CommandResult | str:
    if args[:1] == ["help"]:
        return tool_usage("qm", USAGES)
    if not args or args[0] not in SPECS:
        raise unknown_subcommand("qm", args[0] if args else None, USAGES)
    sub, rest = args[0], args[1:]
    if sub == "list":
        parse(SPECS["list"], rest)
        return _list(ctx)
    if sub in ("create", "set"):
        return _create_or_set(ctx, sub, rest)
    return run_common(ctx, "qemu", SPECS[sub], sub, rest)


def _create_or_set(ctx: Context, sub: str, args: list[str]) -> str:
    spec = SPECS[sub]
    positional, options = parse(spec, args)
    vmid = vmid_arg(spec, positional[0])
    start = options.pop("start", False)
    delete = [d for d in str(options.pop("delete", "")).split(",") if d]
    config = config_values(options)
    cluster = ctx.cluster
    if sub == "set":
        cluster.set_guest(ctx.node, vmid, "qemu", config, delete)
        # UNVERIFIED: the `update VM N: -key value` echo of `qm set`.
        changes = " ".join(f"-{k} {v}" for k, v in options.items())
        extra = f" -delete {','.join(delete)}" if delete else ""
        return f"update VM {vmid}: {changes}{extra}".replace(":  -", ": -").rstrip()
    cluster.create_guest(ctx.node, vmid, "qemu", config, ctx.user)
    guest = cluster.find_guest(vmid, ctx.node)
    assert guest is not None
    lines = [f'  Logical volume "{name}" created.' for name in _lvm_volumes(ctx, guest.disks())]
    if start:
        cluster.start_guest(ctx.node, vmid, "qemu", ctx.user)
    return "\n".join(lines)


def _list(ctx: Context) -> str:
    cluster = ctx.cluster
    cluster.require_pmxcfs(ctx.node)
    guests = [g for g in cluster.db_of(ctx.node).guests_on(ctx.node) if g.type == "qemu"]
    if not guests:
        return ""
    # qemu-server's `printf "%10s %-20s %-10s %-10s %12s %-10s\n"`: not in the reference, but it matches
    # real `qm list` outputs pasted in public repositories (trailing spaces included).
    lines = [f"{'VMID':>10} {'NAME':<20} {'STATUS':<10} {'MEM(MB)':<10} {'BOOTDISK(GB)':>12} {'PID':<10}"]
    for guest in guests:
        running = cluster.nodes[ctx.node].is_running(guest.vmid)
        disks = [d for d in guest.disks() if not d.cdrom]
        size = disks[0].size_gib if disks else 0.0
        pid = 1000 + (guest.vmid * 37) % 60000 if running else 0
        lines.append(f"{guest.vmid:>10} {guest.name:<20} {'running' if running else 'stopped':<10} "
                     f"{guest.memory_mib:<10} {size:>12.2f} {pid:<10}")
    return "\n".join(lines)


register_command("qm", qm)
