"""Votequorum arithmetic, property-based and by example."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.cluster import Cluster
from simulator.corosync import CorosyncConf, NodeEntry, partition_quorum, setexpected_valid
from simulator.scenario import build


def _cluster(votes: list[int], qdevice: bool = False) -> Cluster:
    names = [f"n{i:02d}" for i in range(len(votes))]
    return build({"topology": {
        "nodes": [{"name": n, "ip": f"10.0.0.{i + 1}"} for i, n in enumerate(names)],
        "hosts": [{"name": "qnetd", "ip": "10.0.1.1"}] if qdevice else [],
        "cluster": {"name": "prop", "nodes": names, "votes": dict(zip(names, votes, strict=True))},
        "qdevice": {"host": "10.0.1.1"} if qdevice else None,
    }})


def _quorate_partitions(cluster: Cluster) -> set[tuple[str, ...]]:
    return {tuple(v.members) for v in cluster.views.values() if v.quorate}


layouts = st.integers(1, 32).flatmap(lambda n: st.tuples(
    st.lists(st.integers(1, 3), min_size=n, max_size=n),
    st.lists(st.integers(-1, 3), min_size=n, max_size=n),  # group index; -1 = powered off
    st.booleans(),  # with a QDevice
))


@settings(max_examples=200, deadline=None)
@given(layouts)
def test_at_most_one_partition_is_quorate_without_forced_expected(
        layout: tuple[list[int], list[int], bool]) -> None:
    votes, groups, qdevice = layout
    cluster = _cluster(votes, qdevice)
    names = sorted(cluster.nodes)
    for name, group in zip(names, groups, strict=True):
        if group < 0:
            cluster.power(name, False)
    split = [[n for n, g in zip(names, groups, strict=True) if g == k] for k in range(4)]
    split = [g for g in split if g]
    if len(split) > 1:
        cluster.partition(split)
    assert len(_quorate_partitions(cluster)) <= 1
    assert cluster.split_brains == []


@settings(max_examples=150, deadline=None)
@given(st.integers(2, 32).flatmap(lambda n: st.tuples(
    st.lists(st.integers(1, 3), min_size=n, max_size=n), st.integers(1, n - 1))))
def test_forcing_expected_votes_on_both_sides_records_a_split_brain(layout: tuple[list[int], int]) -> None:
    votes, cut = layout
    cluster = _cluster(votes)
    names = sorted(cluster.nodes)
    cluster.partition([names[:cut], names[cut:]])
    for side in (names[:cut], names[cut:]):
        view = cluster.views[side[0]]
        cluster.set_expected(side[0], view.total_votes)
    assert len(_quorate_partitions(cluster)) == 2
    assert [r["kind"] for r in cluster.split_brains] == ["quorate-partitions"]


def test_quorum_is_half_the_expected_votes_plus_one() -> None:
    for nodes, quorum in ((2, 2), (3, 2), (4, 3), (5, 3), (32, 17)):
        conf = CorosyncConf("x", 1, {f"n{i}": NodeEntry(f"n{i}", i + 1, 1, "") for i in range(nodes)})
        members = list(conf.nodes)
        confs = dict.fromkeys(members, conf)
        assert partition_quorum(members, confs, {}, 0)[2] == quorum


def test_two_node_cluster_loses_quorum_when_one_node_dies() -> None:
    cluster = _cluster([1, 1])
    cluster.power("n01", False)
    assert not cluster.is_quorate("n00")
    assert cluster.views["n00"].quorum == 2


def test_expected_votes_below_the_total_are_refused() -> None:
    assert not setexpected_valid(1, total_votes=3, quorate=True)
    assert not setexpected_valid(7, total_votes=3, quorate=True)
    assert setexpected_valid(1, total_votes=1, quorate=False)
    assert setexpected_valid(4, total_votes=3, quorate=True)


def test_a_single_cut_link_leaves_the_lowest_clique_quorate() -> None:
    cluster = _cluster([1, 1, 1])
    cluster.link("n00", "n01", up=False)
    assert cluster.partition_of("n00") == ["n00", "n02"]
    assert cluster.partition_of("n01") == ["n01"]
    assert cluster.is_quorate("n00") and not cluster.is_quorate("n01")


def test_reconnecting_forgets_a_forced_expected_vote() -> None:
    cluster = _cluster([1, 1, 1])
    cluster.network("n02", False)
    cluster.set_expected("n02", 1)
    assert cluster.is_quorate("n02")
    cluster.network("n02", True)
    assert cluster.views["n02"].expected_votes == 3
    assert cluster.nodes["n02"].expected_override is None


def test_qdevice_vote_goes_to_the_larger_partition_then_the_lowest_node_id() -> None:
    cluster = build({"topology": {
        "nodes": [{"name": f"pve{i}", "ip": f"192.168.1.1{i}"} for i in range(1, 5)],
        "hosts": [{"name": "qnetd", "ip": "192.168.1.20"}],
        "cluster": {"name": "lab"}, "qdevice": {"host": "192.168.1.20"},
    }})
    cluster.partition([["pve1", "pve2"], ["pve3", "pve4"]])
    assert cluster.is_quorate("pve1") and not cluster.is_quorate("pve3")
    cluster.power("pve1", False)
    assert cluster.is_quorate("pve3") and not cluster.is_quorate("pve2")


@settings(max_examples=100, deadline=None)
@given(st.integers(2, 12).flatmap(lambda n: st.tuples(
    st.lists(st.integers(1, 3), min_size=n, max_size=n), st.lists(st.integers(0, 2), min_size=n, max_size=n),
    st.integers(0, n - 1))))
def test_etc_pve_accepts_a_write_exactly_where_the_partition_is_quorate_and_heals_into_one_copy(
        layout: tuple[list[int], list[int], int]) -> None:
    votes, groups, writer_index = layout
    cluster = _cluster(votes)
    names = sorted(cluster.nodes)
    split = [[n for n, g in zip(names, groups, strict=True) if g == k] for k in range(3)]
    split = [g for g in split if g]
    if len(split) > 1:
        cluster.partition(split)
    writer = names[writer_index]
    result = cluster.run(writer, "qm create 900 --name probe")
    assert result.ok == cluster.is_quorate(writer), result.output
    cluster.heal()
    assert len({node.db for node in cluster.nodes.values()}) == 1
    assert (cluster.find_guest(900) is not None) == result.ok
    assert cluster.split_brains == []
