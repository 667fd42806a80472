"""Extension points: subsystems ticked by virtual time, and event handlers.

Models nothing of PVE itself; this is how other simulator packages (the HA
manager in simulator/ha, later Ceph) plug into the cluster's event loop
without the core importing them. A subsystem is any object with
`tick(cluster, now)` and `to_json()`; it may also define `attach(cluster)`
(called when registered and again after a restore, e.g. to install
`cluster.guest_request_hook`), and take part in a clean node shutdown
(shutdown.py) with `node_shutdown(cluster, node, reboot)` (told when it
begins) and `node_shutdown_busy(cluster, node) -> bool` (the node waits). To survive `Cluster.from_json`, register a
factory for its name with `register_subsystem_type(name, factory)`; state of
a subsystem whose factory is not registered is kept verbatim and written back
unchanged, so nothing is lost.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from simulator.cluster import Cluster


class Subsystem(Protocol):
    def tick(self, cluster: Cluster, now: float) -> None: ...

    def to_json(self) -> dict[str, Any]: ...


SubsystemFactory = Callable[[dict[str, Any]], Subsystem]
EventHandler = Callable[["Cluster", dict[str, Any]], None]

SUBSYSTEM_TYPES: dict[str, SubsystemFactory] = {}
EVENT_HANDLERS: dict[str, EventHandler] = {}

#: What every PVE node runs besides corosync and pmxcfs: name -> the module that
#: registers it and offers `install(cluster)`. Imported lazily, so the core never
#: depends on them at import time, yet a cluster restored in a fresh process
#: finds its factory without the caller remembering to import anything.
BUILTIN_SUBSYSTEMS: dict[str, str] = {"ha": "simulator.ha.cluster_ha"}


def subsystem_factory(name: str) -> SubsystemFactory | None:
    if name not in SUBSYSTEM_TYPES and name in BUILTIN_SUBSYSTEMS:
        importlib.import_module(BUILTIN_SUBSYSTEMS[name])
    return SUBSYSTEM_TYPES.get(name)


def install_builtin_subsystems(cluster: Cluster) -> None:
    """Start the built-in subsystems (the HA stack) on a new cluster; idempotent."""
    for module in BUILTIN_SUBSYSTEMS.values():
        importlib.import_module(module).install(cluster)


def register_subsystem_type(name: str, factory: SubsystemFactory) -> None:
    """`factory(state_dict)` rebuilds the subsystem saved under `name`."""
    SUBSYSTEM_TYPES[name] = factory


def register_event_handler(kind: str, handler: EventHandler) -> None:
    """`handler(cluster, data)` runs when an event of `kind` (see `Cluster.schedule`) falls due."""
    EVENT_HANDLERS[kind] = handler


@dataclass
class GuestRequest:
    """A `qm`/`pct` start, stop, shutdown or migrate about to happen.

    Passed to `cluster.guest_request_hook` (installed by the HA manager) which
    may take it over (HA-managed guests: `Requesting HA start for VM 100`)
    by returning the text to print, or return None to let it run normally.
    """

    node: str
    user: str
    action: str  # start | stop | shutdown | migrate
    vmid: int
    guest_type: str  # qemu | lxc
    target: str | None = None
    options: dict[str, Any] = field(default_factory=dict)


GuestRequestHook = Callable[["Cluster", GuestRequest], "str | None"]
