"""The lab cluster most simulator tests start from (importable from test modules)."""

from __future__ import annotations

from simulator.cluster import Cluster
from simulator.scenario import build

LAB_CLUSTER = {
    "seed": 7,
    "topology": {
        "cluster": {"name": "lab", "nodes": ["pve1", "pve2", "pve3"]},
        "storages": [{"id": "nas", "type": "nfs", "content": ["images", "rootdir"],
                      "server": "192.168.1.50", "export": "/srv/pve"}],
        "guests": [
            {"vmid": 100, "node": "pve1", "name": "web", "memory": 2048, "disks": {"scsi0": "local-lvm:32"},
             "running": True},
            {"vmid": 101, "node": "pve1", "name": "db", "memory": 4096, "disks": {"scsi0": "nas:16"},
             "running": True},
            {"vmid": 200, "type": "lxc", "node": "pve2", "name": "ct1", "memory": 512,
             "disks": {"rootfs": "local-lvm:8"}},
        ],
    },
}


def lab_cluster() -> Cluster:
    """Three clustered nodes, VM 100 (local disk) and 101 (NFS) running on pve1, CT 200 on pve2."""
    return build(LAB_CLUSTER)
