"""Executing one LRM request through a resource agent (LRM.pm `exec_resource_agent`).

Models the request kinds `started`, `request_stop`/`stopped` (with the stop
timeout), `migrate` (online) and `relocate` (stop, move, start), `error`, and
the wrong-node check, and `request_start_balance` (move a not yet running
service before its start; IGNORED if it already runs). The agent itself
(start a VM, stop it, migrate it) is whatever the environment does.
Leaves out: nothing the harness exercises.
"""

from __future__ import annotations

from typing import Any

from . import tools


def exec_resource_agent(haenv: Any, sid: str, cd: dict[str, Any] | None, cmd: str, params: dict[str, Any]) -> Any:
    """An exit code (tools.SUCCESS, ...), or a pending task object for a migration still running."""
    try:
        kind, _name = tools.parse_sid(sid)
    except tools.HAError as err:
        haenv.log("err", str(err))
        return tools.EUNKNOWN_SERVICE
    if kind not in ("vm", "ct", "fa"):
        haenv.log("err", f"service type '{kind}' not implemented")
        return tools.EUNKNOWN_SERVICE_TYPE
    if not cd:
        haenv.log("err", f"missing resource configuration for '{sid}'")
        return tools.EUNKNOWN_SERVICE
    if cmd == "error":
        haenv.log("err", f"service {sid} is in an error state and needs manual intervention. Look up 'ERROR "
                         "RECOVERY' in the documentation.")
        return tools.SUCCESS
    if cd["node"] != haenv.nodename():
        haenv.log("err", f"service '{sid}' not on this node")
        return tools.EWRONG_NODE
    running = haenv.resource_check_running(sid)
    if cmd == "started":
        return _start(haenv, sid, running)
    if cmd in ("request_stop", "stopped"):
        return _stop(haenv, sid, running, params.get("timeout"))
    if cmd in ("migrate", "relocate", "request_start_balance"):
        target = params.get("target")
        if target is None:
            haenv.log("err", f"{cmd} '{sid}' failed - missing target")
            return tools.EINVALID_PARAMETER
        if cd["node"] == target:
            return tools.SUCCESS
        if cmd == "request_start_balance" and running:
            return tools.IGNORED  # rebalancing only moves services that are not running yet
        moved = haenv.resource_migrate(sid, target, cmd == "migrate")
        if not isinstance(moved, bool):
            return moved  # a pending task: the LRM polls it (`poll() -> exit code or None`)
        if not moved:
            haenv.log("err", f"service {sid} not moved (migration error)")
            return tools.ERROR
        return tools.SUCCESS
    haenv.log("err", f"implement me (cmd '{cmd}')")
    return tools.EUNKNOWN_COMMAND


def _start(haenv: Any, sid: str, running: bool) -> int:
    if running:
        return tools.SUCCESS
    haenv.log("info", f"starting service {sid}")
    haenv.resource_start(sid)
    if haenv.resource_check_running(sid):
        haenv.log("info", f"service status {sid} started")
        return tools.SUCCESS
    haenv.log("warning", f"unable to start service {sid}")
    return tools.ERROR


def _stop(haenv: Any, sid: str, running: bool, timeout: Any) -> int:
    if not running:
        return tools.SUCCESS
    if timeout is not None:
        haenv.log("info", f"stopping service {sid} (timeout={timeout})")
    else:
        haenv.log("info", f"stopping service {sid}")
    haenv.resource_shutdown(sid, timeout)
    if not haenv.resource_check_running(sid):
        haenv.log("info", f"service status {sid} stopped")
        return tools.SUCCESS
    haenv.log("info", f"unable to stop service {sid} (still running)")
    return tools.ERROR
