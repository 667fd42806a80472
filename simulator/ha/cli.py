"""The `ha-manager` command (pve-ha-manager's CLI/ha_manager.pm and API2/HA/*).

`run_ha_manager(env, argv)` runs one command line against an `HAEnv` and
returns (exit code, output). Models add, set, remove, config, status,
migrate, relocate, crm-command (migrate, relocate, stop, node-maintenance
enable|disable, disarm-ha, arm-ha), groupadd/groupset/groupremove/groupconfig
(refused once groups were migrated to rules, as on PVE 9) and rules
add|set|remove|config, with PVE's usage errors and API error texts.
Wording marked UNVERIFIED in docs/ha.md was chosen, not read in source.
Leaves out: `--purge 0` keeping rule references, and bash completion.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from simulator.cli.common import Spec, param_error, parse
from simulator.errors import PveError

from .cli_status import render_status
from .tools import HAError

STATES = "started|stopped|enabled|disabled|ignored"
RESOURCE_OPTS = {"state": STATES, "group": "str", "max_restart": "int", "max_relocate": "int", "comment": "str",
                 "failback": "bool"}


@dataclass
class CliResult:
    code: int
    output: str


def _spec(usage: str, positional: list[str], options: dict[str, str] | None = None, optional: int = 0) -> Spec:
    """An ha-manager command line, read as the ha-manager model always did (see the last fields of Spec)."""
    return Spec(usage=f"ha-manager {usage}", positional=positional, options=options or {},
                minimum={"max_restart": 0, "max_relocate": 0}, optional_positional=optional,
                typed_bools=True, missing_value="Missing value for option: {name}", minimum_first=True)


SPECS = {
    "add": _spec("add <sid> [OPTIONS]", ["sid"], RESOURCE_OPTS),
    "set": _spec("set <sid> [OPTIONS]", ["sid"], {**RESOURCE_OPTS, "delete": "str", "digest": "str"}),
    "remove": _spec("remove <sid> [OPTIONS]", ["sid"], {"purge": "bool"}),
    "config": _spec("config [OPTIONS]", [], {"type": "vm|ct"}),
    "status": _spec("status [OPTIONS]", [], {"verbose": "bool"}),
    "migrate": _spec("migrate <sid> <node>", ["sid", "node"]),
    "relocate": _spec("relocate <sid> <node>", ["sid", "node"]),
    "groupadd": _spec("groupadd <group> --nodes <string> [OPTIONS]", ["group"],
                      {"nodes": "str", "restricted": "bool", "nofailback": "bool", "comment": "str", "type": "group"}),
    "groupset": _spec("groupset <group> [OPTIONS]", ["group"],
                      {"nodes": "str", "restricted": "bool", "nofailback": "bool", "comment": "str", "delete": "str",
                       "digest": "str"}),
    "groupremove": _spec("groupremove <group>", ["group"]),
    "groupconfig": _spec("groupconfig", []),
}


def _sid(env: Any, spec: Spec, value: str) -> str:
    """`100` -> `vm:100` (by guest type); `vm:100` stays; anything else is a parameter error."""
    if re.match(r"^[1-9][0-9]*$", value):
        kind = env.guest_type(value)
        if kind is None:
            # "unable do detect" is the real (misspelt) text of PVE::HA::Config::parse_sid
            raise PveError(f"unable do detect SID from VMID - VM/CT {value} does not exist")
        return f"{kind}:{value}"
    if not re.match(r"^(vm|ct):[1-9][0-9]*$", value):
        raise param_error(spec, "sid", "value does not look like a valid ha resource id")
    return value


def _error_state(env: Any, sid: str, req_state: str | None = None) -> None:
    sd = (env.read_manager_status().get("service_status") or {}).get(sid)
    if sd and sd.get("state") == "error" and req_state != "disabled":
        raise PveError(f"service '{sid}' in error state, must be disabled and fixed first")


def cmd_add(env: Any, args: list[str]) -> str:
    spec = SPECS["add"]
    (raw,), opts = parse(spec, args)
    sid = _sid(env, spec, raw)
    resources = env.read_resources()
    if sid in resources:
        raise PveError(f"create resource failed: resource ID '{sid}' already defined")
    if env.guest_type(sid.split(":")[1]) != sid.split(":")[0]:
        raise PveError(f"resource '{sid}' does not exist in cluster")
    _check_group_option(env, opts)
    resources[sid] = {k: v for k, v in opts.items()}
    env.write_resources(resources)
    return ""


def _check_group_option(env: Any, opts: dict[str, Any]) -> None:
    if "group" not in opts:
        return
    if env.ha_groups_migrated():
        raise PveError("invalid parameter 'group': ha groups have been migrated to rules")
    if opts["group"] not in env.read_group_config()["ids"]:
        raise PveError(f"HA group '{opts['group']}' does not exist")


def cmd_set(env: Any, args: list[str]) -> str:
    spec = SPECS["set"]
    (raw,), opts = parse(spec, args)
    sid = _sid(env, spec, raw)
    resources = env.read_resources()
    if sid not in resources:
        raise PveError(f"update resources config failed: no such resource '{sid}'")
    if "state" in opts:
        _error_state(env, sid, opts["state"])
    _check_group_option(env, opts)
    opts.pop("digest", None)
    for key in [k for k in re.split(r"[\s,;]+", opts.pop("delete", "")) if k]:
        if key not in RESOURCE_OPTS:
            raise PveError(f"update resources config failed: no such option '{key}'")
        resources[sid].pop(key, None)
    resources[sid].update(opts)
    env.write_resources(resources)
    return ""


def cmd_remove(env: Any, args: list[str]) -> str:
    spec = SPECS["remove"]
    (raw,), opts = parse(spec, args)
    sid = _sid(env, spec, raw)
    resources = env.read_resources()
    if sid not in resources:
        raise PveError(f"cannot delete service '{sid}', not HA managed!")
    del resources[sid]
    env.write_resources(resources)
    if opts.get("purge", 1):
        rules = env.read_rules_config()
        for rid in sorted(rules["ids"]):
            rules["ids"][rid]["resources"].pop(sid, None)
            if not rules["ids"][rid]["resources"]:
                del rules["ids"][rid]
        env.write_rules_config(rules)
    return ""


def cmd_config(env: Any, args: list[str]) -> str:
    _, opts = parse(SPECS["config"], args)
    lines = []
    for sid, cd in sorted(env.read_resources().items()):
        if opts.get("type") and not sid.startswith(opts["type"] + ":"):
            continue
        lines.append(sid)
        lines.extend(f"\t{k} {cd[k]}" for k in sorted(cd))
        lines.append("")
    return "\n".join(lines)


def cmd_status(env: Any, args: list[str]) -> str:
    _, opts = parse(SPECS["status"], args)
    return render_status(env, bool(opts.get("verbose")))


def _migrate(env: Any, task: str, sid: str, node: str) -> str:
    resources = env.read_resources()
    if sid not in resources or resources[sid].get("state") == "ignored":
        raise PveError(f"resource '{sid}' is not HA managed")
    _error_state(env, sid)
    messages = _affinity_messages(env, task, sid, node)
    env.queue_crm_commands(f"{task} {sid} {node}")
    return "\n".join(messages)


def _affinity_messages(env: Any, task: str, sid: str, node: str) -> list[str]:
    """Refuse moves that break negative resource affinity; list positive companions."""
    from .rules import compile_rules, transform

    rules = env.read_rules_config()
    transform(rules, env.cluster_nodes())
    affinity = compile_rules(rules, env.cluster_nodes())["resource-affinity"]
    ss = env.read_manager_status().get("service_status") or {}
    blockers = [c for c in sorted(affinity["negative"].get(sid, {}))
                if (ss.get(c) or {}).get("node") == node or (ss.get(c) or {}).get("target") == node]
    if blockers:
        lines = [f"cannot {task} resource '{sid}' to node '{node}':", ""]
        lines += [f"- resource '{c}' on target node '{node}' in negative affinity with resource '{sid}'"
                  for c in blockers]
        raise PveError("\n".join(lines))
    return [f"also {task} resource '{c}' in positive affinity with resource '{sid}' to target node '{node}'"
            for c in sorted(affinity["positive"].get(sid, {})) if (ss.get(c) or {}).get("node") != node]


def cmd_migrate(env: Any, args: list[str], task: str = "migrate") -> str:
    spec = SPECS[task]
    (raw, node), _ = parse(spec, args)
    return _migrate(env, task, _sid(env, spec, raw), node)


def cmd_crm_command(env: Any, args: list[str]) -> str:
    usage = "ha-manager crm-command <arm-ha|disarm-ha|migrate|node-maintenance|relocate|stop> ..."
    if not args:
        raise PveError(f"400 not enough arguments\n{usage}")
    verb, rest = args[0], args[1:]
    if verb in ("migrate", "relocate"):
        return cmd_migrate(env, rest, verb)
    if verb == "stop":
        spec = _spec("crm-command stop <sid> <timeout>", ["sid", "timeout"])
        (raw, timeout), _ = parse(spec, rest)
        sid = _sid(env, spec, raw)
        if not re.match(r"^\d+$", timeout):
            raise param_error(spec, "timeout", f"type check ('integer') failed - got '{timeout}'")
        if sid not in env.read_resources():
            raise PveError(f"resource '{sid}' is not HA managed")
        _error_state(env, sid)
        env.queue_crm_commands(f"stop {sid} {timeout}")
        return ""
    if verb == "node-maintenance":
        spec = _spec("crm-command node-maintenance <enable|disable> <node>", ["action", "node"])
        (action, node), _ = parse(spec, rest)
        if action not in ("enable", "disable"):
            raise param_error(spec, "action", f"value '{action}' does not have a value in the enumeration "
                                              "'enable, disable'")
        if node not in env.cluster_nodes():
            raise PveError(f"no such cluster node '{node}'")
        env.queue_crm_commands(f"{action}-node-maintenance {node}")
        return ""
    if verb == "disarm-ha":
        spec = _spec("crm-command disarm-ha <mode>", ["mode"])
        (mode,), _ = parse(spec, rest)
        if mode not in ("freeze", "ignore"):
            raise param_error(spec, "mode", f"value '{mode}' does not have a value in the enumeration "
                                            "'freeze, ignore'")
        env.queue_crm_commands(f"disarm-ha {mode}")
        return ""
    if verb == "arm-ha":
        parse(_spec("crm-command arm-ha", []), rest)
        env.queue_crm_commands("arm-ha")
        return ""
    raise PveError(f"ERROR: unknown command 'ha-manager crm-command {verb}'\nUSAGE: {usage}")


def _commands() -> dict[str, Any]:
    from . import cli_config

    return {
        "add": cmd_add, "set": cmd_set, "remove": cmd_remove, "config": cmd_config, "status": cmd_status,
        "migrate": cmd_migrate, "relocate": lambda env, args: cmd_migrate(env, args, "relocate"),
        "crm-command": cmd_crm_command, "groupadd": cli_config.cmd_groupadd,
        "groupset": cli_config.cmd_groupset, "groupremove": cli_config.cmd_groupremove,
        "groupconfig": cli_config.cmd_groupconfig, "rules": cli_config.cmd_rules,
    }


USAGE = "USAGE: ha-manager <COMMAND> [ARGS] [OPTIONS]\n" + "\n".join(
    f"       ha-manager {line}" for line in (
        "add <sid> [OPTIONS]", "config [OPTIONS]", "crm-command <cmd> ...", "groupadd <group> --nodes <string> "
        "[OPTIONS]", "groupconfig", "groupremove <group>", "groupset <group> [OPTIONS]", "migrate <sid> <node>",
        "relocate <sid> <node>", "remove <sid> [OPTIONS]", "rules <cmd> ...", "set <sid> [OPTIONS]",
        "status [OPTIONS]", "help [<extra-args>] [OPTIONS]"))


def run_ha_manager(env: Any, argv: list[str]) -> CliResult:
    """Run `ha-manager argv...`; never raises for bad input."""
    if not argv or argv[0] == "help":
        return CliResult(0 if argv else 255, USAGE if argv else f"ERROR: no command specified\n{USAGE}")
    handler = _commands().get(argv[0])
    if handler is None:
        return CliResult(255, f"ERROR: unknown command 'ha-manager {argv[0]}'\n{USAGE}")
    try:
        return CliResult(0, handler(env, argv[1:]))
    except PveError as err:
        return CliResult(err.exit_code, err.message)
    except HAError as err:
        return CliResult(255, str(err))

