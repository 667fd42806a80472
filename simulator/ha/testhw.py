"""The regression-harness world (pve-ha-manager's Sim::Hardware/TestHardware).

Models nodes with power and network switches, quorum (a partition is
quorate with more than half of all nodes powered and networked; otherwise
every node counts as offline), cluster locks, watchdogs that power a node
off 60 s after their last update, the simulated service status per node, and
the harness loop: every loop runs one CRM and one LRM iteration per node in
sorted order (one simulated second each), lasts max(20, 2 x nodes) seconds,
applies a command batch every 5 loops, and ends 500 s after the last batch.
Leaves out: the Gtk simulator GUI and real-time mode.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import config
from .crm import CRM
from .lrm import LRM
from .testenv import TestEnv
from .tools import HAError

WATCHDOG_TIMEOUT = 60
MAX_SIM_TIME = 10000


class SimulationError(HAError):
    """The harness cannot go on (a bad command, a loop that exceeds the time cap)."""


@dataclass
class NodeSlot:
    crm_env: TestEnv
    lrm_env: TestEnv
    crm: CRM | None = None
    lrm: LRM | None = None
    lrm_restart: bool = False
    crm_stop: bool = False


@dataclass
class Hardware:
    status: dict[str, dict[str, Any]]
    service_config: dict[str, dict[str, Any]]
    manager_status: str = "{}"
    groups_raw: str | None = None
    rules_raw: str = ""
    datacenter: dict[str, Any] = field(default_factory=dict)
    static_service_stats: dict[str, dict[str, float]] = field(default_factory=dict)
    service_status: dict[str, dict[str, int]] = field(default_factory=dict)
    lrm_status: dict[str, str] = field(default_factory=dict)
    crm_commands: str = ""
    cluster_locks: dict[str, dict[str, Any]] = field(default_factory=dict)
    watchdogs: dict[str, dict[str, Any]] = field(default_factory=dict)
    fail_tries: dict[str, dict[str, int]] = field(default_factory=lambda: {"start": {}, "migrate": {}})
    cur_time: int = 0
    lines: list[str] = field(default_factory=list)
    printer: Callable[[str], None] | None = None
    default_state: str = "disabled"
    # the harness charges 1 s per daemon iteration and refuses >= 30 nodes; a large-cluster run
    # (benchmarks, the cluster adapter's tests) sets iteration_cost=0 and loop_seconds=10 (real round length)
    iteration_cost: int = 1
    loop_seconds: int | None = None
    history: list[tuple[int, str, str]] = field(default_factory=list)  # (time, event, subject): audit trail
    guests: dict[str, str] = field(default_factory=dict)  # sid -> node of guests HA does not manage yet
    nodes: dict[str, NodeSlot] = field(default_factory=dict)
    _wd_counter: int = 0
    _groups_cache: tuple[str | None, dict[str, Any]] | None = None
    _rules_cache: tuple[str, dict[str, Any]] | None = None

    def __post_init__(self) -> None:
        for node in sorted(self.status):
            self.service_status.setdefault(node, {})
            self.status[node].setdefault("power", "off")
            self.status[node].setdefault("network", "off")
            self.nodes[node] = NodeSlot(TestEnv(node, self, "crm"), TestEnv(node, self, "lrm"))

    # logging ---------------------------------------------------------------
    def emit(self, level: str, when: int, ident: str, msg: str) -> None:
        line = "%-5s %5d %12s: %s" % (level, when, ident, msg.rstrip("\n"))  # noqa: UP031 - the harness format
        self.lines.append(line)
        if self.printer:
            self.printer(line)

    def log(self, level: str, msg: str, ident: str = "hardware") -> None:
        self.emit(level, self.cur_time, ident, msg)

    # membership ------------------------------------------------------------
    def node_info(self) -> tuple[dict[str, dict[str, int]], bool]:
        info = {}
        online = 0
        for node, d in self.status.items():
            up = 1 if d["power"] == "on" and d["network"] == "on" else 0
            info[node] = {"online": up}
            online += up
        quorate = online > len(self.status) // 2
        if not quorate:
            for node in info:
                info[node]["online"] = 0
        return info, quorate

    def cfs_state(self, node: str, what: str) -> bool:
        return bool(self.status[node].get("cfs", {}).get(what, True))

    def cluster_lock(self, name: str, node: str, now: int, unlock: bool, log: Callable[[str, str], None]) -> bool:
        held = self.cluster_locks.get(name)
        if unlock:
            if held is None:
                return False
            if now - held["time"] > 120:
                return True
            if held["node"] == node:
                del self.cluster_locks[name]
                return True
            return False
        if held is not None and now - held["time"] <= 120:
            if held["node"] != node:
                return False
            held["time"] = now
            return True
        self.cluster_locks[name] = {"node": node, "time": now}
        log("info", f"got lock '{name}'")
        return True

    # watchdog ----------------------------------------------------------------
    def watchdog_open(self, node: str) -> str:
        self._wd_counter += 1
        handle = f"WD:{node}:{self._wd_counter}"
        self.watchdogs[handle] = {"node": node, "update_time": self.cur_time}
        return handle

    def _watchdog(self, handle: str) -> dict[str, Any]:
        wd = self.watchdogs.get(handle)
        if wd is None:
            raise HAError(f"no such watchdog handle '{handle}'")
        if self.cur_time - wd["update_time"] > WATCHDOG_TIMEOUT:
            raise HAError("watchdog expired")
        return wd

    def watchdog_update(self, handle: str) -> None:
        self._watchdog(handle)["update_time"] = self.cur_time

    def watchdog_close(self, handle: str) -> None:
        self._watchdog(handle)
        del self.watchdogs[handle]

    def watchdog_check(self, node: str) -> bool:
        ok = True
        for handle in [h for h, wd in self.watchdogs.items() if wd["node"] == node]:
            if self.cur_time - self.watchdogs[handle]["update_time"] > WATCHDOG_TIMEOUT:
                ok = False
                del self.watchdogs[handle]
        return ok

    def watchdog_reset(self, node: str) -> None:
        for handle in [h for h, wd in self.watchdogs.items() if wd["node"] == node]:
            del self.watchdogs[handle]

    # configuration -------------------------------------------------------------
    def read_service_config(self) -> dict[str, dict[str, Any]]:
        return {sid: config.service_defaults(sid, dict(cd), self.default_state)
                for sid, cd in self.service_config.items()}

    def update_service_config(self, sid: str, params: dict[str, Any], delete: str | None = None) -> None:
        conf = self.service_config.get(sid)
        if conf is None:
            raise HAError(f"no such resource '{sid}'")
        conf.update(params)
        if delete:
            conf.pop(delete, None)

    def change_service_location(self, sid: str, current: str, new: str) -> None:
        conf = self.service_config.get(sid)
        if conf is None:
            raise HAError(f"no such service '{sid}'")
        if conf["node"] != current:
            raise HAError(f"current_node for '{sid}' does not match ({current} != {conf['node']})")
        conf["node"] = new

    def read_group_config(self) -> dict[str, Any]:
        if self._groups_cache is None or self._groups_cache[0] != self.groups_raw:
            parsed = config.parse_groups("groups", self.groups_raw or "")
            self._groups_cache = (self.groups_raw, parsed)
        return copy.deepcopy(self._groups_cache[1])

    def read_rules_config(self) -> dict[str, Any]:
        if self._rules_cache is None or self._rules_cache[0] != self.rules_raw:
            self._rules_cache = (self.rules_raw, config.parse_rules("rules_config", self.rules_raw))
        return copy.deepcopy(self._rules_cache[1])

    def write_rules_config(self, rules: dict[str, Any]) -> None:
        self.rules_raw = config.format_rules(rules)

    def manager_status_dict(self) -> dict[str, Any]:
        return json.loads(self.manager_status)
