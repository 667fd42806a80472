"""The state document: what the grader knows about a cluster at one instant.

It is the contract between the backends (simulator, real Proxmox VE through
proxmoxer), which produce it through `grader.collect`, and the checks and
rubric expressions, which read it. It is versioned (`schema_version`),
JSON-serialisable, validated by a schema (`json_schema()`), and it never
guesses: a subsystem the cluster does not have is `None` (`"ceph": null`), a
list the cluster has but is empty is `[]`.

Field names are Proxmox's own (`quorate`, `crm_state`, `vmid`, `nodeid`).
Flags keep PVE's 0/1 integers (`online`, `quorate`, `template`, `shared`,
`enabled`, `vmstate`, `restricted`, `strict`, ...) so that a rubric
expression reads as the API does (`state.cluster.nodes.all(n, n.online ==
1)`) and a Python check can still write `if node.online:`.

Checks use the accessors (`state.node("pve1")`, `state.guest(100)`,
`state.ha.resource("vm:100")`, ...) rather than searching lists; they return
None when the thing is absent, never raise.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

SCHEMA_VERSION = 1
SOURCES = ("simulator", "proxmox")


def _flag(value: Any) -> Any:
    """PVE booleans: accept bool, 0/1 and their strings; anything else fails validation."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, str) and value in ("0", "1"):
        return int(value)
    return value


Flag = Annotated[int, BeforeValidator(_flag), Field(ge=0, le=1)]


class StateError(ValueError):
    """A document that does not follow the schema; the message names the field."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


# -- cluster ---------------------------------------------------------------------------
class ClusterNode(_Model):
    name: str
    nodeid: int | None = None
    votes: int | None = None
    online: Flag = 0
    ip: str | None = None


class QDevice(_Model):
    """The cluster's QDevice as `GET /cluster/config/qdevice` reports it; None when none is set up.

    `algorithm` is corosync's short name (`ffsplit`, `lms`); `state` the daemon's word for its link
    to qnetd (`Connected` when it can vote). The API does not report the vote count: `votes` is None."""

    host: str
    algorithm: str | None = None
    state: str | None = None
    votes: int | None = None


class Cluster(_Model):
    """`name` and `config_version` are None on a standalone node (no cluster created yet)."""

    name: str | None = None
    config_version: int | None = None
    quorate: Flag = 0
    nodes: list[ClusterNode] = Field(default_factory=list)
    qdevice: QDevice | None = None

    def node(self, name: str) -> ClusterNode | None:
        return next((n for n in self.nodes if n.name == name), None)

    @property
    def online_nodes(self) -> list[ClusterNode]:
        return [n for n in self.nodes if n.online]

    @property
    def clustered(self) -> bool:
        return self.name is not None


# -- HA ----------------------------------------------------------------------------------
class HAResource(_Model):
    """One HA resource. `crm_state` is None while queued (configured, not yet seen by the CRM);
    `state` is the verbose state `ha-manager status` prints (`starting`, `queued`, `started`, ...)."""

    sid: str
    type: Literal["vm", "ct"]
    requested_state: str | None = None
    crm_state: str | None = None
    state: str | None = None
    node: str | None = None
    group: str | None = None
    max_restart: int = 1
    max_relocate: int = 1
    failback: Flag | None = None
    comment: str | None = None


class HAGroup(_Model):
    group: str
    nodes: dict[str, int] = Field(default_factory=dict)  # node -> priority (0 when none given)
    restricted: Flag = 0
    nofailback: Flag = 0
    comment: str | None = None


class HARule(_Model):
    rule: str
    type: str  # node-affinity | resource-affinity
    resources: list[str] = Field(default_factory=list)
    nodes: dict[str, int] | None = None  # node-affinity only
    strict: Flag | None = None  # node-affinity only
    affinity: str | None = None  # resource-affinity: positive | negative
    disable: Flag = 0
    comment: str | None = None


class HA(_Model):
    """The HA stack as `/cluster/ha/...` reports it; `master` is None when no CRM ever became master.

    `lrm` maps node -> the LRM state `ha-manager status` shows (`active`, `idle`,
    `maintenance mode`, `old timestamp - dead?`, ...); `node_status` maps node ->
    the CRM's view of it (`online`, `unknown`, `fence`, `maintenance`, `gone`).
    `groups` is empty on PVE 9 (migrated to rules); `rules` is empty on PVE 8.
    """

    master: str | None = None
    quorate: Flag = 0
    lrm: dict[str, str] = Field(default_factory=dict)
    node_status: dict[str, str] = Field(default_factory=dict)
    resources: list[HAResource] = Field(default_factory=list)
    groups: list[HAGroup] = Field(default_factory=list)
    rules: list[HARule] = Field(default_factory=list)

    def resource(self, sid: str) -> HAResource | None:
        return next((r for r in self.resources if r.sid == sid), None)

    def resources_on(self, node: str) -> list[HAResource]:
        return [r for r in self.resources if r.node == node]

    def group(self, name: str) -> HAGroup | None:
        return next((g for g in self.groups if g.group == name), None)

    def rule(self, rule_id: str) -> HARule | None:
        return next((r for r in self.rules if r.rule == rule_id), None)

    def rules_for(self, sid: str) -> list[HARule]:
        return [r for r in self.rules if sid in r.resources]

    def lrm_state(self, node: str) -> str | None:
        return self.lrm.get(node)


# -- guests -------------------------------------------------------------------------------
class Disk(_Model):
    key: str  # scsi0, virtio1, rootfs, mp0, unused0, ide2 (a CD-ROM image), ...
    storage: str
    volid: str | None = None
    cdrom: Flag = 0  # an ISO image attached as CD-ROM (it still ties the guest to its storage)


class Snapshot(_Model):
    name: str
    parent: str | None = None
    snaptime: int | None = None
    vmstate: Flag = 0
    description: str = ""


class Guest(_Model):
    vmid: int
    type: Literal["qemu", "lxc"]
    name: str | None = None
    node: str
    status: str  # running | stopped | unknown | paused ...
    template: Flag = 0
    lock: str | None = None
    ha_state: str | None = None  # the resource's HA state, None when not HA managed
    disks: list[Disk] = Field(default_factory=list)
    snapshots: list[Snapshot] = Field(default_factory=list)  # without the `current` pseudo entry

    @property
    def sid(self) -> str:
        return f"{'vm' if self.type == 'qemu' else 'ct'}:{self.vmid}"

    @property
    def storages(self) -> list[str]:
        return sorted({d.storage for d in self.disks})

    def snapshot(self, name: str) -> Snapshot | None:
        return next((s for s in self.snapshots if s.name == name), None)


# -- Ceph -----------------------------------------------------------------------------------
class CephCheck(_Model):
    severity: str
    summary: str


class CephHealth(_Model):
    status: str  # HEALTH_OK | HEALTH_WARN | HEALTH_ERR
    checks: dict[str, CephCheck] = Field(default_factory=dict)


class CephOsd(_Model):
    id: int
    host: str | None = None
    up: Flag = 0
    # `in` is a Python keyword: the attribute is `in_`, the document field stays "in".
    in_: Flag = Field(0, alias="in")

    model_config = ConfigDict(extra="forbid", populate_by_name=True, serialize_by_alias=True)


class CephPool(_Model):
    name: str
    size: int
    min_size: int
    pg_num: int


class CephPgs(_Model):
    by_state: dict[str, int] = Field(default_factory=dict)


class Ceph(_Model):
    health: CephHealth
    mons: list[str] = Field(default_factory=list)
    mgrs: list[str] = Field(default_factory=list)
    osds: list[CephOsd] = Field(default_factory=list)
    pools: list[CephPool] = Field(default_factory=list)
    pgs: CephPgs = Field(default_factory=CephPgs)

    def osd(self, osd_id: int) -> CephOsd | None:
        return next((o for o in self.osds if o.id == osd_id), None)

    def pool(self, name: str) -> CephPool | None:
        return next((p for p in self.pools if p.name == name), None)


# -- storage, backups, tasks ---------------------------------------------------------------
class StorageStatus(_Model):
    active: Flag = 0
    total: int = 0
    used: int = 0
    avail: int = 0


class Storage(_Model):
    id: str
    type: str
    content: list[str] = Field(default_factory=list)
    shared: Flag = 0
    enabled: Flag = 1
    nodes: list[str] | None = None  # None: not restricted (every node)
    status: dict[str, StorageStatus] = Field(default_factory=dict)  # node -> status


class BackupJob(_Model):
    id: str
    schedule: str | None = None
    enabled: Flag = 1
    storage: str | None = None
    all: Flag = 0
    vmid: str | None = None
    mode: str | None = None
    prune_backups: dict[str, Any] | None = None


class BackupArchive(_Model):
    volid: str
    storage: str
    vmid: int | None = None
    ctime: int | None = None
    size: int | None = None
    format: str | None = None
    notes: str | None = None
    protected: Flag = 0


class Backups(_Model):
    jobs: list[BackupJob] = Field(default_factory=list)
    archives: list[BackupArchive] = Field(default_factory=list)

    def archives_of(self, vmid: int) -> list[BackupArchive]:
        return [a for a in self.archives if a.vmid == vmid]


class Task(_Model):
    upid: str
    node: str
    type: str
    id: str = ""
    user: str
    status: str | None = None  # OK, WARNINGS: N, the error text, or RUNNING
    starttime: int
    endtime: int | None = None

    @property
    def ok(self) -> bool:
        return self.status == "OK" or (self.status or "").startswith("WARNINGS")


class PveVersion(_Model):
    version: str  # e.g. 9.1.2
    release: str  # e.g. 9.1

    @property
    def major(self) -> int:
        return int(self.release.split(".")[0])


# -- the document ----------------------------------------------------------------------------
class StateDoc(_Model):
    schema_version: Literal[1] = SCHEMA_VERSION
    source: Literal["simulator", "proxmox"]
    collected_at: str  # ISO 8601, UTC
    pve: PveVersion
    cluster: Cluster
    ha: HA
    guests: list[Guest] = Field(default_factory=list)
    ceph: Ceph | None = None
    storage: list[Storage] = Field(default_factory=list)
    backups: Backups | None = None
    tasks: list[Task] = Field(default_factory=list)

    # accessors used by checks ---------------------------------------------------------
    def node(self, name: str) -> ClusterNode | None:
        return self.cluster.node(name)

    def guest(self, vmid: int | str) -> Guest | None:
        """By vmid: 100, "100" or "vm:100" / "ct:100"."""
        text = str(vmid).rpartition(":")[2]
        if not text.isdigit():
            return None
        return next((g for g in self.guests if g.vmid == int(text)), None)

    def guests_on(self, node: str) -> list[Guest]:
        return [g for g in self.guests if g.node == node]

    def storage_by_id(self, storage_id: str) -> Storage | None:
        return next((s for s in self.storage if s.id == storage_id), None)

    def tasks_where(self, *, type: str | Iterable[str] | None = None, id: str | int | None = None,
                    user: str | None = None, node: str | None = None, status: str | None = None,
                    since: int | None = None) -> list[Task]:
        """Tasks matching every given filter, oldest first (`type` may be one name or several)."""
        types = {type} if isinstance(type, str) else set(type) if type is not None else None
        rows = [t for t in self.tasks
                if (types is None or t.type in types) and (id is None or t.id == str(id))
                and (user is None or t.user == user) and (node is None or t.node == node)
                and (status is None or t.status == status) and (since is None or t.starttime >= since)]
        return sorted(rows, key=lambda t: (t.starttime, t.upid))

    # serialisation --------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)

    def comparable(self) -> dict[str, Any]:
        """The document without what differs between two collections of one state."""
        data = self.to_json()
        data.pop("collected_at")
        data.pop("source")
        return data

    @classmethod
    def from_json(cls, raw: Any) -> StateDoc:
        """Validate a stored document (evidence); raises StateError naming the first bad field."""
        try:
            return cls.model_validate(raw)
        except ValidationError as exc:
            raise StateError(_describe(exc)) from None


def json_schema() -> dict[str, Any]:
    return StateDoc.model_json_schema(by_alias=True)


def _describe(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "(document)"
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"state document: {where}: {first['msg']}{more}"
