"""`pvecm`: the Proxmox VE cluster manager command.

Models: create, add, delnode, status (pvecm's cluster block + quorumtool
-siH), nodes (quorumtool -l), expected, qdevice setup|remove, with the real
usage errors. Leaves out: addnode (internal), updatecerts, keygen, mtunnel,
apiver, and the interactive password / fingerprint prompts.
"""

from __future__ import annotations

import ipaddress
import re

from simulator.cli import Context, register_command
from simulator.cli.common import Spec, param_error, parse, tool_usage, unknown_subcommand
from simulator.cli.corosync_tools import node_list, quorum_status
from simulator.cluster import CommandResult
from simulator.errors import PveError

CLUSTERNAME_RE = re.compile(r"^[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?$")
SPECS = {
    "add": Spec("pvecm add <hostname> [OPTIONS]", ["hostname"],
                {"force": "bool", "nodeid": "int", "votes": "int", "fingerprint": "str",
                 "use_ssh": "bool", "link0": "str"}, minimum={"nodeid": 1, "votes": 0}),
    "create": Spec("pvecm create <clustername> [OPTIONS]", ["clustername"],
                   {"nodeid": "int", "votes": "int", "link0": "str"}, minimum={"nodeid": 1, "votes": 1}),
    "delnode": Spec("pvecm delnode <node>", ["node"]),
    "expected": Spec("pvecm expected <expected>", ["expected"]),
    "nodes": Spec("pvecm nodes", []),
    "status": Spec("pvecm status", []),
}
QDEVICE_SPECS = {
    "setup": Spec("pvecm qdevice setup <address> [OPTIONS]", ["address"], {"force": "bool", "network": "str"}),
    "remove": Spec("pvecm qdevice remove", []),
}
USAGES = sorted([s.usage for s in SPECS.values()] + [s.usage for s in QDEVICE_SPECS.values()])


def pvecm(ctx: Context, args: list[str]) -> CommandResult | str:
    if args[:1] == ["help"]:
        return tool_usage("pvecm", USAGES)
    if not args or args[0] not in [*SPECS, "qdevice"]:
        raise unknown_subcommand("pvecm", args[0] if args else None, USAGES)
    sub, rest = args[0], args[1:]
    if sub == "qdevice":
        return _qdevice(ctx, rest)
    positional, options = parse(SPECS[sub], rest)
    return globals()[f"_{sub}"](ctx, positional, options)


def _create(ctx: Context, positional: list[str], options: dict) -> str:
    spec, name = SPECS["create"], positional[0]
    if len(name) > 15:
        raise param_error(spec, "clustername", "value may only be 15 characters long")
    if not CLUSTERNAME_RE.match(name):
        raise param_error(spec, "clustername", "invalid format - value does not look like a valid node name")
    lines = ctx.cluster.create_cluster(ctx.node, name, ctx.user, options.get("nodeid", 1),
                                       options.get("votes", 1))
    return "\n".join(lines)


def _add(ctx: Context, positional: list[str], options: dict) -> str:
    lines = ctx.cluster.join_cluster(ctx.node, positional[0], ctx.user, options.get("votes", 1),
                                     options.get("nodeid"), options.get("force", False),
                                     options.get("fingerprint"))
    return "\n".join(lines)


def _delnode(ctx: Context, positional: list[str], options: dict) -> str:
    return "\n".join(ctx.cluster.delete_node(ctx.node, positional[0], ctx.user))


def _expected(ctx: Context, positional: list[str], options: dict) -> str:
    spec, text = SPECS["expected"], positional[0]
    if not text.isdigit():
        raise param_error(spec, "expected", f"type check ('integer') failed - got '{text}'")
    if int(text) < 1:
        raise param_error(spec, "expected", "value must have a minimum value of 1")
    ctx.cluster.set_expected(ctx.node, int(text))
    return ""


def _cluster_block(ctx: Context) -> list[str]:
    conf = ctx.cluster.require_cluster_conf(ctx.node)
    rows = [("Name:", conf.cluster_name), ("Config Version:", str(conf.config_version)),
            ("Transport:", "knet"), ("Secure auth:", "on")]
    return ["Cluster information", "-------------------", *[f"{k:<17} {v}" for k, v in rows], ""]


def _status(ctx: Context, positional: list[str], options: dict) -> CommandResult:
    head = _cluster_block(ctx)
    if ctx.cluster.views.get(ctx.node) is None:
        return CommandResult("\n".join([*head, "Cannot initialize CMAP service"]), 1)
    quorate = ctx.cluster.views[ctx.node].quorate
    # UNVERIFIED: pvecm execs corosync-quorumtool, so its exit status (2 when not quorate) shows through.
    return CommandResult("\n".join(head + quorum_status(ctx, hex_ids=True, addresses=True)), 0 if quorate else 2)


def _nodes(ctx: Context, positional: list[str], options: dict) -> str:
    ctx.cluster.require_cluster_conf(ctx.node)
    if ctx.cluster.views.get(ctx.node) is None:
        raise PveError("Cannot initialize CMAP service", 1)
    return "\n".join(node_list(ctx, hex_ids=False, addresses=False))


def _qdevice(ctx: Context, args: list[str]) -> str:
    if not args or args[0] not in QDEVICE_SPECS:
        raise unknown_subcommand("pvecm qdevice", args[0] if args else None,
                                 [s.usage for s in QDEVICE_SPECS.values()])
    positional, options = parse(QDEVICE_SPECS[args[0]], args[1:])
    if args[0] == "setup":
        address = positional[0]
        try:
            ipaddress.ip_address(address)
        except ValueError:
            raise param_error(QDEVICE_SPECS["setup"], "address",
                              "invalid format - value does not look like a valid IP address") from None
        return "\n".join(ctx.cluster.qdevice_setup(ctx.node, address, options.get("force", False)))
    return "\n".join(ctx.cluster.qdevice_remove(ctx.node))


register_command("pvecm", pvecm)
