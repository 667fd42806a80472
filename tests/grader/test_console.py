"""The console glue and the cluster picture, without HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from grader import console, picture
from simulator.scenario import build

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def _cluster(**topology):
    return console.new_cluster({"topology": {"cluster": {"name": "lab"}, **topology}}, now=NOW)


def test_a_new_cluster_runs_on_the_real_clock_from_the_lab_start():
    cluster = _cluster()
    assert cluster.clock.wall() == int(NOW.timestamp())


def test_catch_up_follows_the_wall_clock_with_the_speed_factor():
    cluster = _cluster()
    added = console.catch_up(cluster, since=NOW, now=NOW + timedelta(seconds=10), speed=3)
    assert added == 30 and cluster.clock.now == 30


def test_clean_line_keeps_one_line_without_control_characters():
    assert console.clean_line("  pvecm status\x1b[31m\x00\r\nrm -rf /") == "pvecm status[31m"
    assert console.clean_line("qm\tlist") == "qm\tlist"


def test_a_too_long_line_is_refused_not_cut():
    cluster = _cluster()
    entry = console.execute(cluster, console.Session("pve1"), "qm start 100" + " " * 600 + "x", user="root@pam")
    assert entry.exit_code == 1 and "line too long" in entry.output


def test_output_is_exactly_the_simulators_shell():
    cluster, reference = _cluster(), build({"topology": {"cluster": {"name": "lab"}}})
    entry = console.execute(cluster, console.Session("pve1"), "pvecm nodes", user="root@pam")
    assert entry.output == reference.run("pve1", "pvecm nodes").output


@settings(max_examples=200, deadline=None)
@given(line=st.text(max_size=300))
def test_execute_never_raises_whatever_the_line(line):
    entry = console.execute(_cluster(), console.Session("pve1", ["pve2"]), line, user="root@pam")
    assert isinstance(entry.output, str) and entry.prompt.startswith("root@")


def test_the_picture_shows_quorum_partitions_links_and_power():
    cluster = _cluster()
    cluster.apply_fault("partition pve1,pve2|pve3")
    cluster.advance(30)
    info = picture.describe(cluster)
    status = {n["name"]: n["status"] for n in info["nodes"]}
    assert status == {"pve1": "quorate", "pve2": "quorate", "pve3": "inquorate"}
    assert info["partitions"] == 2
    assert {(link["a"], link["b"]): link["up"] for link in info["links"]} == {
        ("pve1", "pve2"): True, ("pve1", "pve3"): False, ("pve2", "pve3"): False}
    cluster.apply_fault("power pve2 off")
    svg = picture.render(cluster)
    assert 'data-node="pve2"' in svg and "powered off" in svg and 'class="link down"' in svg


def test_the_picture_shows_ha_services_where_they_run():
    cluster = _cluster(guests=[{"vmid": 100, "node": "pve2", "running": True}])
    cluster.run("pve1", "ha-manager add vm:100")
    cluster.advance(60)
    info = picture.describe(cluster)
    assert info["services"] == {"vm:100": {"node": "pve2", "state": "started"}}
    pve2 = next(n for n in info["nodes"] if n["name"] == "pve2")
    assert pve2["services"] == [("vm:100", "started")]
    assert "vm:100 (started)" in picture.render(cluster)


def test_standalone_nodes_are_drawn_without_links():
    cluster = console.new_cluster({}, now=NOW)
    info = picture.describe(cluster)
    assert info["cluster"] is None and info["links"] == [] and {n["status"] for n in info["nodes"]} == {"alone"}
    assert "No cluster yet" in picture.render(cluster)


def test_every_text_in_the_picture_is_escaped():
    cluster = console.new_cluster({"topology": {"nodes": [{"name": "pve1", "ip": "10.0.0.1"}],
                                                "hosts": [{"name": "q<script>", "ip": "1.2.3.4"}]}}, now=NOW)
    svg = picture.render(cluster)
    assert "<script>" not in svg and "q&lt;script&gt;" in svg
