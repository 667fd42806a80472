"""Node usage accounting for placement (pve-ha-manager's Usage/{Basic,Static}.pm).

`BasicUsage` counts HA services per online node (CRS `basic`); `StaticUsage`
scores nodes by configured CPU and memory of the services placed on them,
ranking candidates with TOPSIS over average and highest CPU and memory load
(CRS `static`, as proxmox-resource-scheduling does). Leaves out: CRS
`dynamic` (live load) and rebalancing.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .env import HAEnv

_CURRENT_STATES = ("started", "request_stop", "fence", "freeze", "error", "recovery", "migrate", "relocate")
_TARGET_STATES = ("migrate", "relocate", "request_start_balance")


def get_used_service_nodes(
    online_nodes: dict[str, int] | set[str], state: str, node: str | None, target: str | None
) -> tuple[str | None, str | None]:
    """The (current, target) nodes a service in `state` puts load on."""
    if state in ("stopped", "request_start"):
        return None, None
    current = node if state in _CURRENT_STATES and node in online_nodes else None
    tgt = target if state in _TARGET_STATES and target is not None and target in online_nodes else None
    return current, tgt


class BasicUsage:
    """Service count per node; a lower count is a better node."""

    def __init__(self, haenv: HAEnv) -> None:
        self.haenv = haenv
        self.nodes: dict[str, float] = {}
        self.service_nodes: dict[str, list[str]] = {}

    def add_node(self, node: str) -> None:
        self.nodes[node] = 0

    def list_nodes(self) -> list[str]:
        return sorted(self.nodes)

    def contains_node(self, node: str) -> bool:
        return node in self.nodes

    def add_service_usage_to_node(self, node: str, sid: str, service_node: str | None,
                                  target: str | None = None) -> None:
        self.nodes[node] += 1

    def remove_service_usage_from_node(self, node: str, sid: str) -> None:
        self.nodes[node] -= 1

    def add_service_usage(self, sid: str, state: str, node: str | None, target: str | None) -> None:
        current, tgt = get_used_service_nodes(self.nodes, state, node, target)
        used = [n for n in (current, tgt) if n is not None]
        for n in used:
            self.add_service_usage_to_node(n, sid, node, target)
        self.service_nodes[sid] = used

    def remove_service_usage(self, sid: str) -> None:
        for n in self.service_nodes.pop(sid, []):
            if n in self.nodes:
                self.remove_service_usage_from_node(n, sid)

    def score_nodes_to_start_service(self, sid: str, service_node: str | None) -> dict[str, float]:
        return dict(self.nodes)


# (name, weight): memory matters most, as in proxmox-resource-scheduling's static scheduler
_TOPSIS_CRITERIA = (("average cpu", 1.0), ("highest cpu", 2.0), ("average memory", 5.0),
                    ("highest memory", 10.0))


class StaticUsage(BasicUsage):
    """Configured cpu/memory per node; scores by TOPSIS closeness (lower is better)."""

    def __init__(self, haenv: HAEnv) -> None:
        super().__init__(haenv)
        self.node_stats = haenv.get_static_node_stats()
        self.cpu: dict[str, float] = {}
        self.mem: dict[str, float] = {}
        self.service_stats: dict[str, dict[str, float]] = {}

    def add_node(self, node: str) -> None:
        stats = self.node_stats.get(node)
        if not stats:
            raise ValueError(f"did not get static node usage information for '{node}'")
        if not stats.get("maxcpu"):
            raise ValueError(f"static node usage information for '{node}' missing cpu count")
        if not stats.get("maxmem"):
            raise ValueError(f"static node usage information for '{node}' missing memory")
        super().add_node(node)
        self.cpu[node] = 0.0
        self.mem[node] = 0.0

    def _stats(self, sid: str) -> dict[str, float]:
        if sid not in self.service_stats:
            stats = self.haenv.resource_static_stats(sid)
            self.service_stats[sid] = {"maxcpu": float(stats.get("maxcpu", 0)),
                                       "maxmem": float(stats.get("maxmem", 0))}
        return self.service_stats[sid]

    def add_service_usage_to_node(self, node: str, sid: str, service_node: str | None,
                                  target: str | None = None) -> None:
        super().add_service_usage_to_node(node, sid, service_node, target)
        stats = self._stats(sid)
        self.cpu[node] += stats["maxcpu"]
        self.mem[node] += stats["maxmem"]

    def remove_service_usage_from_node(self, node: str, sid: str) -> None:
        super().remove_service_usage_from_node(node, sid)
        stats = self._stats(sid)
        self.cpu[node] -= stats["maxcpu"]
        self.mem[node] -= stats["maxmem"]

    def _criteria_if_placed(self, candidate: str, stats: dict[str, float]) -> list[float]:
        cpu_loads, mem_loads = [], []
        for node in self.nodes:
            extra = node == candidate
            maxcpu = float(self.node_stats[node]["maxcpu"])
            maxmem = float(self.node_stats[node]["maxmem"])
            cpu_loads.append((self.cpu[node] + (stats["maxcpu"] if extra else 0)) / maxcpu)
            mem_loads.append((self.mem[node] + (stats["maxmem"] if extra else 0)) / maxmem)
        n = len(self.nodes)
        return [sum(cpu_loads) / n, max(cpu_loads), sum(mem_loads) / n, max(mem_loads)]

    def score_nodes_to_start_service(self, sid: str, service_node: str | None) -> dict[str, float]:
        stats = self._stats(sid)
        nodes = sorted(self.nodes)
        if not nodes:
            return {}
        matrix = [self._criteria_if_placed(node, stats) for node in nodes]
        weighted = []
        for col, (_name, weight) in enumerate(_TOPSIS_CRITERIA):
            norm = math.sqrt(sum(row[col] ** 2 for row in matrix)) or 1.0
            weighted.append([row[col] / norm * weight for row in matrix])
        best = [min(col) for col in weighted]
        worst = [max(col) for col in weighted]
        scores = {}
        for i, node in enumerate(nodes):
            d_best = math.sqrt(sum((weighted[c][i] - best[c]) ** 2 for c in range(len(best))))
            d_worst = math.sqrt(sum((weighted[c][i] - worst[c]) ** 2 for c in range(len(worst))))
            closeness = d_worst / (d_best + d_worst) if d_best + d_worst else 0.0
            scores[node] = -closeness
        return scores
