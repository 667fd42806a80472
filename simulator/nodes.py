"""Physical machines: PVE nodes and external hosts (a QDevice's qnetd server).

Models: power, the node's network as a whole, the systemd services that
matter for clustering (corosync, pve-cluster), the guests currently running
on the node (processes, which are not in /etc/pve), its task list, process
ids, boot time and a clean shutdown or reboot in progress (shutdown.py).
Leaves out: CPU and memory accounting beyond static sizes, and more than one
NIC (a node's network is on or off; single links are cut at cluster level).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from simulator.tasks import Task

SERVICES = ("corosync", "pve-cluster")


@dataclass
class Node:
    name: str
    ip: str
    db: str
    power: bool = True
    network: bool = True
    services: dict[str, bool] = field(default_factory=lambda: {"corosync": False, "pve-cluster": True})
    service_since: dict[str, float] = field(default_factory=lambda: {"corosync": 0.0, "pve-cluster": 0.0})
    service_pids: dict[str, int] = field(default_factory=lambda: {"corosync": 0, "pve-cluster": 1021})
    service_failed: dict[str, bool] = field(default_factory=lambda: {"corosync": False, "pve-cluster": False})
    expected_override: int | None = None
    boot_time: float = 0.0
    next_pid: int = 4000
    running: list[int] = field(default_factory=list)
    tasks: list[Task] = field(default_factory=list)
    cpus: int = 8
    memory_mib: int = 65536
    shutdown: dict[str, Any] | None = None  # {"kind": "poweroff"|"reboot", "since": t} while going down

    def is_running(self, vmid: int) -> bool:
        return vmid in self.running

    def set_running(self, vmid: int, running: bool) -> None:
        if running and vmid not in self.running:
            self.running.append(vmid)
            self.running.sort()
        elif not running and vmid in self.running:
            self.running.remove(vmid)

    def alloc_pid(self) -> int:
        self.next_pid += 1
        return self.next_pid

    def to_json(self) -> dict[str, Any]:
        return _fresh(self.__dict__, tasks=[t.to_json() for t in self.tasks])

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Node:
        return cls(**_fresh(raw, tasks=[Task.from_json(t) for t in raw["tasks"]]))


def _fresh(raw: dict[str, Any], **override: Any) -> dict[str, Any]:
    """A copy whose lists and dicts are new, so saved and live state never alias."""
    data: dict[str, Any] = {}
    for key, value in raw.items():
        if isinstance(value, dict):
            value = dict(value)
        elif isinstance(value, list):
            value = list(value)
        data[key] = value
    data.update(override)
    return data


@dataclass
class ExternalHost:
    """A machine outside the cluster, e.g. the Debian box running corosync-qnetd."""

    name: str
    ip: str
    power: bool = True
    network: bool = True
    qnetd: bool = True

    @property
    def up(self) -> bool:
        return self.power and self.network

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> ExternalHost:
        return cls(**raw)
