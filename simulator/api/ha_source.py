"""Where the API finds the HA stack of a simulated cluster.

The HA manager (simulator/ha) sees the world through an `HAEnv`; the API
reads HA state through the same interface, from one node's point of view
(`read_manager_status`, `read_lrm_status`, `read_service_config`,
`read_resources`, `read_group_config`, `read_rules_config`,
`ha_groups_migrated`, `quorate`, `nodename`, `get_time`, `format_time`).

An env is found, in order: a factory registered with `register_ha_env`,
then the HA package's cluster adapter (`simulator.ha.cluster_env.ClusterEnv`,
read-only use: the API never writes). The adapter reads the HA files in
/etc/pve, so a cluster where HA was never configured answers as PVE does
before `ha-manager add` was ever run. Without the HA package, the API
answers the same way.
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
    env_class = getattr(module, "ClusterEnv", None)
    if env_class is None:
        return None
    return env_class(cluster.subsystems.get("ha"), cluster, node, "api")
