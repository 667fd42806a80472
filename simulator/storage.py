"""Storage definitions (`/etc/pve/storage.cfg`) and volume naming.

Models: the storage types a cluster lab meets (dir, lvmthin, lvm, zfspool,
nfs, cifs, cephfs, rbd, iscsi, pbs), their content types, which types are
shared (`@SHARED_STORAGE`), the `nodes` restriction, `disable`, snapshot
capability, and volume ids (`local-lvm:vm-100-disk-0`, `local:100/vm-100-disk-0.qcow2`).
Leaves out: real capacity accounting beyond a per-storage size, thin
provisioning, and backends being unreachable (an enabled storage is active).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SHARED_TYPES = {"iscsi", "nfs", "cifs", "rbd", "cephfs", "iscsidirect", "glusterfs", "zfs", "drbd", "pbs"}
FILE_TYPES = {"dir", "btrfs", "nfs", "cifs", "cephfs", "glusterfs"}
# Types whose volumes can be snapshotted; file storages via qcow2 (UNVERIFIED: we make qcow2 the
# default format of VM disks on file storages, as the GUI does).
SNAPSHOT_TYPES = {"lvmthin", "zfspool", "rbd", "dir", "nfs", "cifs", "btrfs", "glusterfs"}
DEFAULT_CONTENT = {
    "dir": ["images", "rootdir"], "btrfs": ["images", "rootdir"], "nfs": ["images"],
    "cifs": ["images"], "cephfs": ["backup"], "glusterfs": ["images"], "pbs": ["backup"],
    "lvm": ["images"], "lvmthin": ["images", "rootdir"], "zfspool": ["images", "rootdir"],
    "zfs": ["images"], "iscsi": ["images"], "iscsidirect": ["images"], "rbd": ["images"],
}
KNOWN_TYPES = set(DEFAULT_CONTENT)


@dataclass
class StorageDef:
    storage: str
    type: str
    content: list[str]
    shared: bool = False
    disable: bool = False
    nodes: list[str] | None = None
    options: dict[str, str] = field(default_factory=dict)
    size_gib: int = 512

    @property
    def enabled(self) -> bool:
        return not self.disable

    def available_on(self, node: str) -> bool:
        return self.enabled and (self.nodes is None or node in self.nodes)

    def supports_snapshots(self, guest_type: str = "qemu") -> bool:
        """File storages snapshot VM disks only (qcow2); container volumes there are raw."""
        if self.type in FILE_TYPES and guest_type != "qemu":
            return False
        return self.type in SNAPSHOT_TYPES

    def volume_id(self, vmid: int, index: int) -> str:
        if self.type in FILE_TYPES:
            return f"{self.storage}:{vmid}/vm-{vmid}-disk-{index}.qcow2"
        return f"{self.storage}:vm-{vmid}-disk-{index}"

    def to_json(self) -> dict[str, Any]:
        return {**self.__dict__, "content": list(self.content), "options": dict(self.options),
                "nodes": None if self.nodes is None else list(self.nodes)}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> StorageDef:
        return cls(**{**raw, "content": list(raw["content"]), "options": dict(raw["options"]),
                      "nodes": None if raw["nodes"] is None else list(raw["nodes"])})

    def render(self) -> str:
        lines = [f"{self.type}: {self.storage}"]
        for key, value in sorted(self.options.items()):
            lines.append(f"\t{key} {value}")
        lines.append(f"\tcontent {','.join(self.content)}")
        if self.nodes is not None:
            lines.append(f"\tnodes {','.join(self.nodes)}")
        if self.shared and self.type not in SHARED_TYPES:
            lines.append("\tshared 1")
        if self.disable:
            lines.append("\tdisable")
        return "\n".join(lines) + "\n"


def make_storage(storage: str, type_: str, content: list[str] | None = None, **options: Any) -> StorageDef:
    """A storage as `pvesm add` would define it; shared types are shared automatically."""
    if type_ not in KNOWN_TYPES:
        raise ValueError(f"unknown storage type '{type_}'")
    nodes = options.pop("nodes", None)
    shared = bool(options.pop("shared", False)) or type_ in SHARED_TYPES
    disable = bool(options.pop("disable", False))
    size_gib = int(options.pop("size_gib", 512))
    return StorageDef(storage, type_, list(content or DEFAULT_CONTENT[type_]), shared, disable,
                      list(nodes) if nodes is not None else None,
                      {k: str(v) for k, v in options.items()}, size_gib)


def default_storages() -> dict[str, StorageDef]:
    """What a freshly installed node has: `local` (dir) and `local-lvm` (lvmthin)."""
    return {
        "local": make_storage("local", "dir", ["iso", "vztmpl", "backup"], path="/var/lib/vz", size_gib=94),
        "local-lvm": make_storage("local-lvm", "lvmthin", ["rootdir", "images"],
                                  thinpool="data", vgname="pve", size_gib=349),
    }


def render_storage_cfg(storages: dict[str, StorageDef]) -> str:
    return "\n".join(storages[s].render() for s in storages)


def parse_volume(volid: str) -> tuple[str, str]:
    """`local:iso/x.iso` -> ('local', 'iso/x.iso'); raises ValueError without a colon."""
    storage, sep, name = volid.partition(":")
    if not sep or not storage or not name:
        raise ValueError(f"unable to parse volume ID '{volid}'")
    return storage, name
