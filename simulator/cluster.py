"""The simulated Proxmox VE cluster: the object everything else talks to.

Models: a set of PVE nodes and external hosts, the physical links between
them, one pmxcfs database per cluster (or standalone node), a virtual clock
with an event queue, a seeded RNG, the event log, tasks, and the extension
points (subsystems, guest request hook, command registry). Behaviour is split
into mixins by domain: membership.py (corosync/quorum), setup.py (pvecm
create/add/delnode/expected/qdevice), guest_ops.py, migration.py, faults.py,
shutdown.py.
Persistence is lossless: `Cluster.from_json(c.to_json())` behaves exactly
like `c`. Leaves out: anything not listed in those modules' docstrings.
"""

from __future__ import annotations

import copy
import random
from dataclasses import dataclass
from typing import Any

from simulator.clock import DEFAULT_EPOCH, Clock
from simulator.corosync import QuorumView
from simulator.errors import NO_QUORUM, PveError
from simulator.faults import FaultsMixin
from simulator.guest_ops import GuestOpsMixin
from simulator.log import EventLog
from simulator.membership import MembershipMixin
from simulator.migration import MigrationMixin
from simulator.nodes import ExternalHost, Node
from simulator.pmxcfs import CfsDb, lock_holder, release_lock, try_lock
from simulator.setup import SetupMixin
from simulator.shutdown import ShutdownMixin
from simulator.storage import default_storages
from simulator.subsystems import (
    EVENT_HANDLERS,
    GuestRequestHook,
    Subsystem,
    install_builtin_subsystems,
    subsystem_factory,
)
from simulator.tasks import MAX_TASKS_PER_NODE, Task, format_upid
from simulator.views import ViewsMixin

FORMAT = "ops3-simulator"
FORMAT_VERSION = 1
# UNVERIFIED: what PVE tools print when pmxcfs (pve-cluster) is not running.
PMXCFS_DOWN = ("ipcc_send_rec[1] failed: Connection refused\nipcc_send_rec[2] failed: Connection refused\n"
               "ipcc_send_rec[3] failed: Connection refused\n"
               "Unable to load access control list: Connection refused")
LAB_NODES = (("pve1", "192.168.1.11"), ("pve2", "192.168.1.12"), ("pve3", "192.168.1.13"))
LAB_QNETD = ("qnetd", "192.168.1.20")


@dataclass
class CommandResult:
    output: str
    exit_code: int = 0
    switch_node: str | None = None  # set by `ssh NODE` / `exit` for an interactive shell

    @property
    def ok(self) -> bool:
        return self.exit_code == 0


class Cluster(MembershipMixin, SetupMixin, GuestOpsMixin, MigrationMixin, FaultsMixin, ShutdownMixin, ViewsMixin):
    """Everything the simulator knows; see docs/simulator.md for the API."""

    def __init__(self, seed: int = 0, epoch: int = DEFAULT_EPOCH) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self.clock = Clock(0.0, epoch)
        self.log = EventLog()
        self.nodes: dict[str, Node] = {}
        self.hosts: dict[str, ExternalHost] = {}
        self.cut_links: set[tuple[str, str]] = set()
        self.dbs: dict[str, CfsDb] = {}
        self.views: dict[str, QuorumView] = {}
        self.ring_seq = 1  # a fresh cluster's first ring is 1.5, then 1.9 ... as on real nodes
        self.split_brains: list[dict[str, Any]] = []
        self.split_brain_active: set[str] = set()
        self.next_id = 1
        self.topology_version = 0
        self.subsystems: dict[str, Subsystem] = {}
        self.dormant_subsystems: dict[str, dict[str, Any]] = {}
        self.commands: dict[str, Any] = {}
        self.guest_request_hook: GuestRequestHook | None = None

    # -- construction -------------------------------------------------------------
    @classmethod
    def lab_start(cls, seed: int = 0) -> Cluster:
        """Where the course's first lab starts: three standalone nodes and a qnetd box."""
        cluster = cls(seed)
        for name, ip in LAB_NODES:
            cluster.add_node(name, ip)
        cluster.add_host(*LAB_QNETD)
        install_builtin_subsystems(cluster)
        return cluster

    def new_id(self, prefix: str) -> str:
        self.next_id += 1
        return f"{prefix}{self.next_id}"

    def add_node(self, name: str, ip: str) -> Node:
        """A freshly installed standalone node with `local` and `local-lvm`."""
        if name in self.nodes or name in self.hosts:
            raise ValueError(f"duplicate host name '{name}'")
        db = CfsDb(self.new_id("db"), storage=default_storages())
        self.dbs[db.id] = db
        node = Node(name, ip, db.id, boot_time=self.clock.now)
        node.next_pid = 1000 + self.rng.randrange(1000, 9000)
        node.service_pids["pve-cluster"] = self.rng.randrange(700, 1000)
        self.nodes[name] = node
        self.refresh_membership()
        return node

    def add_host(self, name: str, ip: str, qnetd: bool = True) -> ExternalHost:
        if name in self.nodes or name in self.hosts:
            raise ValueError(f"duplicate host name '{name}'")
        self.hosts[name] = ExternalHost(name, ip, qnetd=qnetd)
        return self.hosts[name]

    # -- lookups ------------------------------------------------------------------------
    def node(self, name: str) -> Node:
        return self.nodes[name]

    def db_of(self, node: str) -> CfsDb:
        return self.dbs[self.nodes[node].db]

    def resolve_host(self, key: str) -> str | None:
        """Node or external host name for a name or IP."""
        for machine in [*self.nodes.values(), *self.hosts.values()]:
            if key in (machine.name, machine.ip):
                return machine.name
        return None

    def is_clustered(self, node: str) -> bool:
        return self.conf_of(node) is not None

    def is_quorate(self, node: str) -> bool:
        """pmxcfs' view on `node`: a standalone node is always quorate."""
        n = self.nodes[node]
        if not (n.power and n.services["pve-cluster"]):
            return False
        if self.conf_of(node) is None:
            return True
        view = self.views.get(node)
        return view is not None and view.quorate

    def partition_of(self, node: str) -> list[str]:
        view = self.views.get(node)
        return list(view.members) if view else [node]

    # -- pmxcfs access ---------------------------------------------------------------------
    def require_pmxcfs(self, node: str) -> None:
        if not self.nodes[node].services["pve-cluster"]:
            raise PveError(PMXCFS_DOWN)

    def require_quorum(self, node: str, message: str = NO_QUORUM) -> None:
        self.require_pmxcfs(node)
        if not self.is_quorate(node):
            raise PveError(message)

    def cfs_write_db(self, node: str, message: str = NO_QUORUM) -> CfsDb:
        """The database `node` writes to, forked first if nodes outside its partition share it.

        Validate everything before calling: this bumps the database version.
        Objects fetched from the database before the call may be stale after it.
        """
        self.require_quorum(node, message)
        db = self.db_of(node)
        partition = set(self.partition_of(node))
        if any(n.db == db.id and n.name not in partition for n in self.nodes.values()):
            clone = db.copy(self.new_id("db"))
            db.dirty = clone.dirty = False
            self.dbs[clone.id] = clone
            for name in partition:
                if self.nodes[name].db == db.id:
                    self.nodes[name].db = clone.id
            db = clone
        db.touch()
        return db

    def readonly_error(self, node: str, path: str) -> str:
        """What writing a file under /etc/pve says on a node without quorum."""
        # UNVERIFIED: PVE::Tools::file_set_contents' message for a read-only /etc/pve.
        pid = self.nodes[node].next_pid + 1
        return f"unable to open file '/etc/pve/{path}.tmp.{pid}' - Permission denied"

    # -- cluster locks (pmxcfs) --------------------------------------------------------------
    def cfs_lock_acquire(self, node: str, name: str) -> bool:
        """Take or renew lock `name` (e.g. `ha_manager_lock`) for `node`; needs quorum."""
        if not self.is_quorate(node):
            return False
        db = self.db_of(node)
        holder = lock_holder(db, name, self.clock.now)
        if holder is not None and holder != node:
            return False
        return try_lock(self.cfs_write_db(node), name, node, self.clock.now)

    def cfs_lock_release(self, node: str, name: str) -> bool:
        if not self.is_quorate(node) or lock_holder(self.db_of(node), name, self.clock.now) != node:
            return False
        return release_lock(self.cfs_write_db(node), name, node)

    def cfs_lock_holder(self, name: str, view_node: str) -> str | None:
        """Holder of an unexpired lock as seen from `view_node`'s copy of /etc/pve."""
        return lock_holder(self.db_of(view_node), name, self.clock.now)

    def cfs_read(self, node: str, path: str) -> str | None:
        self.require_pmxcfs(node)
        return self.db_of(node).files.get(path)

    def cfs_write(self, node: str, path: str, content: str) -> None:
        self.cfs_write_db(node, self.readonly_error(node, path)).files[path] = content

    # -- tasks -------------------------------------------------------------------------------
    def start_task(self, node: str, type_: str, id_: str, user: str) -> Task:
        n = self.nodes[node]
        pid = n.alloc_pid()
        pstart = int((self.clock.now - n.boot_time) * 100) + 0x1000
        start = self.clock.wall()
        task = Task(format_upid(node, pid, pstart, start, type_, id_, user), node, pid, pstart,
                    start, type_, id_, user)
        n.tasks.append(task)
        if len(n.tasks) > MAX_TASKS_PER_NODE:
            del n.tasks[0]
        return task

    def find_task(self, upid: str) -> Task | None:
        for node in self.nodes.values():
            for task in node.tasks:
                if task.upid == upid:
                    return task
        return None

    def quick_task(self, node: str, type_: str, id_: str, user: str, lines: list[str] | None = None) -> Task:
        """A task that completes at once (start, stop, create...)."""
        task = self.start_task(node, type_, id_, user)
        task.log.extend(lines or [])
        task.finish(self.clock.wall())
        return task

    # -- time ----------------------------------------------------------------------------------
    def schedule(self, delay: float, kind: str, data: dict[str, Any] | None = None) -> None:
        """Run the handler registered for `kind` after `delay` virtual seconds."""
        self.clock.schedule(delay, kind, data)

    def advance(self, seconds: float) -> None:
        """Let virtual time pass, running due events in (time, order) order."""
        until = self.clock.now + max(0.0, float(seconds))
        while (event := self.clock.pop_due(until)) is not None:
            self._dispatch_event(event.kind, event.data)
        self.clock.now = until

    def _dispatch_event(self, kind: str, data: dict[str, Any]) -> None:
        if kind == "tick":
            self._tick_subsystem(data)
        elif kind == "migration":
            self.finish_migration(data)
        elif kind == "onboot":
            self.start_onboot_guests(data)
        elif kind in EVENT_HANDLERS:
            EVENT_HANDLERS[kind](self, data)

    # -- subsystems ------------------------------------------------------------------------------
    def register_subsystem(self, name: str, subsystem: Subsystem, interval: float = 10.0) -> None:
        """Tick `subsystem.tick(cluster, now)` every `interval` virtual seconds (registration order)."""
        fresh = name not in self.subsystems and name not in self.dormant_subsystems
        self.subsystems[name] = subsystem
        self.dormant_subsystems.pop(name, None)
        if fresh:
            self.schedule(interval, "tick", {"name": name, "interval": interval})
        attach = getattr(subsystem, "attach", None)
        if callable(attach):
            attach(self)

    def _tick_subsystem(self, data: dict[str, Any]) -> None:
        subsystem = self.subsystems.get(data["name"])
        if subsystem is not None:
            subsystem.tick(self, self.clock.now)
        self.schedule(float(data["interval"]), "tick", data)

    # -- commands ----------------------------------------------------------------------------------
    def register_command(self, name: str, handler: Any) -> None:
        """Plug a command into this cluster's shell only (see simulator.cli.register_command)."""
        self.commands[name] = handler

    def run(self, node: str, command_line: str, user: str = "root@pam") -> CommandResult:
        """Run one shell command line on `node` as PVE user `user`."""
        from simulator.cli import execute

        return execute(self, node, command_line, user)

    # -- persistence -----------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        subsystems = copy.deepcopy(self.dormant_subsystems)
        subsystems.update({name: s.to_json() for name, s in self.subsystems.items()})
        return {
            "format": FORMAT, "version": FORMAT_VERSION, "seed": self.seed,
            "rng": _rng_state(self.rng), "clock": self.clock.to_json(), "log": self.log.to_json(),
            "nodes": [self.nodes[n].to_json() for n in sorted(self.nodes)],
            "hosts": [self.hosts[h].to_json() for h in sorted(self.hosts)],
            "cut_links": sorted([a, b] for a, b in self.cut_links),
            "dbs": [self.dbs[d].to_json() for d in sorted(self.dbs)],
            "views": {n: self.views[n].to_json() for n in sorted(self.views)},
            "ring_seq": self.ring_seq, "split_brains": copy.deepcopy(self.split_brains),
            "split_brain_active": sorted(self.split_brain_active), "next_id": self.next_id,
            "topology_version": self.topology_version, "subsystems": subsystems,
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Cluster:
        if raw.get("format") != FORMAT or raw.get("version") != FORMAT_VERSION:
            raise ValueError(f"not a {FORMAT} v{FORMAT_VERSION} document")
        cluster = cls(int(raw["seed"]))
        cluster.rng.setstate(_rng_unstate(raw["rng"]))
        cluster.clock = Clock.from_json(raw["clock"])
        cluster.log = EventLog.from_json(raw["log"])
        cluster.nodes = {n["name"]: Node.from_json(n) for n in raw["nodes"]}
        cluster.hosts = {h["name"]: ExternalHost.from_json(h) for h in raw["hosts"]}
        cluster.cut_links = {(a, b) for a, b in raw["cut_links"]}
        cluster.dbs = {d["id"]: CfsDb.from_json(d) for d in raw["dbs"]}
        cluster.views = {n: QuorumView.from_json(v) for n, v in raw["views"].items()}
        cluster.ring_seq = int(raw["ring_seq"])
        cluster.split_brains = copy.deepcopy(raw["split_brains"])
        cluster.split_brain_active = set(raw["split_brain_active"])
        cluster.next_id = int(raw["next_id"])
        cluster.topology_version = int(raw["topology_version"])
        for name, state in raw["subsystems"].items():
            factory = subsystem_factory(name)
            if factory is None:
                cluster.dormant_subsystems[name] = copy.deepcopy(state)
            else:
                cluster.subsystems[name] = factory(state)
                attach = getattr(cluster.subsystems[name], "attach", None)
                if callable(attach):
                    attach(cluster)
        return cluster


def _rng_state(rng: random.Random) -> list[Any]:
    version, internal, gauss = rng.getstate()
    return [version, list(internal), gauss]


def _rng_unstate(raw: list[Any]) -> tuple[Any, ...]:
    return (raw[0], tuple(raw[1]), raw[2])
