"""`pct`: LXC container management.

Models: create (from an `ostemplate` volume), destroy, set, list, status,
config, start, stop, shutdown, snapshots, migrate (restart mode), unlock.
Leaves out: enter/exec/console, push/pull, mount, fsck, resize, restore.
"""

from __future__ import annotations

from simulator.cli import Context, register_command
from simulator.cli.common import Spec, config_values, parse, tool_usage, unknown_subcommand, vmid_arg
from simulator.cli.guest_cli import _lvm_volumes, run_common, specs
from simulator.cluster import CommandResult
from simulator.errors import PveError
from simulator.storage import parse_volume

OPTION_NAME = r"^[a-z][a-z0-9_\-]*$"
SPECS = specs("pct")
SPECS["create"] = Spec("pct create <vmid> <ostemplate> [OPTIONS]", ["vmid", "ostemplate"],
                       {"memory": "int", "cores": "int", "swap": "int", "start": "bool", "storage": "str",
                        "unprivileged": "bool"}, minimum={"memory": 16, "cores": 1},
                       allow_any=OPTION_NAME)
SPECS["set"] = Spec("pct set <vmid> [OPTIONS]", ["vmid"], {"memory": "int", "cores": "int", "delete": "str"},
                    minimum={"memory": 16, "cores": 1}, allow_any=OPTION_NAME)
SPECS["list"] = Spec("pct list", [])
USAGES = sorted(s.usage for s in SPECS.values())


def pct(ctx: Context, args: list[str]) -> CommandResult | str:
    if args[:1] == ["help"]:
        return tool_usage("pct", USAGES)
    if not args or args[0] not in SPECS:
        raise unknown_subcommand("pct", args[0] if args else None, USAGES)
    sub, rest = args[0], args[1:]
    if sub == "list":
        parse(SPECS["list"], rest)
        return _list(ctx)
    if sub == "create":
        return _create(ctx, rest)
    if sub == "set":
        return _set(ctx, rest)
    return run_common(ctx, "lxc", SPECS[sub], sub, rest)


def _create(ctx: Context, args: list[str]) -> str:
    spec = SPECS["create"]
    positional, options = parse(spec, args)
    vmid = vmid_arg(spec, positional[0])
    template = positional[1]
    cluster = ctx.cluster
    db = cluster.db_of(ctx.node)
    try:
        storage_id, name = parse_volume(template)
    except ValueError as exc:
        raise PveError(str(exc)) from None
    storage = db.storage.get(storage_id)
    if storage is None:
        raise PveError(f"storage '{storage_id}' does not exist")
    if not name.startswith("vztmpl/") or "vztmpl" not in storage.content:
        raise PveError(f"volume '{template}' does not exist")  # UNVERIFIED wording
    start = options.pop("start", False)
    rootfs_storage = options.pop("storage", "local")
    config = config_values(options)
    config.setdefault("rootfs", f"{rootfs_storage}:4")  # PVE's default: 4 GiB on --storage (local)
    config["ostype"] = config.get("ostype", "debian")
    cluster.create_guest(ctx.node, vmid, "lxc", config, ctx.user)
    guest = cluster.find_guest(vmid, ctx.node)
    assert guest is not None
    lines = [f'  Logical volume "{n}" created.' for n in _lvm_volumes(ctx, guest.disks())]
    # UNVERIFIED: a condensed version of pct create's extraction output.
    lines += [f"extracting archive '/var/lib/vz/template/cache/{name.split('/', 1)[1]}'",
              "Total bytes read: 524288000 (500MiB, 250MiB/s)", "Detected container architecture: amd64"]
    if start:
        cluster.start_guest(ctx.node, vmid, "lxc", ctx.user)
    return "\n".join(lines)


def _set(ctx: Context, args: list[str]) -> str:
    spec = SPECS["set"]
    positional, options = parse(spec, args)
    vmid = vmid_arg(spec, positional[0])
    delete = [d for d in str(options.pop("delete", "")).split(",") if d]
    ctx.cluster.set_guest(ctx.node, vmid, "lxc", config_values(options), delete)
    return ""


def _list(ctx: Context) -> str:
    cluster = ctx.cluster
    cluster.require_pmxcfs(ctx.node)
    guests = [g for g in cluster.db_of(ctx.node).guests_on(ctx.node) if g.type == "lxc"]
    if not guests:
        return ""
    # pve-container's `printf "%-10s %-10s %-12s %-20s\n"`: not in the reference, matches real outputs.
    lines = [f"{'VMID':<10} {'Status':<10} {'Lock':<12} {'Name':<20}"]
    for guest in guests:
        running = cluster.nodes[ctx.node].is_running(guest.vmid)
        lines.append(f"{guest.vmid!s:<10} {'running' if running else 'stopped':<10} "
                     f"{guest.lock or '':<12} {guest.name:<20}")
    return "\n".join(lines)


register_command("pct", pct)
