"""pvecm add / delnode, tasks, storage definitions and the journal."""

from __future__ import annotations

from simulator.cluster import Cluster
from simulator.errors import PveError
from simulator.storage import make_storage


def test_a_node_with_guests_cannot_join_a_cluster() -> None:
    cluster = Cluster.lab_start()
    cluster.run("pve1", "pvecm create lab")
    cluster.run("pve2", "qm create 100")
    result = cluster.run("pve2", "pvecm add 192.168.1.11")
    assert result.output == ("Please enter superuser (root) password for '192.168.1.11': ********\n"
                             "detected the following error(s):\n* this host already contains virtual guests\n"
                             "Check if node may join a cluster failed!")
    assert cluster.conf_of("pve2") is None


def test_joining_through_an_unreachable_host_fails_after_the_login_prompt() -> None:
    cluster = Cluster.lab_start()
    cluster.run("pve1", "pvecm create lab")
    cluster.network("pve1", False)
    result = cluster.run("pve2", "pvecm add 192.168.1.11")
    assert result.output.endswith("500 Can't connect to 192.168.1.11:8006 (No route to host)")


def test_delnode_of_a_dead_node_shrinks_the_expected_votes(cluster: Cluster) -> None:
    cluster.power("pve3", False)
    result = cluster.run("pve1", "pvecm delnode pve3")
    assert (result.output, result.exit_code) == ("Killing node 3\nCould not kill node (error = CS_ERR_NOT_EXIST)", 0)
    conf = cluster.cluster_config()
    assert conf is not None and conf["config_version"] == 4 and len(conf["nodelist"]) == 2
    assert cluster.views["pve1"].expected_votes == 2
    assert cluster.run("pve1", "pvecm delnode pve1").output == "Cannot delete myself from cluster!"
    assert cluster.run("pve1", "pvecm delnode pve9").output == "Node/IP: pve9 is not a known host of the cluster."


def test_tasks_are_listed_per_node_newest_first_with_user_and_status(cluster: Cluster) -> None:
    cluster.run("pve2", "pct start 200", "carol@pve")
    cluster.run("pve2", "pct stop 200", "carol@pve")
    rows = cluster.tasks("pve2")
    assert [(r["type"], r["user"], r["status"]) for r in rows[:2]] == [("vzstop", "carol@pve", "OK"),
                                                                       ("vzstart", "carol@pve", "OK")]
    assert rows[0]["upid"].startswith("UPID:pve2:") and rows[0]["upid"].endswith(":vzstop:200:carol@pve:")


def test_a_shared_storage_defined_once_is_seen_by_every_member(cluster: Cluster) -> None:
    cluster.add_storage("pve1", make_storage("ceph-vm", "rbd", pool="ceph-vm"))
    row = next(s for s in cluster.storages("pve3") if s["storage"] == "ceph-vm")
    assert row["shared"] and row["nodes"] == ["pve1", "pve2", "pve3"]
    try:
        cluster.add_storage("pve2", make_storage("ceph-vm", "rbd"))
    except PveError as exc:
        assert exc.message == "storage ID 'ceph-vm' already defined"


def test_journalctl_shows_quorum_loss_for_the_unit(cluster: Cluster) -> None:
    cluster.network("pve2", False)
    corosync = cluster.run("pve2", "journalctl -u corosync").output.split("\n")
    assert corosync[-3].endswith("[QUORUM] This node is within the non-primary component and will NOT provide "
                                 "any services.")
    assert cluster.run("pve2", "journalctl -u pve-cluster -n 1").output.endswith("[status] notice: node lost quorum")
    assert cluster.run("pve2", "journalctl -u nothing").output == "-- No entries --"


def test_ssh_needs_a_network_path(cluster: Cluster) -> None:
    assert cluster.run("pve1", "ssh pve2 hostname").output == "pve2"
    cluster.link("pve1", "pve2", up=False)
    assert cluster.run("pve1", "ssh pve2").output == "ssh: connect to host 192.168.1.12 port 22: No route to host"


def test_every_library_scenario_builds_a_working_cluster() -> None:
    from simulator.scenario import LIBRARY, ScenarioError, build, library

    for ref in LIBRARY:
        cluster = build(library(ref))
        assert all(cluster.is_quorate(n) for n in cluster.nodes), ref
    try:
        library("nope")
    except ScenarioError as exc:
        assert "known: lab-start" in str(exc)
