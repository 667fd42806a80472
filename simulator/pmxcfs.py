"""pmxcfs: the replicated configuration database mounted at /etc/pve.

Models: one database per cluster (and one per standalone node) holding
corosync.conf, storage.cfg, the guest configs and free-form files (HA state
lives there), with a version bumped on every write; writes need quorum
(`check_cfs_quorum`); cluster locks (`/etc/pve/priv/lock/<name>`) that
expire 120 s after their last renewal and need quorum to take; and, when two
partitions both accept writes (forced `expected` on both sides), a real split
brain: the database forks, each side writes its own copy, and reconnecting
keeps the copy with the highest version (then the lowest node id) and records
the divergence. A database is shared by reference while the cluster is whole
and copied lazily on the first write that the other side cannot see.

Leaves out: file permissions, the dfsm message protocol, and `pmxcfs -l`
local mode (a restarted standalone node is always writable).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from simulator.corosync import CorosyncConf
from simulator.guests import Guest
from simulator.storage import StorageDef

LOCK_LIFETIME = 120.0


@dataclass
class CfsLock:
    holder: str
    renewed: float

    def expired(self, now: float) -> bool:
        return now - self.renewed >= LOCK_LIFETIME


@dataclass
class CfsDb:
    id: str
    lineage: str = ""
    version: int = 1
    corosync: CorosyncConf | None = None
    storage: dict[str, StorageDef] = field(default_factory=dict)
    guests: dict[int, Guest] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    locks: dict[str, CfsLock] = field(default_factory=dict)
    dirty: bool = False

    def touch(self) -> None:
        self.version += 1
        self.dirty = True

    def guests_on(self, node: str) -> list[Guest]:
        return [self.guests[v] for v in sorted(self.guests) if self.guests[v].node == node]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "lineage": self.lineage, "version": self.version,
            "corosync": self.corosync.to_json() if self.corosync else None,
            "storage": [s.to_json() for s in self.storage.values()],
            "guests": [self.guests[v].to_json() for v in sorted(self.guests)],
            "files": dict(sorted(self.files.items())),
            "locks": {k: [v.holder, v.renewed] for k, v in sorted(self.locks.items())},
            "dirty": self.dirty,
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> CfsDb:
        storages = [StorageDef.from_json(s) for s in raw["storage"]]
        guests = [Guest.from_json(g) for g in raw["guests"]]
        return cls(
            raw["id"], raw["lineage"], int(raw["version"]),
            CorosyncConf.from_json(raw["corosync"]) if raw["corosync"] else None,
            {s.storage: s for s in storages}, {g.vmid: g for g in guests},
            dict(raw["files"]), {k: CfsLock(h, float(r)) for k, (h, r) in raw["locks"].items()},
            bool(raw["dirty"]),
        )

    def copy(self, new_id: str) -> CfsDb:
        clone = CfsDb.from_json(self.to_json())
        clone.id = new_id
        return clone


def try_lock(db: CfsDb, name: str, node: str, now: float) -> bool:
    """Take or renew `name` for `node`; False while another node holds it unexpired."""
    lock = db.locks.get(name)
    if lock is not None and lock.holder != node and not lock.expired(now):
        return False
    db.locks[name] = CfsLock(node, now)
    return True


def release_lock(db: CfsDb, name: str, node: str) -> bool:
    lock = db.locks.get(name)
    if lock is None or lock.holder != node:
        return False
    del db.locks[name]
    return True


def lock_holder(db: CfsDb, name: str, now: float) -> str | None:
    lock = db.locks.get(name)
    if lock is None or lock.expired(now):
        return None
    return lock.holder


def choose_winner(candidates: list[tuple[CfsDb, int]]) -> CfsDb:
    """The copy pmxcfs keeps on reconnect: highest version, then lowest node id."""
    return min(candidates, key=lambda c: (-c[0].version, c[1]))[0]
