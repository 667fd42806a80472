"""Faults an instructor, a grader probe or a student can inject.

Models: power a node (or an external host) off/on (a powered-off node loses
its running guests and corosync's runtime state; a booted node starts
pve-cluster and, if clustered, corosync), a node's whole network off/on, a
single link between two machines down/up, an arbitrary split into groups
(`partition pve1,pve2|pve3`, `partition heal`), and a crashed service
(`crash pve2 corosync`), and a clean `shutdown NODE` / `reboot NODE` (shutdown.py).
Command syntax: `power NODE on|off`, `network NODE on|off`, `link A B down|up`,
`partition A,B|C`, `crash NODE SERVICE`, `shutdown NODE`, `reboot NODE`.
Leaves out: flapping links, packet loss and latency.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator.errors import PveError
from simulator.nodes import SERVICES, ExternalHost, Node

if TYPE_CHECKING:
    from simulator.cluster import Cluster

FAULT_COMMANDS = ("power", "network", "link", "partition", "crash", "shutdown", "reboot")
FAULT_USAGE = {
    "power": "usage: power NODE on|off",
    "network": "usage: network NODE on|off",
    "link": "usage: link A B down|up",
    "partition": "usage: partition NODE[,NODE...]|NODE[,NODE...][|...]  or  partition heal",
    "crash": "usage: crash NODE corosync|pve-cluster",
    "shutdown": "usage: shutdown NODE",
    "reboot": "usage: reboot NODE",
}


class FaultsMixin:
    def _machine(self: Cluster, name: str) -> Node | ExternalHost:
        machine = self.nodes.get(name) or self.hosts.get(name)
        if machine is None:
            raise PveError(f"unknown node or host '{name}'", 2)
        return machine

    def power(self: Cluster, name: str, on: bool) -> None:
        machine = self._machine(name)
        if machine.power == on:
            return
        machine.power = on
        self.log.add(self.clock.now, name, "sim", f"{name}: power {'on' if on else 'off'}")
        if name in self.nodes:
            self._node_power_changed(name, on)
        self.refresh_membership()
        if on and name in self.nodes:
            self.schedule(0, "onboot", {"node": name, "boot": self.clock.now, "tries": 0})

    def _node_power_changed(self: Cluster, name: str, on: bool) -> None:
        node = self.nodes[name]
        node.running = []
        node.expected_override = None
        node.shutdown = None  # a clean shutdown ends here (or is cut short by the power fault)
        for task in node.tasks:
            if task.running and not on:
                task.finish(self.clock.wall(), "unexpected status")  # the worker died with the node
        if on:
            node.boot_time = self.clock.now
            node.services["pve-cluster"] = True
            node.services["corosync"] = self.conf_of(name) is not None
            for service in SERVICES:
                node.service_since[service] = self.clock.now
                node.service_failed[service] = False
                if node.services[service]:
                    node.service_pids[service] = node.alloc_pid()
            if node.services["corosync"]:
                self.log.add(self.clock.now, name, "corosync", "  [MAIN  ] Corosync Cluster Engine  starting up")
        else:
            node.services = dict.fromkeys(SERVICES, False)

    def network(self: Cluster, name: str, on: bool) -> None:
        machine = self._machine(name)
        if machine.network != on:
            machine.network = on
            self.log.add(self.clock.now, name, "sim", f"{name}: network {'on' if on else 'off'}")
            self.refresh_membership()

    def link(self: Cluster, a: str, b: str, up: bool) -> None:
        self._machine(a)
        self._machine(b)
        if a == b:
            raise PveError("link: both ends are the same machine", 2)
        pair = (min(a, b), max(a, b))
        if up:
            self.cut_links.discard(pair)
        else:
            self.cut_links.add(pair)
        self.log.add(self.clock.now, "cluster", "sim", f"link {pair[0]}-{pair[1]} {'up' if up else 'down'}")
        self.refresh_membership()

    def partition(self: Cluster, groups: list[list[str]]) -> None:
        """Cut every link between machines of different groups (and heal those within)."""
        names = [n for g in groups for n in g]
        for name in names:
            self._machine(name)
        if len(set(names)) != len(names):
            raise PveError("partition: a machine appears in more than one group", 2)
        listed = set(names)
        self.cut_links = {p for p in self.cut_links if not (p[0] in listed and p[1] in listed)}
        for i, group in enumerate(groups):
            for other in groups[i + 1:]:
                for a in group:
                    for b in other:
                        self.cut_links.add((min(a, b), max(a, b)))
        text = " | ".join(",".join(g) for g in groups)
        self.log.add(self.clock.now, "cluster", "sim", f"network partitioned: {text}")
        self.refresh_membership()

    def heal(self: Cluster) -> None:
        self.cut_links.clear()
        self.log.add(self.clock.now, "cluster", "sim", "all links healed")
        self.refresh_membership()

    def set_service(self: Cluster, name: str, service: str, running: bool, crashed: bool = False) -> None:
        node = self.nodes[name]
        if node.services[service] == running and not crashed:
            return
        node.services[service] = running
        node.service_since[service] = self.clock.now
        node.service_failed[service] = crashed
        if running:
            node.service_pids[service] = node.alloc_pid()  # a stopped unit's journal keeps its old pid
        if service == "corosync":
            node.expected_override = None
        if crashed:
            for line in (f"{service}.service: Main process exited, code=killed, status=9/KILL",
                         f"{service}.service: Failed with result 'signal'."):
                self.log.add(self.clock.now, name, f"systemd:{service}", line)
            self.log.add(self.clock.now, name, "sim", f"{name}: {service} crashed")
        self.refresh_membership()

    def apply_fault(self: Cluster, line: str) -> str:
        """Run one fault command (`power pve2 off`, ...); returns a confirmation line."""
        words = line.split()
        if not words or words[0] not in FAULT_COMMANDS:
            raise PveError(f"unknown fault '{line}'", 2)
        verb, args = words[0], words[1:]
        handler = getattr(self, f"_fault_{verb}")
        if not handler(args):
            raise PveError(FAULT_USAGE[verb], 2)
        return f"fault: {' '.join(words)}"

    def _fault_power(self: Cluster, args: list[str]) -> bool:
        if len(args) != 2 or args[1] not in ("on", "off"):
            return False
        self.power(args[0], args[1] == "on")
        return True

    def _fault_network(self: Cluster, args: list[str]) -> bool:
        if len(args) != 2 or args[1] not in ("on", "off"):
            return False
        self.network(args[0], args[1] == "on")
        return True

    def _fault_link(self: Cluster, args: list[str]) -> bool:
        if len(args) != 3 or args[2] not in ("up", "down"):
            return False
        self.link(args[0], args[1], args[2] == "up")
        return True

    def _fault_partition(self: Cluster, args: list[str]) -> bool:
        if args == ["heal"]:
            self.heal()
            return True
        if len(args) != 1 or "|" not in args[0]:
            return False
        groups = [[n for n in g.split(",") if n] for g in args[0].split("|")]
        if any(not g for g in groups):
            return False
        self.partition(groups)
        return True

    def _fault_shutdown(self: Cluster, args: list[str]) -> bool:
        if len(args) != 1:
            return False
        self.shutdown_node(args[0])
        return True

    def _fault_reboot(self: Cluster, args: list[str]) -> bool:
        if len(args) != 1:
            return False
        self.shutdown_node(args[0], reboot=True)
        return True

    def _fault_crash(self: Cluster, args: list[str]) -> bool:
        if len(args) != 2 or args[1] not in SERVICES:
            return False
        if args[0] not in self.nodes:
            raise PveError(f"unknown node '{args[0]}'", 2)
        if not self.nodes[args[0]].power:
            raise PveError(f"{args[0]} is powered off", 2)
        self.set_service(args[0], args[1], False, crashed=True)
        return True
