"""Command outputs reproduce the reference layouts byte for byte (proxmox.md sections 1, 2, 7)."""

# The trailing spaces in the expected texts are part of the real layouts.
# ruff: noqa: W291

from __future__ import annotations

import calendar

import pytest

from simulator.cluster import Cluster
from simulator.scenario import build

PVECM_STATUS_QUORATE = """\
Cluster information
-------------------
Name:             lab
Config Version:   3
Transport:        knet
Secure auth:      on

Quorum information
------------------
Date:             Tue Sep 14 11:06:47 2021
Quorum provider:  corosync_votequorum
Nodes:            3
Node ID:          0x00000001
Ring ID:          1.1a8
Quorate:          Yes

Votequorum information
----------------------
Expected votes:   3
Highest expected: 3
Total votes:      3
Quorum:           2  
Flags:            Quorate 

Membership information
----------------------
    Nodeid      Votes Name
0x00000001          1 192.168.15.91 (local)
0x00000002          1 192.168.15.92
0x00000003          1 192.168.15.93"""

PVECM_STATUS_ISOLATED = """\
Cluster information
-------------------
Name:             lab
Config Version:   3
Transport:        knet
Secure auth:      on

Quorum information
------------------
Date:             Tue Sep 14 11:06:47 2021
Quorum provider:  corosync_votequorum
Nodes:            1
Node ID:          0x00000003
Ring ID:          3.1ac
Quorate:          No

Votequorum information
----------------------
Expected votes:   3
Highest expected: 3
Total votes:      1
Quorum:           2 Activity blocked
Flags:            

Membership information
----------------------
    Nodeid      Votes Name
0x00000003          1 192.168.15.93 (local)"""

PVECM_NODES = """
Membership information
----------------------
    Nodeid      Votes Name
         1          1 hp1
         2          1 hp2 (local)
         3          1 hp3"""

CFGTOOL = """\
Local node ID 1, transport knet
LINK ID 0 udp
\taddr\t= 192.168.15.91
\tstatus:
\t\tnodeid:          1:\tlocalhost
\t\tnodeid:          2:\tconnected
\t\tnodeid:          3:\tdisconnected"""

LISTSNAPSHOT = """\
`-> first                       2025-05-01 10:00:00     no-description
 `-> second                     2025-05-01 11:00:00     before upgrade
  `-> current                                           You are here!"""


@pytest.fixture
def hp() -> Cluster:
    cluster = build({"topology": {
        "nodes": [{"name": f"hp{i}", "ip": f"192.168.15.{90 + i}"} for i in (1, 2, 3)],
        "hosts": [], "cluster": {"name": "lab"}}})
    cluster.clock.epoch = calendar.timegm((2021, 9, 14, 11, 6, 47, 0, 0, 0))
    return cluster


def _pin_ring_ids(cluster: Cluster, ring: str) -> None:
    for view in cluster.views.values():
        view.ring_id = ring


def test_pvecm_status_on_a_quorate_cluster_matches_the_reference(hp: Cluster) -> None:
    _pin_ring_ids(hp, "1.1a8")  # ring sequence numbers depend on history; the layout is the point
    result = hp.run("hp1", "pvecm status")
    assert result.output == PVECM_STATUS_QUORATE
    assert result.exit_code == 0


def test_pvecm_status_on_an_isolated_node_shows_activity_blocked(hp: Cluster) -> None:
    hp.network("hp3", False)
    _pin_ring_ids(hp, "3.1ac")
    assert hp.run("hp3", "pvecm status").output == PVECM_STATUS_ISOLATED


def test_pvecm_nodes_lists_decimal_ids_and_names_with_the_local_mark(hp: Cluster) -> None:
    result = hp.run("hp2", "pvecm nodes")
    assert result.output == PVECM_NODES
    assert hp.run("hp2", "corosync-quorumtool -l").output == PVECM_NODES


def test_corosync_cfgtool_shows_each_nodes_link_state(hp: Cluster) -> None:
    hp.power("hp3", False)
    assert hp.run("hp1", "corosync-cfgtool -s").output == CFGTOOL


def test_qm_listsnapshot_draws_the_snapshot_tree(cluster: Cluster) -> None:
    cluster.clock.epoch = calendar.timegm((2025, 5, 1, 10, 0, 0, 0, 0, 0))
    assert cluster.run("pve1", "qm snapshot 101 first").ok
    cluster.advance(3600)
    assert cluster.run("pve1", "qm snapshot 101 second --description 'before upgrade'").ok
    assert cluster.run("pve1", "qm listsnapshot 101").output == LISTSNAPSHOT


def test_pvecm_status_with_a_qdevice_shows_the_qdevice_column_and_row() -> None:
    cluster = build({"topology": {"cluster": {"name": "lab", "nodes": ["pve1", "pve2"]},
                                  "qdevice": {"host": "192.168.1.20"}}})
    lines = cluster.run("pve1", "pvecm status").output.split("\n")
    assert "Flags:            Quorate Qdevice " in lines
    assert lines[-4:] == [
        "    Nodeid      Votes    Qdevice Name",
        "0x00000001          1    A,V,NMW 192.168.1.11 (local)",
        "0x00000002          1    A,V,NMW 192.168.1.12",
        "0x00000000          1            Qdevice",
    ]


@pytest.mark.parametrize(("node", "line", "message"), [
    ("pve1", "pvecm status", "Error: Corosync config '/etc/pve/corosync.conf' does not exist - "
                             "is this node part of a cluster?"),
    ("pve1", "qm start 100", "Configuration file 'nodes/pve1/qemu-server/100.conf' does not exist"),
    ("pve1", "frobnicate --now", "-bash: frobnicate: command not found"),
    ("pve1", "pvecm expected", "400 not enough arguments\npvecm expected <expected>"),
    ("pve1", "pvecm expected 0", "400 Parameter verification failed.\n"
                                 "expected: value must have a minimum value of 1\npvecm expected <expected>"),
    ("pve1", "qm start abc", "400 Parameter verification failed.\n"
                             "vmid: type check ('integer') failed - got 'abc'\nqm start <vmid> [OPTIONS]"),
    ("pve1", "qm start 100 --bogus", "Unknown option: bogus\n400 unable to parse option\n"
                                     "qm start <vmid> [OPTIONS]"),
    ("pve1", "pvecm qdevice setup qnetd", "400 Parameter verification failed.\n"
     "address: invalid format - value does not look like a valid IP address\n"
     "pvecm qdevice setup <address> [OPTIONS]"),
    ("pve1", "pvecm create this-name-is-too-long", "400 Parameter verification failed.\n"
     "clustername: value may only be 15 characters long\npvecm create <clustername> [OPTIONS]"),
])
def test_errors_use_the_real_messages_on_a_standalone_node(node: str, line: str, message: str) -> None:
    cluster = Cluster.lab_start()
    result = cluster.run(node, line)
    assert result.output == message
    assert result.exit_code != 0


def test_an_isolated_node_refuses_to_start_a_guest_with_no_quorum(cluster: Cluster) -> None:
    cluster.network("pve1", False)
    cluster.run("pve1", "qm stop 101")
    result = cluster.run("pve1", "qm start 101")
    assert (result.output, result.exit_code) == ("cluster not ready - no quorum?", 255)


def test_expected_votes_cannot_drop_below_the_votes_present(cluster: Cluster) -> None:
    result = cluster.run("pve1", "pvecm expected 1")
    assert (result.output, result.exit_code) == ("Unable to set expected votes: CS_ERR_INVALID_PARAM", 1)


def test_migrating_a_running_vm_without_online_is_refused(cluster: Cluster) -> None:
    result = cluster.run("pve1", "qm migrate 101 pve2")
    assert result.output == "can't migrate running VM without --online"
