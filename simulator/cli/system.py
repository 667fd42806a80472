"""Plain Linux commands on a PVE node: hostname, ssh, systemctl, journalctl, cat, mv, help.

Models: `systemctl status|start|stop|restart corosync|pve-cluster` (status
layout after systemd 252 as on Debian 12; UNVERIFIED details such as memory
figures are fixed), `systemctl poweroff|reboot` (a clean shutdown,
node_power.py), `journalctl -u UNIT [-n N]` showing the simulator's events
for that unit, `ssh NODE [command]` (refused when the network does not
connect the two), `cat` for the files of /etc/pve the course looks at, and
`mv` of a guest config between node directories (the manual recovery
procedure). Leaves out: every other file and command.
"""

from __future__ import annotations

import re
import time

from simulator.cli import COMMANDS, Context, register_command
from simulator.cli.node_power import start_local_shutdown
from simulator.cluster import CommandResult
from simulator.errors import PveError
from simulator.log import journal_line
from simulator.nodes import Node
from simulator.storage import render_storage_cfg

UNITS = {
    "corosync": ("Corosync Cluster Engine", "/usr/sbin/corosync -f", "corosync",
                 ["man:corosync", "man:corosync.conf", "man:corosync_overview"]),
    "pve-cluster": ("The Proxmox VE cluster filesystem", "/usr/bin/pmxcfs", "pmxcfs", []),
}
CONF_PATH_RE = re.compile(r"^/etc/pve/nodes/([^/]+)/(qemu-server|lxc)/(\d+)\.conf$")


def hostname(ctx: Context, args: list[str]) -> str:
    return ctx.node


def ssh(ctx: Context, args: list[str]) -> CommandResult:
    if not args:
        raise PveError("usage: ssh [-46AaCfGgKkMNnqsTtVvXxYy] [-B bind_interface] destination [command [argument ...]]",
                       255)
    host = args[0].split("@")[-1]
    cluster = ctx.cluster
    target = cluster.resolve_host(host)
    if target is None:
        raise PveError(f"ssh: Could not resolve hostname {host}: Name or service not known", 255)
    machine = cluster.nodes.get(target) or cluster.hosts[target]
    if not cluster.link_up(ctx.node, target) and target != ctx.node:
        raise PveError(f"ssh: connect to host {machine.ip} port 22: No route to host", 255)
    if target not in cluster.nodes:
        raise PveError(f"{host}: this host is not a Proxmox VE node in the simulator", 255)
    if len(args) > 1:
        return cluster.run(target, " ".join(args[1:]), ctx.user)
    return CommandResult("", 0, switch_node=target)


def exit_shell(ctx: Context, args: list[str]) -> CommandResult:
    return CommandResult("logout", 0, switch_node=":exit")


def _since(now: float, since: float) -> str:
    seconds = int(now - since)
    if seconds < 60:
        return f"{seconds}s ago"
    if seconds < 3600:
        rest = f" {seconds % 60}s" if seconds % 60 else ""
        return f"{seconds // 60}min{rest} ago"
    return f"{seconds // 3600}h {seconds % 3600 // 60}min ago"


def _unit_status(ctx: Context, unit: str) -> CommandResult:
    cluster, node = ctx.cluster, cluster_node(ctx)
    description, command, process, docs = UNITS[unit]
    running = node.services[unit]
    since = cluster.clock.wall(node.service_since[unit])
    stamp = time.strftime("%a %Y-%m-%d %H:%M:%S UTC", time.gmtime(since))
    ago = _since(cluster.clock.now, node.service_since[unit])
    clustered = cluster.conf_of(ctx.node) is not None
    failed = node.service_failed.get(unit, False)
    mark = "●" if running else ("×" if failed else "○")
    lines = [f"{mark} {unit}.service - {description}",
             f"     Loaded: loaded (/lib/systemd/system/{unit}.service; enabled; preset: enabled)"]
    if running:
        pid = node.service_pids[unit]
        lines += [f"     Active: active (running) since {stamp}; {ago}"]
        lines += _docs(docs)
        lines += [f"   Main PID: {pid} ({process})", "      Tasks: 9 (limit: 76910)", "     Memory: 131.4M",
                  "        CPU: 1.204s", f"     CGroup: /system.slice/{unit}.service",
                  f"             └─{pid} {command}"]
    elif unit == "corosync" and not clustered:
        lines += ["     Active: inactive (dead)",
                  f"  Condition: start condition failed at {stamp}; {ago}",
                  "             └─ ConditionPathExists=/etc/corosync/corosync.conf was not met"]
        lines += _docs(docs)
    elif failed:
        pid = node.service_pids[unit]
        lines += [f"     Active: failed (Result: signal) since {stamp}; {ago}"]
        lines += _docs(docs)
        lines += [f"    Process: {pid} ExecStart={command} (code=killed, signal=KILL)",
                  f"   Main PID: {pid} (code=killed, signal=KILL)", "        CPU: 1.204s"]
    else:
        lines += [f"     Active: inactive (dead) since {stamp}; {ago}"]
        lines += _docs(docs)
    journal = _journal_lines(ctx, unit, 10)
    if journal:
        lines += ["", *journal]
    return CommandResult("\n".join(lines), 0 if running else 3)


def cluster_node(ctx: Context) -> Node:
    return ctx.cluster.nodes[ctx.node]


def _docs(docs: list[str]) -> list[str]:
    if not docs:
        return []
    return [f"       Docs: {docs[0]}", *[f"             {d}" for d in docs[1:]]]


def _journal_lines(ctx: Context, unit: str | None, limit: int | None) -> list[str]:
    node = cluster_node(ctx)
    entries = ctx.cluster.log.for_unit(ctx.node, unit)
    if limit is not None:
        entries = entries[-limit:] if limit else []
    return [journal_line(e, ctx.cluster.clock.wall(e.time), node.service_pids.get(e.source) or 1000)
            for e in entries]


def systemctl(ctx: Context, args: list[str]) -> CommandResult | str:
    if len(args) == 1 and args[0] in ("poweroff", "reboot"):
        start_local_shutdown(ctx, reboot=args[0] == "reboot")
        return ""
    if len(args) != 2 or args[0] not in ("status", "start", "stop", "restart"):
        raise PveError("Too few arguments." if len(args) < 2 else "Unknown command verb or too many arguments.", 1)
    verb, unit = args[0], args[1].removesuffix(".service")
    if unit not in UNITS:
        raise PveError(f"Unit {unit}.service could not be found." if verb == "status"
                       else f"Failed to {verb} {unit}.service: Unit {unit}.service not found.", 4 if verb ==
                       "status" else 5)
    if verb == "status":
        return _unit_status(ctx, unit)
    cluster, now = ctx.cluster, ctx.cluster.clock.now
    description = UNITS[unit][0]
    if verb in ("stop", "restart") and cluster_node(ctx).services[unit]:
        cluster.log.add(now, ctx.node, f"systemd:{unit}", f"Stopping {unit}.service - {description}...")
        cluster.set_service(ctx.node, unit, False)
        cluster.log.add(now, ctx.node, f"systemd:{unit}", f"Stopped {unit}.service - {description}.")
    if verb in ("start", "restart") and not cluster_node(ctx).services[unit]:
        if unit == "corosync" and cluster.conf_of(ctx.node) is None:
            return ""  # ConditionPathExists fails: systemd skips the start silently
        cluster.log.add(now, ctx.node, f"systemd:{unit}", f"Starting {unit}.service - {description}...")
        cluster.set_service(ctx.node, unit, True)
        cluster.log.add(now, ctx.node, f"systemd:{unit}", f"Started {unit}.service - {description}.")
    return ""


def journalctl(ctx: Context, args: list[str]) -> str:
    unit, limit, i = None, None, 0
    while i < len(args):
        arg = args[i]
        if arg in ("-u", "--unit") and i + 1 < len(args):
            unit, i = args[i + 1].removesuffix(".service"), i + 1
        elif arg.startswith("--unit="):
            unit = arg.split("=", 1)[1].removesuffix(".service")
        elif arg in ("-n", "--lines") and i + 1 < len(args) and args[i + 1].isdigit():
            limit, i = int(args[i + 1]), i + 1
        elif arg not in ("-b", "--no-pager", "-e", "-f", "-x", "--boot", "-xe"):
            raise PveError(f"journalctl: invalid option -- '{arg.lstrip('-')[:1] or arg}'", 1)
        i += 1
    lines = _journal_lines(ctx, unit, limit)
    return "\n".join(lines) if lines else "-- No entries --"


def cat(ctx: Context, args: list[str]) -> str:
    out, missing = [], []
    for path in args:
        text = _file(ctx, path)
        if text is None:
            missing.append(f"cat: {path}: No such file or directory")
        else:
            out.append(text.rstrip("\n"))
    if missing:
        raise PveError("\n".join([*out, *missing]), 1)
    return "\n".join(out)


def _file(ctx: Context, path: str) -> str | None:
    cluster = ctx.cluster
    if path == "/etc/hostname":
        return ctx.node
    cluster.require_pmxcfs(ctx.node)
    db = cluster.db_of(ctx.node)
    if path in ("/etc/pve/corosync.conf", "/etc/corosync/corosync.conf"):
        return db.corosync.render() if db.corosync else None
    if path == "/etc/pve/storage.cfg":
        return render_storage_cfg(db.storage)
    match = CONF_PATH_RE.match(path)
    if match:
        guest = db.guests.get(int(match.group(3)))
        folder = "qemu-server" if guest and guest.type == "qemu" else "lxc"
        if guest and guest.node == match.group(1) and folder == match.group(2):
            return guest.render_config()
        return None
    return db.files.get(path.removeprefix("/etc/pve/"))


def mv(ctx: Context, args: list[str]) -> str:
    if len(args) != 2:
        raise PveError("mv: missing destination file operand" if len(args) == 1 else "mv: missing file operand", 1)
    source, dest = args
    match = CONF_PATH_RE.match(source)
    cluster = ctx.cluster
    if match is None or _file(ctx, source) is None:
        raise PveError(f"mv: cannot stat '{source}': No such file or directory", 1)
    node, folder, vmid = match.group(1), match.group(2), match.group(3)
    dest_dir = dest.rstrip("/").removesuffix(f"/{vmid}.conf")
    target = re.match(rf"^/etc/pve/nodes/([^/]+)/{folder}$", dest_dir)
    conf = cluster.conf_of(ctx.node)
    if target is None or conf is None or target.group(1) not in conf.nodes:
        raise PveError(f"mv: cannot move '{source}' to '{dest}': No such file or directory", 1)
    if not cluster.is_quorate(ctx.node):
        raise PveError(f"mv: cannot move '{source}' to '{dest}': Permission denied", 1)
    if target.group(1) != node:
        cluster.move_guest_config(ctx.node, int(vmid), target.group(1))
    return ""


def help_(ctx: Context, args: list[str]) -> str:
    lines = ["Simulated Proxmox VE node. Commands:",
             "  pvecm create|add|status|nodes|expected|delnode|qdevice   cluster management",
             "  corosync-quorumtool -s|-l   corosync-cfgtool -s          corosync status",
             "  qm ... / pct ...   VMs and containers (create, start, stop, migrate, snapshot, ...)",
             "  systemctl status|start|stop|restart corosync|pve-cluster   systemctl poweroff|reboot",
             "  shutdown -h|-r now   poweroff   reboot   pvesh get|set /cluster/options [--ha shutdown_policy=P]",
             "  journalctl -u corosync|pve-cluster   hostname   ssh NODE [CMD]   cat FILE   exit",
             "Simulator-only (faults and time):",
             "  power NODE on|off   network NODE on|off   link A B down|up",
             "  partition A,B|C   partition heal   crash NODE corosync|pve-cluster   sleep SECONDS",
             "  shutdown NODE   reboot NODE   (a clean shutdown / reboot of NODE, HA shutdown policy applies)"]
    builtin = {"pvecm", "corosync-quorumtool", "corosync-cfgtool", "qm", "pct", "systemctl", "journalctl",
               "hostname", "ssh", "cat", "mv", "exit", "logout", "help", "power", "network", "link",
               "partition", "crash", "sleep", "shutdown", "reboot", "poweroff", "pvesh"}
    extra = sorted((set(COMMANDS) | set(ctx.cluster.commands)) - builtin)
    if extra:
        lines.append("Also available: " + " ".join(extra))
    return "\n".join(lines)


for _name, _handler in (("hostname", hostname), ("ssh", ssh), ("exit", exit_shell), ("logout", exit_shell),
                        ("systemctl", systemctl), ("journalctl", journalctl), ("cat", cat), ("mv", mv),
                        ("help", help_)):
    register_command(_name, _handler)
