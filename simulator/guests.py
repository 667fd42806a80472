"""Guests: QEMU VMs and LXC containers as their config files describe them.

Models: the guest config (`/etc/pve/nodes/<node>/qemu-server/<vmid>.conf` or
`.../lxc/<vmid>.conf`) as key/value options, disks as volume references with
a size, the `lock` option, and snapshots (a `[name]` section with `parent`,
`snaptime`, `description`, `vmstate`, plus the top-level `parent`). Whether a
guest runs is not config: it is a process on a node (see nodes.py).
Leaves out: pending changes, hotplug, and guest agent details.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

QEMU_DISK_RE = re.compile(r"^(scsi([12]?\d|30)|virtio(1[0-5]|\d)|sata[0-5]|ide[0-3]|efidisk0|tpmstate0)$")
LXC_DISK_RE = re.compile(r"^(rootfs|mp\d+)$")
LOCAL_DEVICE_RE = re.compile(r"^(hostpci\d+|usb\d+|ivshmem|parallel\d+|serial\d+)$")
SNAPNAME_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9_\-]{1,39}$")


@dataclass
class Snapshot:
    name: str
    parent: str | None
    snaptime: int
    description: str = ""
    vmstate: bool = False
    config: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {**self.__dict__, "config": dict(self.config)}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Snapshot:
        return cls(**{**raw, "config": dict(raw["config"])})


@dataclass
class Disk:
    key: str
    volid: str
    storage: str
    size_gib: float
    cdrom: bool = False


@dataclass
class Guest:
    vmid: int
    type: str  # "qemu" or "lxc", as PVE names them
    node: str
    config: dict[str, str] = field(default_factory=dict)
    snapshots: dict[str, Snapshot] = field(default_factory=dict)

    @property
    def name(self) -> str:
        key = "name" if self.type == "qemu" else "hostname"
        return self.config.get(key, f"{'VM' if self.type == 'qemu' else 'CT'} {self.vmid}")

    @property
    def lock(self) -> str | None:
        return self.config.get("lock")

    @property
    def memory_mib(self) -> int:
        return int(self.config.get("memory", "512" if self.type == "lxc" else "2048"))

    @property
    def label(self) -> str:
        """`VM 100` or `CT 100`, the way PVE messages name a guest."""
        return f"{'VM' if self.type == 'qemu' else 'CT'} {self.vmid}"

    @property
    def config_path(self) -> str:
        folder = "qemu-server" if self.type == "qemu" else "lxc"
        return f"nodes/{self.node}/{folder}/{self.vmid}.conf"

    def disks(self) -> list[Disk]:
        pattern = QEMU_DISK_RE if self.type == "qemu" else LXC_DISK_RE
        result = []
        for key in sorted(self.config):
            if pattern.match(key):
                disk = parse_disk(key, self.config[key])
                if disk is not None:
                    result.append(disk)
        return result

    def local_devices(self) -> list[str]:
        return sorted(k for k in self.config if LOCAL_DEVICE_RE.match(k))

    def render_config(self) -> str:
        return "".join(f"{k}: {self.config[k]}\n" for k in sorted(self.config) if k != "digest")

    def to_json(self) -> dict[str, Any]:
        return {"vmid": self.vmid, "type": self.type, "node": self.node, "config": dict(self.config),
                "snapshots": [s.to_json() for s in self.snapshots.values()]}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Guest:
        snaps = [Snapshot.from_json(s) for s in raw["snapshots"]]
        return cls(int(raw["vmid"]), raw["type"], raw["node"], dict(raw["config"]),
                   {s.name: s for s in snaps})


def parse_disk(key: str, value: str) -> Disk | None:
    """`local-lvm:vm-100-disk-0,size=32G` -> Disk; `none` and bare options -> None."""
    parts = value.split(",")
    volid = parts[0]
    if volid.startswith("volume="):
        volid = volid[len("volume="):]
    if ":" not in volid:
        return None
    options = dict(p.split("=", 1) for p in parts[1:] if "=" in p)
    return Disk(key, volid, volid.split(":", 1)[0], parse_size(options.get("size", "0")),
                options.get("media") == "cdrom")


def parse_size(text: str) -> float:
    """`32G` -> 32.0 GiB; `512M` -> 0.5; bare numbers are GiB (as `STORAGE:SIZE` is)."""
    units = {"K": 1 / (1024 * 1024), "M": 1 / 1024, "G": 1.0, "T": 1024.0}
    text = text.strip().upper()
    if text and text[-1] in units:
        return float(text[:-1]) * units[text[-1]]
    return float(text or 0)


def format_size(gib: float) -> str:
    if gib == int(gib):
        return f"{int(gib)}G"
    return f"{int(gib * 1024)}M"


def snapshot_tree_lines(guest: Guest, now_running: bool) -> list[tuple[int, str, int | None, str]]:
    """(depth, name, snaptime, description) in `qm listsnapshot` order, `current` last.

    PVE prints the tree depth-first from the roots (children sorted by
    snaptime), with `current` under the snapshot named by the top-level
    `parent` option.
    """
    children: dict[str | None, list[Snapshot]] = {}
    for snap in guest.snapshots.values():
        children.setdefault(snap.parent if snap.parent in guest.snapshots else None, []).append(snap)
    current_parent = guest.config.get("parent")
    rows: list[tuple[int, str, int | None, str]] = []

    def walk(parent: str | None, depth: int) -> None:
        for snap in sorted(children.get(parent, []), key=lambda s: (s.snaptime, s.name)):
            rows.append((depth, snap.name, snap.snaptime, snap.description))
            walk(snap.name, depth + 1)
            if snap.name == current_parent:
                rows.append((depth + 1, "current", None, "You are here!"))

    walk(None, 0)
    if current_parent not in guest.snapshots:
        rows.append((0, "current", None, "You are here!"))
    return rows
