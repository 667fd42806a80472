"""`pvesh get|set /cluster/options`: the datacenter options HA reads (/etc/pve/datacenter.cfg).

Models the two properties the HA manager uses, written as datacenter.cfg lines the way
PVE::DataCenterConfig does (`key: value`, sorted by key, other lines kept):
`--ha shutdown_policy=conditional|freeze|failover|migrate` and
`--crs ha=basic|static[,ha-rebalance-on-start=0|1]`, plus `--delete ha,crs`. Writing needs
quorum like every /etc/pve write. `pvesh get /cluster/options` prints the options as JSON.
Leaves out: every other API path and datacenter option, and pvesh's text-table output format
(UNVERIFIED layout; `get` always prints `--output-format json-pretty`).
"""

from __future__ import annotations

import json

from simulator.cli import Context, register_command
from simulator.cli.common import Spec, param_error, parse, usage_error
from simulator.errors import PveError

PATH = "/cluster/options"
FILE = "datacenter.cfg"
SPEC = Spec("pvesh set <api_path> [OPTIONS] [FORMAT_OPTIONS]", ["path"],
            {"ha": "str", "crs": "str", "delete": "str", "output-format": "str", "noproxy": "bool"})
GET_SPEC = Spec("pvesh get <api_path> [OPTIONS] [FORMAT_OPTIONS]", ["path"],
                {"output-format": "str", "noproxy": "bool"})
PROPERTIES = {
    "ha": {"shutdown_policy": ("conditional", "freeze", "failover", "migrate")},
    "crs": {"ha": ("basic", "static"), "ha-rebalance-on-start": ("0", "1")},
}


def _check_property(key: str, value: str) -> str:
    """Validate a property string like `shutdown_policy=migrate`; returns it normalised."""
    allowed = PROPERTIES[key]
    pairs = []
    for part in value.split(","):
        name, eq, item = part.partition("=")
        if not eq and key == "ha" and part:
            name, item = "shutdown_policy", part  # the default key of the format
        if name not in allowed:
            raise param_error(SPEC, key, f"invalid format - property '{name}' not defined in format")
        if item not in allowed[name]:
            choices = ", ".join(allowed[name])
            raise param_error(SPEC, key, f"invalid format - {name}: value '{item}' does not have a value in the "
                                         f"enumeration '{choices}'")
        pairs.append(f"{name}={item}")
    return ",".join(pairs)


def read_options(text: str) -> dict[str, str]:
    options: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() and not key.startswith("#"):
            options[key.strip()] = value.strip()
    return options


def _write(ctx: Context, options: dict[str, str]) -> None:
    text = "".join(f"{key}: {options[key]}\n" for key in sorted(options))
    ctx.cluster.cfs_write(ctx.node, FILE, text)


def pvesh(ctx: Context, args: list[str]) -> str:
    if not args or args[0] not in ("get", "set"):
        raise PveError("pvesh: the simulator supports only 'pvesh get|set /cluster/options'", 255)
    verb, rest = args[0], args[1:]
    positional, options = parse(SPEC if verb == "set" else GET_SPEC, rest)
    if positional[0].rstrip("/") != PATH:
        raise PveError(f"pvesh: the simulator supports only 'pvesh {verb} {PATH}' (got '{positional[0]}')", 255)
    ctx.cluster.require_pmxcfs(ctx.node)
    current = read_options(ctx.cluster.cfs_read(ctx.node, FILE) or "")
    if verb == "get":
        shown = {key: _as_dict(current[key]) if key in PROPERTIES else current[key] for key in sorted(current)}
        indent = None if options.get("output-format") == "json" else 4
        return json.dumps(shown, indent=indent, sort_keys=True)
    changes = {key: _check_property(key, options[key]) for key in PROPERTIES if key in options}
    deleted = [k.strip() for k in str(options.get("delete", "")).split(",") if k.strip()]
    for key in deleted:
        if key in changes:
            raise param_error(SPEC, "delete", f"cannot set and delete property '{key}' at the same time")
    if not changes and not deleted:
        raise usage_error(SPEC, "400 Parameter verification failed.\nno options specified")
    for key in deleted:
        current.pop(key, None)
    current.update(changes)
    _write(ctx, current)
    return ""


def _as_dict(value: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in value.split(",") if "=" in part)


register_command("pvesh", pvesh)
