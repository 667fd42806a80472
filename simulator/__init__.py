"""OPS3 cluster simulator: a pure Python model of a Proxmox VE cluster (see docs/simulator.md).

`from simulator import Cluster` is the entry point; the package never imports
Django. Names are resolved lazily so `import simulator.ha...` stays cheap.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Cluster", "CommandResult", "PveError"]


def __getattr__(name: str) -> Any:
    if name in ("Cluster", "CommandResult"):
        from simulator import cluster

        return getattr(cluster, name)
    if name == "PveError":
        from simulator.errors import PveError

        return PveError
    raise AttributeError(f"module 'simulator' has no attribute '{name}'")
