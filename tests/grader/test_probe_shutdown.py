"""A probe may shut a node down cleanly; HA's shutdown policy then acts on the fork only."""

from __future__ import annotations

from grader.probes import run_probe
from grader.rubric import Probe
from simulator.scenario import build


def test_a_clean_shutdown_probe_recovers_the_ha_vm_on_the_fork_and_leaves_the_cluster_alone():
    cluster = build({"topology": {"cluster": {"name": "lab", "nodes": ["pve1", "pve2", "pve3"]},
                                  "guests": [{"vmid": 100, "node": "pve2", "name": "web", "running": True,
                                              "disks": {"scsi0": "local-lvm:8"}}]}})
    assert cluster.run("pve1", "ha-manager add vm:100").ok
    cluster.advance(60)
    before = cluster.to_json()

    state = run_probe(cluster, Probe(steps=["shutdown pve2", "delay 300"]))

    assert state.node("pve2").online == 0
    assert state.ha.resource("vm:100").node != "pve2"
    assert cluster.to_json() == before
