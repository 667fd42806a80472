"""Choosing a node for a service (Manager.pm `select_service_node`).

Models node-affinity priority classes, resource affinity (together/apart),
failback, avoiding nodes where a start already failed (`try-next`), the
maintenance fallback node, and the CRS score (fewest services or static
load) with node name as tie-breaker. Leaves out: rebalancing on start.
"""

from __future__ import annotations

from typing import Any

from .usage import BasicUsage, get_used_service_nodes


def get_node_affinity(node_affinity: dict[str, Any], sid: str,
                      online: dict[str, int]) -> tuple[dict[str, int], dict[str, int]]:
    """(allowed nodes, preferred nodes = highest online priority class)."""
    if sid not in node_affinity:
        return dict(online), dict(online)
    allowed: dict[str, int] = {}
    by_priority: dict[int, dict[str, int]] = {}
    for node, props in node_affinity[sid]["nodes"].items():
        if node not in online:
            continue
        allowed[node] = 1
        by_priority.setdefault(int(props.get("priority") or 0), {})[node] = 1
    preferred = by_priority[max(by_priority)] if by_priority else {}
    return allowed, dict(preferred)


def get_resource_affinity(resource_affinity: dict[str, Any], sid: str, ss: dict[str, Any],
                          online: dict[str, int]) -> tuple[dict[str, int], dict[str, int]]:
    """(nodes with services that must be together with sid -> count, nodes to avoid)."""
    together: dict[str, int] = {}
    separate: dict[str, int] = {}
    for table, out, counting in ((resource_affinity["positive"], together, True),
                                 (resource_affinity["negative"], separate, False)):
        for csid in table.get(sid, {}):
            sd = ss.get(csid)
            if sd is None:
                continue
            for node in get_used_service_nodes(online, sd["state"], sd.get("node"), sd.get("target")):
                if node is not None:
                    out[node] = out.get(node, 0) + 1 if counting else 1
    return together, separate


def is_allowed_on_node(together: dict[str, int], separate: dict[str, int], node: str) -> bool:
    return bool(together.get(node)) or not separate.get(node)


def apply_positive(together: dict[str, int], allowed: dict[str, int]) -> None:
    candidates = sorted(n for n in together if n in allowed)
    if not candidates:
        return
    majority = sorted(candidates, key=lambda n: -together[n])[0]
    for node in list(allowed):
        if node != majority:
            del allowed[node]


def apply_negative(separate: dict[str, int], allowed: dict[str, int]) -> None:
    for node in separate:
        allowed.pop(node, None)


def select_service_node(compiled: dict[str, Any], usage: BasicUsage, sid: str, cd: dict[str, Any],
                        ss: dict[str, Any], preference: str) -> str | None:
    """Best node for `sid`; preference is `none` (stay if possible), `best-score` or `try-next`."""
    sd = ss[sid]
    current = sd.get("node")
    tried = sd.get("failed_nodes") or []
    fallback = sd.get("maintenance_node")
    online = dict.fromkeys(usage.list_nodes(), 1)
    allowed, pri_nodes = get_node_affinity(compiled["node-affinity"], sid, online)
    if not pri_nodes:
        return None
    together, separate = get_resource_affinity(compiled["resource-affinity"], sid, ss, online)
    if (preference == "none" and not int(cd.get("failback", 1)) and current in allowed
            and is_allowed_on_node(together, separate, current)):
        return current
    if preference == "try-next":
        for node in tried:
            pri_nodes.pop(node, None)
    apply_negative(separate, pri_nodes)
    apply_positive(together, pri_nodes)
    if fallback is not None and fallback in pri_nodes:
        return fallback
    if preference == "none" and current in pri_nodes:
        return current
    scores = usage.score_nodes_to_start_service(sid, current)
    nodes = sorted(pri_nodes, key=lambda n: (scores.get(n, 0), n))
    if not nodes:
        return None
    if preference == "try-next" and current in nodes:
        index = nodes.index(current)
        return nodes[index + 1] if index < len(nodes) - 1 else nodes[0]
    return nodes[0]
