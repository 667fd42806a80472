"""The one collector over the in-process simulator API, and over doctored answers (PVE 8, Ceph, garbage)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grader.backends import ApiCallError, CollectError, TargetUnavailable
from grader.backends.simulator import SimulatorClient
from grader.collect import LEVEL1, collect
from simulator.api.settings import ApiSettings
from simulator.cluster import Cluster
from simulator.ha.cluster_ha import install
from simulator.scenario import build

LAB = {"seed": 7, "topology": {
    "cluster": {"name": "lab", "nodes": ["pve1", "pve2", "pve3"]},
    "storages": [{"id": "nas", "type": "nfs", "content": ["images", "rootdir"], "server": "192.168.1.50",
                  "export": "/srv/pve"}],
    "guests": [{"vmid": 100, "node": "pve1", "name": "web", "disks": {"scsi0": "local-lvm:32"}, "running": True},
               {"vmid": 101, "node": "pve1", "name": "db", "disks": {"scsi0": "nas:16"}, "running": True},
               {"vmid": 200, "type": "lxc", "node": "pve2", "name": "ct1", "disks": {"rootfs": "local-lvm:8"}}]}}


def lab_cluster() -> Cluster:
    """Three clustered nodes, VM 100 (local disk) and 101 (NFS) running on pve1, CT 200 on pve2."""
    return build(LAB)


def ha_lab() -> Cluster:
    cluster = lab_cluster()
    install(cluster)
    assert cluster.run("pve1", "ha-manager add vm:100 --max_restart 2").ok
    assert cluster.run("pve1", "ha-manager rules add node-affinity keep-web --resources vm:100 --nodes pve1:2,pve2").ok
    assert cluster.run("pve1", "qm snapshot 101 before-upgrade", user="alice@pve").ok
    cluster.advance(40)
    return cluster


class Doctored:
    """The simulator's answers, with some paths replaced by a value or an exception."""

    source = "simulator"

    def __init__(self, cluster: Cluster, overrides: dict[str, Any], version: int = 9) -> None:
        self.real = SimulatorClient(cluster, ApiSettings.from_json({"version": version}))
        self.overrides = overrides
        self.paths: list[str] = []

    def get(self, path: str, **params: Any) -> Any:
        self.paths.append(path)
        if path in self.overrides:
            value = self.overrides[path]
            if isinstance(value, BaseException):
                raise value
            return value
        return self.real.get(path, **params)


def test_a_simulated_lab_becomes_a_complete_state_document() -> None:
    state, stats = collect(SimulatorClient(ha_lab()))
    assert state.source == "simulator" and state.pve.version == "9.1.2"
    assert (state.cluster.name, state.cluster.config_version, state.cluster.quorate) == ("lab", 3, 1)
    assert [(n.name, n.nodeid, n.votes, n.online) for n in state.cluster.nodes] == [
        ("pve1", 1, 1, 1), ("pve2", 2, 1, 1), ("pve3", 3, 1, 1)]
    assert state.ha.master == "pve1" and state.ha.lrm == {"pve1": "active", "pve2": "idle", "pve3": "idle"}
    resource = state.ha.resource("vm:100")
    assert (resource.crm_state, resource.node, resource.max_restart, resource.requested_state) == (
        "started", "pve1", 2, "started")
    assert state.ha.rule("keep-web").nodes == {"pve1": 2, "pve2": 0} and state.ha.groups == []
    web = state.guest(100)
    assert (web.status, web.ha_state, [d.storage for d in web.disks]) == ("running", "started", ["local-lvm"])
    assert [s.name for s in state.guest(101).snapshots] == ["before-upgrade"]
    assert state.guest(200).type == "lxc" and state.guest(200).status == "stopped"
    assert [t.type for t in state.tasks_where(user="alice@pve")] == ["qmsnapshot"]
    assert state.storage_by_id("nas").shared == 1 and set(state.storage_by_id("nas").status) == {"pve1", "pve2",
                                                                                                  "pve3"}
    assert state.ceph is None and state.backups.jobs == [] and state.backups.archives == []
    assert stats.source == "simulator"


def test_calls_are_counted_per_dependency_level() -> None:
    _, stats = collect(SimulatorClient(lab_cluster()))
    # level 2: tasks + storage per node (3 x 2), config + snapshots per guest (3 x 2), `local` backups per node (3)
    assert stats.level_calls == [len(LEVEL1), 15]
    assert stats.calls == len(LEVEL1) + 15
    assert stats.to_json()["levels"] == 2 and stats.wall_seconds > 0


def test_a_standalone_node_is_a_cluster_without_name() -> None:
    state, _ = collect(SimulatorClient(Cluster.lab_start()))
    assert state.cluster.name is None and state.cluster.config_version is None and state.cluster.quorate == 1
    assert [(n.name, n.nodeid, n.votes) for n in state.cluster.nodes] == [("pve1", None, None)]


def test_an_offline_node_is_not_asked_and_its_guests_are_unknown() -> None:
    cluster = lab_cluster()
    cluster.apply_fault("power pve2 off")
    client = Doctored(cluster, {})
    state, _ = collect(client)
    assert state.node("pve2").online == 0 and state.cluster.quorate == 1
    assert state.guest(200).status == "unknown" and state.guest(200).disks == []
    assert not [p for p in client.paths if p.startswith("/nodes/pve2/")]


def test_pve_8_groups_are_collected_and_the_missing_rules_endpoint_means_no_rules() -> None:
    groups = [{"group": "prefer-pve1", "type": "group", "nodes": "pve1:2,pve2", "restricted": 1, "digest": "x"}]
    client = Doctored(ha_lab(), {"/cluster/ha/groups": groups,
                                 "/cluster/ha/rules": ApiCallError(501, "Method 'GET /cluster/ha/rules' not "
                                                                        "implemented", "/cluster/ha/rules")},
                      version=8)
    state, _ = collect(client)
    assert state.pve.major == 8 and state.ha.rules == []
    assert state.ha.group("prefer-pve1").nodes == {"pve1": 2, "pve2": 0} and state.ha.group("prefer-pve1").restricted


def test_pve_9_without_groups_gives_an_empty_group_list() -> None:
    state, _ = collect(SimulatorClient(lab_cluster()))
    assert state.ha.groups == [] and state.ha.master is None and state.ha.resources == []


def test_cdrom_images_and_unused_disks_are_disks_but_none_is_not() -> None:
    cluster = lab_cluster()
    config = SimulatorClient(cluster).get("/nodes/pve1/qemu/100/config")
    config.update({"ide2": "local:iso/debian.iso,media=cdrom", "ide0": "none,media=cdrom",
                   "unused0": "local-lvm:vm-100-disk-1"})
    state, _ = collect(Doctored(cluster, {"/nodes/pve1/qemu/100/config": config}))
    assert [(d.key, d.storage, d.cdrom) for d in state.guest(100).disks] == [
        ("ide2", "local", 1), ("scsi0", "local-lvm", 0), ("unused0", "local-lvm", 0)]


def test_ceph_when_installed_is_read_from_status_and_the_node_lists() -> None:
    status = {"health": {"status": "HEALTH_WARN", "checks": {"OSD_DOWN": {
        "severity": "HEALTH_WARN", "summary": {"message": "1 osds down", "count": 1}, "muted": False}}},
        "pgmap": {"pgs_by_state": [{"state_name": "active+clean", "count": 100},
                                   {"state_name": "active+undersized+degraded", "count": 28}]}}
    tree = {"root": {"leaf": 0, "type": "root", "name": "default", "children": [
        {"type": "host", "name": "pve1", "children": [{"type": "osd", "id": 0, "status": "up", "in": 1}]},
        {"type": "host", "name": "pve2", "children": [{"type": "osd", "id": 1, "status": "down", "in": 1}]}]}}
    overrides = {"/cluster/ceph/status": status, "/nodes/pve1/ceph/osd": tree,
                 "/nodes/pve1/ceph/pool": [{"pool_name": "vm", "size": 3, "min_size": 2, "pg_num": 128}],
                 "/nodes/pve1/ceph/mon": [{"name": "pve1"}, {"name": "pve2"}],
                 "/nodes/pve1/ceph/mgr": [{"name": "pve1", "state": "active"}]}
    state, stats = collect(Doctored(lab_cluster(), overrides))
    ceph = state.ceph
    assert ceph.health.status == "HEALTH_WARN" and ceph.health.checks["OSD_DOWN"].summary == "1 osds down"
    assert [(o.id, o.host, o.up, o.in_) for o in ceph.osds] == [(0, "pve1", 1, 1), (1, "pve2", 0, 1)]
    assert ceph.pool("vm").size == 3 and ceph.mons == ["pve1", "pve2"] and ceph.mgrs == ["pve1"]
    assert ceph.pgs.by_state["active+clean"] == 100
    assert stats.level_calls[1] == 15 + 4


@pytest.mark.parametrize("path, value, message", [
    ("/cluster/status", "not a list", "/cluster/status: expected a list"),
    ("/cluster/status", [], "one entry per node"),
    ("/cluster/status", [{"type": "node", "online": 1}], "'name' is missing"),
    ("/cluster/status", [{"type": "node", "name": "pve1", "online": "yes"}], "should be 0 or 1"),
    ("/version", {"version": "banana"}, "not a Proxmox VE version"),
    ("/cluster/resources", {"data": []}, "expected a list"),
    ("/cluster/ha/status/current", [{"type": "lrm", "node": "pve1"}], "'status' is missing"),
    ("/storage", [{"storage": "x", "type": "dir", "disable": "maybe"}], "'disable' should be 0 or 1"),
    ("/nodes/pve1/tasks", [{"upid": "x", "node": "pve1", "type": "t", "user": "u", "starttime": "soon"}],
     "'starttime' should be a number"),
])
def test_answers_that_are_not_what_pve_answers_are_a_collect_error(path: str, value: Any, message: str) -> None:
    with pytest.raises(CollectError, match=message):
        collect(Doctored(lab_cluster(), {path: value}))


def test_a_client_that_breaks_in_its_own_way_is_a_collect_error_not_a_traceback() -> None:
    with pytest.raises(CollectError, match="failed in the API client: ZeroDivisionError"):
        collect(Doctored(lab_cluster(), {"/storage": ZeroDivisionError("boom")}))


@pytest.mark.parametrize("status, message, expected, text", [
    (401, "invalid token value!", TargetUnavailable, "token was rejected"),
    (403, "Permission check failed (/, Sys.Audit)", TargetUnavailable, "PVEAuditor"),
    (500, "Internal Server Error", TargetUnavailable, "500 Internal Server Error"),
    (595, "No route to host", TargetUnavailable, "595"),
    (400, "Parameter verification failed.", CollectError, "which Proxmox VE does not"),
])
def test_error_answers_become_target_unavailable_or_collect_error(status: int, message: str,
                                                                  expected: type[Exception], text: str) -> None:
    error = ApiCallError(status, message, "/cluster/status")
    with pytest.raises(expected, match=text):
        collect(Doctored(lab_cluster(), {"/cluster/status": error}))


def test_an_unexpected_error_on_an_optional_endpoint_is_not_taken_for_absence() -> None:
    error = ApiCallError(500, "got timeout", "/cluster/ceph/status")
    with pytest.raises(TargetUnavailable, match="got timeout"):
        collect(Doctored(lab_cluster(), {"/cluster/ceph/status": error}))


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=5),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                                 max_size=3), max_leaves=8)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=st.sampled_from([p for p, _ in LEVEL1.values()] + ["/nodes/pve1/tasks", "/nodes/pve1/storage",
                                                                "/nodes/pve1/qemu/100/config",
                                                                "/nodes/pve1/qemu/100/snapshot"]),
       value=JSON)
def test_any_garbage_answer_gives_a_valid_document_or_a_collect_error(path: str, value: Any) -> None:
    try:
        state, _ = collect(Doctored(lab_cluster(), {path: value}))
    except (CollectError, TargetUnavailable):
        return
    assert state.to_json()["schema_version"] == 1


def _two_node_cluster() -> Cluster:
    nodes = [{"name": "pve1", "ip": "192.168.1.11"}, {"name": "pve2", "ip": "192.168.1.12"}]
    return build({"topology": {"nodes": nodes, "hosts": [{"name": "qnetd", "ip": "192.168.1.20"}],
                               "cluster": {"name": "duo", "nodes": ["pve1", "pve2"]}}})


def test_a_cluster_without_a_qdevice_has_none_in_the_state_document() -> None:
    state = collect(SimulatorClient(_two_node_cluster())).state

    assert state.cluster.clustered and state.cluster.qdevice is None


def test_a_qdevice_set_up_with_pvecm_is_collected_with_its_host_algorithm_and_state() -> None:
    cluster = _two_node_cluster()
    result = cluster.run("pve1", "pvecm qdevice setup 192.168.1.20")
    assert result.exit_code == 0, result.output
    cluster.advance(10)

    qdevice = collect(SimulatorClient(cluster)).state.cluster.qdevice

    assert qdevice is not None
    assert (qdevice.host, qdevice.algorithm, qdevice.state) == ("192.168.1.20", "ffsplit", "Connected")
