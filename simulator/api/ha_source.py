"""Where the API finds the HA stack of a simulated cluster.

The HA manager (simulator/ha) sees the world through an `HAEnv`; the API
reads HA state through the same interface, from one node's point of view
(`read_manager_status`, `read_lrm_status`, `read_service_config`,
`read_resources`, `read_group_config`, `read_rules_config`,
`ha_groups_migrated`, `quorate`, `nodename`, `get_time`, `format_time`).

An env is found, in order: a factory registered with `register_ha_env`,
then `simulator.ha.cluster_env.env_for(cluster, node)` when the HA package
provides that adapter. Without either, the cluster has no HA configured and
the API answers as PVE does before `ha-manager add` was ever run.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from simulator.cluster import Cluster

HAEnvFactory = Callable[["Cluster", str], Any]
_FACTORIES: list[HAEnvFactory] = []


def register_ha_env(factory: HAEnvFactory) -> None:
    """`factory(cluster, node)` returns an HAEnv for `node`, or None when HA is not attached."""
    if factory not in _FACTORIES:
        _FACTORIES.append(factory)


def ha_env_for(cluster: Cluster, node: str) -> Any | None:
    for factory in _FACTORIES:
        env = factory(cluster, node)
        if env is not None:
            return env
    try:
        module = importlib.import_module("simulator.ha.cluster_env")
    except ImportError:
        return None
    env_for = getattr(module, "env_for", None)
    return env_for(cluster, node) if callable(env_for) else None
