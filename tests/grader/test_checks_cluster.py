"""cluster.*, quorum.* and node.* checks."""

from __future__ import annotations

from rubric_states import cluster_data, standalone, state

from grader.checks import get


def run(check_id: str, doc, **params):
    return get(check_id)(doc, **params)


def test_cluster_exists_fails_on_standalone_nodes_and_says_how_to_create_one():
    outcome = run("cluster.exists", standalone(), name="lab")
    assert not outcome.passed
    assert "pvecm create lab" in outcome.message


def test_cluster_exists_fails_when_the_name_differs():
    outcome = run("cluster.exists", state(cluster=cluster_data(name="lab2")), name="lab")
    assert not outcome.passed and "'lab2'" in outcome.message


def test_cluster_exists_passes_with_the_right_name():
    assert run("cluster.exists", state(), name="lab").passed


def test_node_count_gives_partial_credit_for_each_joined_node():
    outcome = run("cluster.node-count", state(cluster=cluster_data(nodes=2)), count=3)
    assert not outcome.passed
    assert outcome.credit == 2 / 3
    assert "pvecm add" in outcome.message


def test_node_count_gives_nothing_without_a_cluster():
    outcome = run("cluster.node-count", standalone(), count=3)
    assert not outcome.passed and outcome.credit == 0


def test_node_count_passes_with_exactly_the_count():
    assert run("cluster.node-count", state(), count=3).passed


def test_has_node_names_the_missing_node():
    outcome = run("cluster.has-node", state(cluster=cluster_data(nodes=2)), node="pve3")
    assert not outcome.passed and "pve3" in outcome.message


def test_quorum_quorate_fails_when_a_majority_is_offline():
    outcome = run("quorum.quorate", state(cluster=cluster_data(nodes=3, online=1)))
    assert not outcome.passed
    assert "read-only" in outcome.message


def test_quorum_quorate_passes_with_two_of_three_online():
    assert run("quorum.quorate", state(cluster=cluster_data(nodes=3, online=2))).passed


def test_expected_votes_sums_the_members_votes():
    assert run("quorum.expected-votes", state(), votes=3).passed
    assert not run("quorum.expected-votes", state(), votes=4).passed


def test_node_votes_catches_a_node_given_extra_votes():
    data = cluster_data(nodes=2)
    data["nodes"][0]["votes"] = 2
    outcome = run("quorum.node-votes", state(cluster=data))
    assert not outcome.passed
    assert "pve1 has 2" in outcome.message


def test_node_online_tells_the_student_to_bring_the_node_back():
    outcome = run("node.online", state(cluster=cluster_data(nodes=3, online=2)), node="pve3")
    assert not outcome.passed and "offline" in outcome.message


def test_node_online_fails_for_a_node_outside_the_cluster():
    assert not run("node.online", state(), node="pve9").passed


def test_all_online_gives_partial_credit_per_online_node():
    outcome = run("node.all-online", state(cluster=cluster_data(nodes=3, online=2)))
    assert not outcome.passed and outcome.credit == 2 / 3


def test_qdevice_configured_says_so_when_the_state_document_cannot_tell():
    outcome = run("quorum.qdevice-configured", state(), host="192.168.1.20")
    assert not outcome.passed
    assert "does not report QDevices" in outcome.message or "no QDevice" in outcome.message
