"""Lossless, versioned JSON persistence: a restored cluster behaves exactly like the original."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from simlab import lab_cluster

from simulator.cluster import Cluster

SESSION = [
    ("pve1", "qm snapshot 100 base"),
    ("pve1", "qm migrate 101 pve2 --online"),
    ("pve1", "network pve3 off"),
    ("pve3", "pvecm expected 1"),
    ("pve3", "pct list"),
    ("pve1", "sleep 30"),
    ("pve1", "network pve3 on"),
    ("pve2", "qm migrate 101 pve3 --online"),
    ("pve1", "crash pve2 corosync"),
    ("pve2", "systemctl restart corosync"),
    ("pve1", "pvecm status"),
    ("pve2", "journalctl -u corosync -n 5"),
]


def _roundtrip(cluster: Cluster) -> Cluster:
    return Cluster.from_json(json.loads(json.dumps(cluster.to_json())))


def test_a_restored_cluster_answers_every_later_command_like_the_original(cluster: Cluster) -> None:
    twin = _roundtrip(cluster)
    for node, line in SESSION:
        assert twin.to_json() == cluster.to_json()
        original, restored = cluster.run(node, line), twin.run(node, line)
        assert (restored.output, restored.exit_code) == (original.output, original.exit_code), line
        twin = _roundtrip(twin)
    assert twin.to_json() == cluster.to_json()


def test_the_random_generator_state_survives_a_restore(cluster: Cluster) -> None:
    twin = _roundtrip(cluster)
    assert [twin.rng.random() for _ in range(3)] == [cluster.rng.random() for _ in range(3)]


def test_a_migration_in_flight_completes_after_a_restore(cluster: Cluster) -> None:
    task = cluster.migrate_guest("pve1", 100, "qemu", "pve2", online=True, with_local_disks=True)
    twin = _roundtrip(cluster)
    twin.advance(600)
    assert twin.guest_location(100) == "pve2"
    assert twin.find_task(task.upid).status == "OK"  # type: ignore[union-attr]


def test_documents_of_another_format_or_version_are_refused(cluster: Cluster) -> None:
    saved = cluster.to_json()
    with pytest.raises(ValueError, match="not a ops3-simulator v1 document"):
        Cluster.from_json({**saved, "version": 99})


SEQUENCE_LINES = [
    "qm start 100", "qm stop 100", "qm snapshot 100 s1", "qm rollback 100 s1", "qm migrate 101 pve2 --online",
    "qm migrate 100 pve3 --online --with-local-disks", "pct start 200", "pct migrate 200 pve1 --restart",
    "power pve2 off", "power pve2 on", "network pve3 off", "network pve3 on", "link pve1 pve2 down",
    "link pve1 pve2 up", "partition pve1|pve2,pve3", "partition heal", "pvecm expected 1", "pvecm expected 2",
    "crash pve1 corosync", "systemctl restart corosync", "sleep 45", "qm set 101 --memory 1024",
    "pvecm delnode pve3", "qm create 300 --scsi0 nas:4 --start 1", "pct unlock 200", "qm unlock 100",
]


@settings(max_examples=150, deadline=None, derandomize=True)
@given(st.lists(st.tuples(st.sampled_from(["pve1", "pve2", "pve3"]), st.sampled_from(SEQUENCE_LINES)),
                min_size=1, max_size=12))
def test_any_session_gives_the_same_answers_when_saved_and_restored_between_commands(
        session: list[tuple[str, str]]) -> None:
    original = lab_cluster()
    twin = _roundtrip(original)
    for node, line in session:
        first, second = original.run(node, line), twin.run(node, line)
        assert (second.output, second.exit_code) == (first.output, first.exit_code), line
        twin = _roundtrip(twin)
    assert twin.to_json() == original.to_json()


def test_a_cluster_restored_straight_from_to_json_shares_no_state_with_the_original(cluster: Cluster) -> None:
    before = json.dumps(cluster.to_json(), sort_keys=True)
    fork = Cluster.from_json(cluster.to_json())
    for node, line in SESSION:
        fork.run(node, line)
    fork.run("pve1", "qm snapshot 101 more")
    fork.split_brains.append({"kind": "x"})
    assert json.dumps(cluster.to_json(), sort_keys=True) == before
