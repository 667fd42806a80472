"""The CRM master's work loop (pve-ha-manager's Manager.pm `manage`).

Models one manager round: node states from membership and LRM modes, new
and removed services, CRM commands (migrate, relocate, stop, node
maintenance, disarm/arm), compiling rules (with HA groups migrated to rules),
the persistent groups-to-rules migration of PVE 9, running every service
through its state machine until nothing changes, fencing and recovery, and
writing the manager status. Leaves out: dynamic CRS.
"""

from __future__ import annotations

import hashlib
from typing import Any

from . import config, rules
from .disarm import is_fully_disarmed, process_disarm
from .group_migration import try_persistent_group_migration
from .node_status import NodeStatus
from .service_fsm import ServiceStateMachine
from .tools import HAError
from .usage import BasicUsage, StaticUsage

VALID_SERVICE_STATES = ("stopped", "request_stop", "request_start", "request_start_balance", "started", "fence",
                        "recovery", "migrate", "relocate", "freeze", "error")

__all__ = ["Manager", "is_fully_disarmed"]


class Manager(ServiceStateMachine):
    def __init__(self, haenv: Any) -> None:
        self.haenv = haenv
        self.crs: dict[str, Any] = {}
        self.last_rules_digest = ""
        self.last_groups_digest = ""
        self.group_migration_round = 3
        self.compiled_rules: dict[str, Any] | None = None  # type: ignore[assignment]
        self.groups: dict[str, Any] = {"ids": {}, "digest": ""}
        self._uid_counter = 0
        old = haenv.read_manager_status()
        self.ns = NodeStatus(haenv, old.get("node_status") or {})
        self.ss: dict[str, Any] = old.get("service_status") or {}
        self.ms: dict[str, Any] = {"master_node": haenv.nodename()}
        for key in ("node_request", "disarm"):
            if old.get(key) is not None:
                self.ms[key] = old[key]
        self.online_node_usage: Any = BasicUsage(haenv)
        self.update_crs_scheduler_mode()

    def cleanup(self) -> None:
        pass

    def new_uid(self, state: str) -> str:
        self._uid_counter += 1
        seed = f"{state}:{self.haenv.nodename()}:{self.haenv.get_time()}:{self._uid_counter}"
        return hashlib.md5(seed.encode()).hexdigest()[:22]  # noqa: S324 - an id, as md5_base64 in PVE

    def update_crs_scheduler_mode(self) -> None:
        dc = self.haenv.get_datacenter_settings()
        crs = dc.get("crs") or {}
        self.crs["rebalance_on_request_start"] = bool(crs.get("ha-rebalance-on-start"))
        old, new = self.crs.get("scheduler"), crs.get("ha") or "basic"
        if old is None:
            if new != "basic":
                self.haenv.log("info", f"using scheduler mode '{new}'")
        elif new == old:
            return
        else:
            self.haenv.log("info", f"switching scheduler mode from '{old}' to '{new}'")
        self.crs["scheduler"] = new

    def flush_master_status(self) -> None:
        self.ms["node_status"] = self.ns.status
        self.ms["service_status"] = self.ss
        self.ms["timestamp"] = self.haenv.get_time()
        self.haenv.write_manager_status(self.ms)

    def recompute_online_node_usage(self) -> None:
        online = self.ns.list_online_nodes()
        usage: Any = None
        mode = self.crs.get("scheduler")
        if mode == "static":
            try:
                usage = StaticUsage(self.haenv)
                for node in online:
                    usage.add_node(node)
            except (ValueError, HAError) as err:
                self.haenv.log("warning", f"fallback to 'basic' scheduler mode, init for 'static' failed - {err}")
                usage = None
        elif mode not in (None, "basic"):
            self.haenv.log("warning", f"got unknown scheduler mode '{mode}', using 'basic'")
        if usage is None:
            usage = BasicUsage(self.haenv)
            for node in online:
                usage.add_node(node)
        for sid in sorted(self.ss):
            sd = self.ss[sid]
            usage.add_service_usage(sid, sd["state"], sd.get("node"), sd.get("target"))
        self.online_node_usage = usage

    def change_service_state(self, sid: str, new_state: str, **params: Any) -> None:
        sd = self.ss[sid]
        old_state = sd["state"]
        if old_state == new_state:
            raise HAError("no state change")
        if new_state not in VALID_SERVICE_STATES:
            raise HAError(f"invalid CRM service state '{new_state}'")
        keep = {k: sd[k] for k in ("node", "failed_nodes", "maintenance_node") if sd.get(k) is not None}
        sd.clear()
        sd["state"] = new_state
        sd["node"] = keep.get("node")
        for k in ("failed_nodes", "maintenance_node"):
            if k in keep:
                sd[k] = keep[k]
        text = ", ".join(f"{k} = {params[k]}" for k in sorted(params))
        sd.update(params)
        self.online_node_usage.remove_service_usage(sid)
        self.online_node_usage.add_service_usage(sid, sd["state"], sd.get("node"), sd.get("target"))
        sd["uid"] = self.new_uid(new_state)
        suffix = f"  ({text})" if text else ""
        self.haenv.log("info", f"service '{sid}': state changed from '{old_state}' to '{new_state}'{suffix}")

    def read_lrm_status(self) -> tuple[dict[str, Any], dict[str, str]]:
        results: dict[str, Any] = {}
        modes: dict[str, str] = {}
        for node in self.ns.list_nodes():
            status = self.haenv.read_lrm_status(node)
            modes[node] = status.get("mode") or "active"
            for uid, res in (status.get("results") or {}).items():
                results.setdefault(uid, res)
        return results, modes

    # CRM commands -----------------------------------------------------------
    def execute_migration(self, cmd: str, task: str, sid: str, target: str) -> None:
        ss = self.ss
        affinity = (self.compiled_rules or {}).get("resource-affinity", {"positive": {}, "negative": {}})
        together = affinity["positive"].get(sid, {})
        separate = affinity["negative"].get(sid, {})
        for csid in sorted(separate):
            sd = ss.get(csid)
            if sd is None or (sd.get("node") and sd["node"] != target) or (sd.get("target") and sd["target"] != target):
                continue
            self.haenv.log("err", f"crm command '{cmd}' error - service '{csid}' on node '{target}' in negative "
                                  f"affinity with service '{sid}'")
            return
        self.haenv.log("info", f"got crm command: {cmd}")
        ss[sid]["cmd"] = [task, target]
        for csid in sorted(together):
            sd = ss.get(csid)
            if sd is None or sd.get("node") == target or sd.get("target") == target:
                continue
            self.haenv.log("info", f"crm command '{cmd}' - {task} service '{csid}' to node '{target}' (service "
                                   f"'{csid}' in positive affinity with service '{sid}')")
            sd["cmd"] = [task, target]

    def _command_migrate(self, cmd: str, task: str, sid: str, node: str) -> None:
        sd = self.ss.get(sid)
        if sd is None:
            self.haenv.log("err", f"crm command error - no such service: {cmd}")
        elif not self.ns.node_is_online(node):
            self.haenv.log("err", f"crm command error - node not online: {cmd}")
        elif node == sd["node"]:
            self.haenv.log("info", f"ignore crm command - service already on target node: {cmd}")
        else:
            self.execute_migration(cmd, task, sid, node)

    def _command_maintenance(self, cmd: str, enable: bool, node: str) -> None:
        state = self.ns.get_node_state(node)
        requests = self.ms.setdefault("node_request", {})
        if enable:
            if state == "online":
                requests.setdefault(node, {})["maintenance"] = 1
            elif state == "maintenance":
                self.haenv.log("info", f"ignoring crm command - node {node} is already in maintenance state")
            else:
                self.haenv.log("err", f"crm command error - node not online: {cmd}")
            return
        if state != "maintenance":
            self.haenv.log("warn", f"clearing maintenance of node {node} requested, but it's in state {state}")
        requests.get(node, {}).pop("maintenance", None)
        if node in requests and not requests[node]:
            del requests[node]

    def update_crm_commands(self) -> None:
        for cmd in self.haenv.read_crm_commands().split("\n"):
            cmd = cmd.strip()
            if not cmd:
                continue
            words = cmd.split()
            if len(words) == 3 and words[0] in ("migrate", "relocate"):
                self._command_migrate(cmd, words[0], words[1], words[2])
            elif len(words) == 3 and words[0] == "stop":
                if words[1] in self.ss:
                    self.haenv.log("info", f"got crm command: {cmd}")
                    self.ss[words[1]]["cmd"] = ["stop", words[2]]
                else:
                    self.haenv.log("err", f"crm command error - no such service: {cmd}")
            elif len(words) == 2 and words[0] in ("enable-node-maintenance", "disable-node-maintenance"):
                self._command_maintenance(cmd, words[0].startswith("enable"), words[1])
            elif len(words) == 2 and words[0] == "disarm-ha" and words[1] in ("freeze", "ignore"):
                self.haenv.log("info", f"got crm command: {cmd}")
                self.ms["disarm"] = {"mode": words[1], "state": "disarming"}
            elif words == ["arm-ha"]:
                self.haenv.log("info", f"got crm command: {cmd}")
                if self.ms.pop("disarm", None) is not None:
                    self.haenv.log("info", "re-arming HA stack")
            else:
                self.haenv.log("err", f"unable to parse crm command: {cmd}")

    # the round ------------------------------------------------------------
    def manage(self) -> None:
        haenv, ns, ss = self.haenv, self.ns, self.ss
        node_info = haenv.get_node_info()
        changed_nodelist = ns.check_for_changed_nodelist(node_info)
        lrm_results, lrm_modes = self.read_lrm_status()
        ns.update(node_info, lrm_modes)
        if not ns.node_is_operational(haenv.nodename()):
            haenv.log("info", "master seems offline")
            return
        self.update_crs_scheduler_mode()
        try_persistent_group_migration(self)
        sc = haenv.read_service_config()
        self.groups = haenv.read_group_config()
        for sid in sorted(sc):
            cd = sc[sid]
            if sid in ss or cd["state"] == "ignored":
                continue
            haenv.log("info", f"adding new service '{sid}' on node '{cd['node']}'")
            state = "request_start" if cd["state"] == "started" else "request_stop"
            ss[sid] = {"state": state, "node": cd["node"], "uid": self.new_uid("started")}
        for sid in sorted(ss):
            if sid in sc and sc[sid]["state"] != "ignored":
                continue
            reason = "ignored state requested" if sid in sc else "no config"
            haenv.log("info", f"removing stale service '{sid}' ({reason})")
            del ss[sid]
        self.recompute_online_node_usage()
        self._update_rules(sc, changed_nodelist)
        self.update_crm_commands()
        process_disarm(self, sc, lrm_modes)
        ignoring = is_fully_disarmed(self.ms) and self.ms["disarm"].get("mode") == "ignore"
        while not ignoring and self._one_pass(sc, lrm_results, lrm_modes):
            pass
        self.flush_master_status()

    def _update_rules(self, sc: dict[str, Any], changed_nodelist: bool) -> None:
        new_rules = self.haenv.read_rules_config()
        config.migrate_groups_to_resources(self.groups, sc)
        if (self.compiled_rules is None or changed_nodelist or new_rules["digest"] != self.last_rules_digest
                or self.groups["digest"] != self.last_groups_digest):
            config.migrate_groups_to_rules(new_rules, self.groups, sc)
            nodes = self.ns.list_nodes()
            for msg in rules.transform(new_rules, nodes):
                self.haenv.log("info", msg)
            self.compiled_rules = rules.compile_rules(new_rules, nodes)
            self.last_rules_digest = new_rules["digest"]
            self.last_groups_digest = self.groups["digest"]

    def _next_state(self, sid: str, cd: dict[str, Any], sd: dict[str, Any], lrm_res: Any,
                    lrm_modes: dict[str, str]) -> None:
        state = sd["state"]
        if state == "stopped":
            self.next_state_stopped(sid, cd, sd, lrm_res)
        elif state == "started":
            self.next_state_started(sid, cd, sd, lrm_res)
        elif state == "request_start":
            self.next_state_request_start(sid, cd, sd, lrm_res)
        elif state in ("migrate", "relocate", "request_start_balance"):
            self.next_state_migrate_relocate(sid, cd, sd, lrm_res)
        elif state == "recovery":
            self.next_state_recovery(sid, cd, sd, lrm_res)
        elif state == "request_stop":
            self.next_state_request_stop(sid, cd, sd, lrm_res)
        elif state == "freeze":
            mode = lrm_modes.get(sd["node"]) if sd.get("node") else None
            if mode == "active" and not self.ms.get("disarm"):
                self.change_service_state(sid, "started" if cd["state"] == "started" else "request_stop")
        elif state == "error":
            self.next_state_error(sid, cd, sd, lrm_res)
        elif state != "fence":
            raise HAError(f"unknown service state '{state}'")

    def _one_pass(self, sc: dict[str, Any], lrm_results: dict[str, Any], lrm_modes: dict[str, str]) -> bool:
        """Run every service once plus fencing; True if another pass is needed."""
        repeat = False
        ss, ns = self.ss, self.ns
        for sid in sorted(ss):
            sd = ss[sid]
            if sd is None:
                continue
            cd = sc.get(sid) or {"state": "disabled"}
            lrm_res = lrm_results.get(sd["uid"]) if sd.get("uid") else None
            last_state = sd["state"]
            self._next_state(sid, cd, sd, lrm_res, lrm_modes)
            mode = lrm_modes.get(sd["node"]) if sd.get("node") else None
            if mode == "restart" and sd["state"] in ("started", "stopped", "request_stop"):
                self.change_service_state(sid, "freeze")
            if sd["state"] != last_state:
                repeat = True
        fenced: dict[str, bool] = {}
        for sid in sorted(ss):
            sd = ss[sid]
            if sd["state"] != "fence":
                continue
            node = sd["node"]
            if node not in fenced:
                fenced[node] = bool(ns.fence_node(node))
            if fenced[node]:
                self.change_service_state(sid, "recovery")
                repeat = True
        for node in sorted(n for n in ns.status if n not in fenced):
            if ns.get_node_state(node) != "fence":
                continue
            self.haenv.log("notice", f"node '{node}' in fence state but no services to-fence! admin interference?!")
            if ns.fence_node(node):
                repeat = True
        return repeat
