"""Hardware commands and the harness run loop (Sim::Hardware `sim_hardware_cmd`, TestHardware `run`).

Models the cmdlist grammar (power, network, cfs, reboot, shutdown,
restart-lrm, crm ..., service ..., pve-manager-version, delay, skip-round)
and the loop timing described in `testhw`. Leaves out: `fence.cfg` agents.
"""

from __future__ import annotations

import re

from .crm import CRM
from .lrm import LRM
from .testhw import MAX_SIM_TIME, Hardware, NodeSlot, SimulationError
from .tools import SID_RE

SERVICE_STATES = ("started", "disabled", "stopped", "ignored")


def _power(hw: Hardware, node: str, slot: NodeSlot, action: str) -> None:
    status = hw.status[node]
    if status["power"] != action:
        if action == "on":
            if slot.crm is None:
                slot.crm = CRM(slot.crm_env)
            if slot.lrm is None:
                slot.lrm = LRM(slot.lrm_env)
            slot.lrm_restart = False
            status["cfs"] = {}
        else:
            if slot.crm is not None:
                slot.crm_env.log("info", "killed by poweroff")
                slot.crm = None
            if slot.lrm is not None:
                slot.lrm_env.log("info", "killed by poweroff")
                slot.lrm = None
                slot.lrm_restart = False
            hw.watchdog_reset(node)
            hw.service_status[node] = {}
        hw.history.append((hw.cur_time, f"power-{action}", node))
    status["power"] = action
    status["network"] = action
    status.pop("shutdown", None)


def _node_command(hw: Hardware, cmd: str, node: str, action: str, params: list[str]) -> None:
    slot = hw.nodes[node]
    status = hw.status[node]
    if cmd == "power":
        _power(hw, node, slot, action)
    elif cmd == "network":
        status["network"] = action
    elif cmd == "cfs":
        status.setdefault("cfs", {})[action] = params[0] == "work"
    elif cmd in ("reboot", "shutdown"):
        status["shutdown"] = cmd
        if slot.lrm is not None:
            slot.lrm.request_shutdown()
    elif cmd == "restart-lrm":
        if slot.lrm is not None:
            slot.lrm_restart = True
            slot.lrm.request_shutdown()
    elif cmd == "pve-manager-version":
        status["pve-manager-version"] = params[0]
    elif cmd == "crm":
        _crm_command(hw, node, slot, action, params)


def _crm_command(hw: Hardware, node: str, slot: NodeSlot, action: str, params: list[str]) -> None:
    if action == "stop":
        if slot.crm is not None:
            slot.crm_stop = True
            slot.crm.request_shutdown()
    elif action == "start":
        if slot.crm is None:
            slot.crm = CRM(slot.crm_env)
    elif action in ("enable-node-maintenance", "disable-node-maintenance"):
        hw.crm_commands += f"{action} {node}\n"
    elif action == "disarm-ha":
        hw.crm_commands += f"disarm-ha {params[0]}\n"
    elif action == "arm-ha":
        hw.crm_commands += "arm-ha\n"


def _service_command(hw: Hardware, sid: str, action: str, params: list[str]) -> None:
    conf = hw.service_config
    if action in SERVICE_STATES:
        conf[sid]["state"] = action
    elif action in ("migrate", "relocate", "stop"):
        hw.crm_commands += f"{action} {sid} {params[0]}\n"
    elif action == "add":
        if sid in conf:
            raise SimulationError(f"resource ID '{sid}' already defined")
        conf[sid] = {"state": params[1] if len(params) > 1 else "started", "node": params[0]}
        hw.service_status[params[0]][sid] = int(params[2]) if len(params) > 2 else 0
    elif action == "delete":
        del conf[sid]
    elif action == "lock":
        conf[sid]["lock"] = params[0] if params else "backup"
    elif action == "unlock":
        if not params or conf[sid].get("lock") == params[0]:
            conf[sid].pop("lock", None)
    elif action == "manual-migrate":
        source = conf[sid]["node"]
        running = hw.service_status[source].pop(sid, 0)
        conf[sid]["node"] = params[0]
        hw.service_status[params[0]][sid] = running
    elif action == "set-static-stats":
        stats = hw.static_service_stats.setdefault(sid, {})
        for pair in params:
            key, _, value = pair.partition("=")
            stats[key] = float(value)


def check_command(hw: Hardware, cmdstr: str) -> str | None:
    """Why `cmdstr` is not a valid harness command, or None if it is."""
    words = cmdstr.split()
    if not words:
        return "empty command"
    if re.match(r"^delay\s+\d+\s*$", cmdstr) or re.match(r"^skip-round\s+(lrm|crm)(\s+\d+)?\s*$", cmdstr):
        return None
    if len(words) < 2:
        return f"no node or service for command '{cmdstr}' specified"
    cmd, obj, action, params = words[0], words[1], (words[2] if len(words) > 2 else ""), words[3:]
    if cmd == "service":
        return _check_service(hw, obj, action, params)
    if obj not in hw.status:
        return f"no such node '{obj}'"
    grammar = {"power": ("on", "off"), "network": ("on", "off"), "cfs": ("rw", "update")}
    if cmd in grammar:
        if action not in grammar[cmd]:
            return f"unknown action '{action}' for '{cmd}'"
        if cmd == "cfs" and (not params or params[0] not in ("work", "fail")):
            return f"unknown cfs command for '{action}' on node '{obj}' (expected work or fail)"
        return None
    if cmd in ("reboot", "shutdown", "restart-lrm"):
        return None
    if cmd == "pve-manager-version":
        return None if action == "set" and params else "usage: pve-manager-version <node> set <version>"
    if cmd == "crm":
        if action in ("stop", "start", "enable-node-maintenance", "disable-node-maintenance", "arm-ha"):
            return None
        if action == "disarm-ha" and params and params[0] in ("freeze", "ignore"):
            return None
        return f"unknown crm action '{' '.join(words[2:])}'"
    return f"unknown command '{cmdstr}'"


def _check_service(hw: Hardware, sid: str, action: str, params: list[str]) -> str | None:
    if not SID_RE.match(sid):
        return f"invalid HA resource id '{sid}'"
    if action in ("migrate", "relocate", "manual-migrate") and (not params or params[0] not in hw.status):
        return f"missing or unknown target node for '{action}' command"
    if action == "stop" and (not params or not params[0].isdigit()):
        return f"missing timeout for '{action}' command"
    if action == "add" and (not params or params[0] not in hw.status):
        return "missing or unknown node for 'add' command"
    known = (*SERVICE_STATES, "migrate", "relocate", "stop", "add", "delete", "lock", "unlock", "manual-migrate",
             "set-static-stats")
    if action not in known:
        return f"unknown service action '{action}' - not implemented"
    return None


def sim_hardware_cmd(hw: Hardware, cmdstr: str, logid: str | None = None) -> None:
    error = check_command(hw, cmdstr)
    if error:
        raise SimulationError(f"sim_hardware_cmd: {error}")
    words = cmdstr.split()
    cmd, obj, action, params = words[0], words[1], (words[2] if len(words) > 2 else ""), words[3:]
    if cmd == "service" and action not in ("add", "migrate", "relocate", "stop") and obj not in hw.service_config:
        raise SimulationError(f"sim_hardware_cmd: no such service '{obj}'")
    hw.log("info", f"execute {cmdstr}", logid or "hardware")
    if cmd == "service":
        _service_command(hw, obj, action, params)
    else:
        _node_command(hw, cmd, obj, action, params)


# the loop ---------------------------------------------------------------------
def _after_crm_exit(hw: Hardware, node: str, slot: NodeSlot) -> None:
    slot.crm_env.log("info", "exit (loop end)")
    slot.crm = None
    shutdown = hw.status[node].get("shutdown") or ""
    if shutdown == "reboot":
        sim_hardware_cmd(hw, f"power {node} off", "reboot")
        sim_hardware_cmd(hw, f"power {node} on", "reboot")
    elif shutdown == "shutdown":
        sim_hardware_cmd(hw, f"power {node} off", "shutdown")
    elif not slot.crm_stop:
        raise SimulationError("unexpected CRM exit - not implemented")
    slot.crm_stop = False


def _after_lrm_exit(hw: Hardware, node: str, slot: NodeSlot) -> None:
    slot.lrm_env.log("info", "exit (loop end)")
    slot.lrm = None
    shutdown = hw.status[node].get("shutdown") or ""
    if slot.lrm_restart:
        if shutdown:
            raise SimulationError("lrm restart during shutdown - not implemented")
        slot.lrm_restart = False
        slot.lrm = LRM(slot.lrm_env)
    elif shutdown in ("reboot", "shutdown"):
        sim_hardware_cmd(hw, f"crm {node} stop", shutdown)
    else:
        raise SimulationError("unexpected LRM exit - not implemented")


def _run_node(hw: Hardware, node: str, nodes: list[str], skip: dict[str, int], first: bool) -> None:
    slot = hw.nodes[node]
    for kind in ("crm", "lrm"):
        daemon = getattr(slot, kind)
        if daemon is None:
            continue
        env = slot.crm_env if kind == "crm" else slot.lrm_env
        exited = False
        if not skip.get(kind):
            exited = not daemon.do_one_iteration()
        elif first:
            hw.log("info", f"skipping {kind.upper()} round", "run-loop")
        hw.cur_time = max(hw.cur_time, env.get_time())
        if exited:
            (_after_crm_exit if kind == "crm" else _after_lrm_exit)(hw, node, slot)
    for other in nodes:
        if not hw.watchdog_check(other):
            sim_hardware_cmd(hw, f"power {other} off", "watchdog")
            hw.log("info", f"server '{other}' stopped by poweroff (watchdog)")
            hw.history.append((hw.cur_time, "watchdog-fenced", other))
            hw.nodes[other].crm = None
            hw.nodes[other].lrm = None


def loop_length(hw: Hardware) -> int:
    if hw.loop_seconds:
        return hw.loop_seconds
    looptime = max(20, 2 * len(hw.nodes))
    if looptime >= 60:
        raise SimulationError("unable to simulate so many nodes. You need to increate watchdog/lock timeouts.")
    return looptime


def run_loop(hw: Hardware, nodes: list[str], skip: dict[str, int], looptime: int) -> None:
    """One harness loop: every node's CRM and LRM once, then the clock moves to the loop end."""
    start = hw.cur_time
    for index, node in enumerate(nodes):
        _run_node(hw, node, nodes, skip, index == 0)
    for kind in ("crm", "lrm"):
        if skip.get(kind):
            skip[kind] -= 1
    if hw.cur_time - start < looptime:
        hw.cur_time = start + looptime
    for node in nodes:
        hw.nodes[node].lrm_env.loop_start_hook()
        hw.nodes[node].crm_env.loop_start_hook()


def advance(hw: Hardware, seconds: int) -> None:
    """Let `seconds` of simulated time pass (whole loops), without a cmdlist."""
    nodes = sorted(hw.nodes)
    looptime = loop_length(hw)
    until = hw.cur_time + seconds
    while hw.cur_time < until:
        run_loop(hw, nodes, {}, looptime)


def run(hw: Hardware, cmdlist: list[list[str]]) -> None:
    """Run the simulation until 500 s after the last command batch."""
    batches = list(cmdlist)
    last_command_time, next_cmd_at, loop_count = 0, 0, 0
    skip: dict[str, int] = {}
    nodes = sorted(hw.nodes)
    looptime = loop_length(hw)
    batch_every = 5 if not hw.loop_seconds else max(1, 100 // hw.loop_seconds)
    while True:
        run_loop(hw, nodes, skip, looptime)
        if hw.cur_time > MAX_SIM_TIME:
            raise SimulationError(f"simulation exceeded maximum time ({MAX_SIM_TIME}) - force end")
        if hw.cur_time < next_cmd_at:
            continue
        if loop_count % batch_every == 0:
            batch = batches.pop(0) if batches else None
            if batch is None and hw.cur_time - last_command_time > 500:
                return
            for cmd in batch or []:
                last_command_time = hw.cur_time
                delay = re.match(r"^delay\s+(\d+)\s*$", cmd)
                skip_round = re.match(r"^skip-round\s+(lrm|crm)(?:\s+(\d+))?\s*$", cmd)
                if delay:
                    hw.log("info", f"execute {cmd}", "cmdlist")
                    next_cmd_at = hw.cur_time + int(delay.group(1))
                elif skip_round:
                    hw.log("info", f"execute {cmd}", "cmdlist")
                    kind = skip_round.group(1)
                    skip[kind] = skip.get(kind, 0) + int(skip_round.group(2) or 1)
                else:
                    sim_hardware_cmd(hw, cmd, "cmdlist")
        loop_count += 1


def new_world(node_count: int = 3, services: dict[str, dict[str, str]] | None = None,
              powered: bool = True, fast: bool = False) -> Hardware:
    """A harness world with node1..nodeN (powered on unless told) and the given HA services.

    `fast` models real 10 s rounds with free iterations, so any node count works.
    """
    status = {f"node{i}": {"power": "off", "network": "off"} for i in range(1, node_count + 1)}
    # a missing `state` means started, as in a real resources.cfg (scenario folders keep the sim's `disabled`)
    hw = Hardware(status=status, service_config={sid: dict(cd) for sid, cd in (services or {}).items()},
                  default_state="started")
    if fast:
        hw.iteration_cost, hw.loop_seconds = 0, 10
    if powered:
        for node in sorted(status):
            sim_hardware_cmd(hw, f"power {node} on", "cmdlist")
    return hw
