"""The state document: schema, validation, JSON round trip and the accessors checks use."""

from __future__ import annotations

import json
from typing import Any

import pytest

from grader.state import SCHEMA_VERSION, StateDoc, StateError, json_schema


def document(**parts: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "schema_version": 1, "source": "simulator", "collected_at": "2026-11-25T00:00:00+00:00",
        "pve": {"version": "9.1.2", "release": "9.1"},
        "cluster": {"name": "lab", "config_version": 3, "quorate": 1, "nodes": [
            {"name": "pve1", "nodeid": 1, "votes": 1, "online": 1, "ip": "192.168.1.11"},
            {"name": "pve2", "nodeid": 2, "votes": 1, "online": 0, "ip": "192.168.1.12"}]},
        "ha": {"master": "pve1", "quorate": 1, "lrm": {"pve1": "active"}, "node_status": {"pve1": "online"},
               "resources": [{"sid": "vm:100", "type": "vm", "requested_state": "started", "crm_state": "started",
                              "state": "started", "node": "pve1", "max_restart": 1, "max_relocate": 1,
                              "failback": 1}],
               "groups": [{"group": "prefer", "nodes": {"pve1": 2, "pve2": 0}, "restricted": 1}],
               "rules": [{"rule": "keep", "type": "node-affinity", "resources": ["vm:100"],
                          "nodes": {"pve1": 2}, "strict": 1}]},
        "guests": [{"vmid": 100, "type": "qemu", "name": "web", "node": "pve1", "status": "running",
                    "disks": [{"key": "scsi0", "storage": "nas", "volid": "nas:vm-100-disk-0"},
                              {"key": "ide2", "storage": "local", "volid": "local:iso/d.iso", "cdrom": 1}],
                    "snapshots": [{"name": "before", "snaptime": 10, "vmstate": 0}]},
                   {"vmid": 200, "type": "lxc", "name": "ct", "node": "pve2", "status": "unknown"}],
        "ceph": None,
        "storage": [{"id": "nas", "type": "nfs", "content": ["images"], "shared": 1, "enabled": 1,
                     "status": {"pve1": {"active": 1, "total": 100, "used": 10, "avail": 90}}}],
        "backups": {"jobs": [], "archives": [{"volid": "local:backup/x.vma.zst", "storage": "local", "vmid": 100}]},
        "tasks": [
            {"upid": "UPID:pve1:1:1:2:qmigrate:100:alice@pve:", "node": "pve1", "type": "qmigrate", "id": "100",
             "user": "alice@pve", "status": "OK", "starttime": 20, "endtime": 30},
            {"upid": "UPID:pve1:1:1:1:qmstart:100:root@pam:", "node": "pve1", "type": "qmstart", "id": "100",
             "user": "root@pam", "status": "OK", "starttime": 5, "endtime": 6}],
    }
    data.update(parts)
    return data


@pytest.fixture
def state() -> StateDoc:
    return StateDoc.from_json(document())


def test_a_document_survives_a_json_round_trip_unchanged(state: StateDoc) -> None:
    text = json.dumps(state.to_json())
    assert StateDoc.from_json(json.loads(text)) == state
    assert state.to_json()["schema_version"] == SCHEMA_VERSION


def test_absent_subsystems_are_explicit_nulls_in_the_json(state: StateDoc) -> None:
    data = state.to_json()
    assert "ceph" in data and data["ceph"] is None


def test_comparable_leaves_out_only_source_and_collection_time(state: StateDoc) -> None:
    assert set(state.to_json()) - set(state.comparable()) == {"source", "collected_at"}


def test_the_json_schema_describes_every_top_level_part() -> None:
    schema = json_schema()
    assert {"schema_version", "source", "collected_at", "pve", "cluster", "ha", "guests", "ceph", "storage",
            "backups", "tasks"} <= set(schema["properties"])
    json.dumps(schema)


def test_flags_are_pve_integers_and_accept_booleans() -> None:
    data = document()
    data["cluster"]["quorate"] = True
    assert StateDoc.from_json(data).cluster.quorate == 1
    data["cluster"]["quorate"] = 2
    with pytest.raises(StateError, match=r"cluster\.quorate"):
        StateDoc.from_json(data)


@pytest.mark.parametrize("change, where", [
    ({"schema_version": 2}, "schema_version"),
    ({"source": "vmware"}, "source"),
    ({"colour": "blue"}, "colour"),
    ({"cluster": {"quorate": 1, "nodes": [{"online": 1}]}}, "cluster.nodes.0.name"),
    ({"guests": [{"vmid": "abc", "type": "qemu", "node": "pve1", "status": "running"}]}, "guests.0.vmid"),
])
def test_a_malformed_document_is_refused_naming_the_field(change: dict[str, Any], where: str) -> None:
    with pytest.raises(StateError, match=where.replace(".", r"\.")):
        StateDoc.from_json(document(**change))


def test_a_document_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(StateError):
        StateDoc.from_json(["not", "a", "document"])


def test_node_and_guest_accessors_find_things_or_return_none(state: StateDoc) -> None:
    assert state.node("pve2").online == 0
    assert state.node("pve9") is None
    assert state.guest(100).name == "web"
    assert state.guest("100") is state.guest("vm:100") is state.guest(100)
    assert state.guest("ct:200").type == "lxc"
    assert state.guest(999) is None and state.guest("banana") is None
    assert [g.vmid for g in state.guests_on("pve1")] == [100]
    assert [n.name for n in state.cluster.online_nodes] == ["pve1"] and state.cluster.clustered


def test_ha_accessors_find_resources_groups_and_rules(state: StateDoc) -> None:
    assert state.ha.resource("vm:100").crm_state == "started"
    assert state.ha.resource("vm:999") is None
    assert [r.sid for r in state.ha.resources_on("pve1")] == ["vm:100"]
    assert state.ha.group("prefer").restricted == 1 and state.ha.group("nope") is None
    assert state.ha.rule("keep").strict == 1 and state.ha.rule("nope") is None
    assert [r.rule for r in state.ha.rules_for("vm:100")] == ["keep"]
    assert state.ha.lrm_state("pve1") == "active" and state.ha.lrm_state("pve2") is None


def test_guest_helpers_name_its_sid_storages_and_snapshots(state: StateDoc) -> None:
    guest = state.guest(100)
    assert guest.sid == "vm:100" and state.guest(200).sid == "ct:200"
    assert guest.storages == ["local", "nas"]
    assert guest.snapshot("before").snaptime == 10 and guest.snapshot("after") is None
    assert [d.key for d in guest.disks if d.cdrom] == ["ide2"]


def test_tasks_where_filters_and_sorts_oldest_first(state: StateDoc) -> None:
    assert [t.type for t in state.tasks_where()] == ["qmstart", "qmigrate"]
    assert [t.type for t in state.tasks_where(user="alice@pve")] == ["qmigrate"]
    assert [t.type for t in state.tasks_where(type=("qmigrate", "qmstart"), id=100, since=10)] == ["qmigrate"]
    assert state.tasks_where(node="pve2") == [] and state.tasks_where(status="RUNNING") == []
    assert all(t.ok for t in state.tasks)


def test_storage_backups_and_version_accessors(state: StateDoc) -> None:
    assert state.storage_by_id("nas").status["pve1"].avail == 90
    assert state.storage_by_id("nope") is None
    assert [a.volid for a in state.backups.archives_of(100)] == ["local:backup/x.vma.zst"]
    assert state.pve.major == 9


def test_a_ceph_osd_keeps_its_in_flag_under_the_json_name_in() -> None:
    data = document(ceph={"health": {"status": "HEALTH_WARN", "checks": {
        "OSD_DOWN": {"severity": "HEALTH_WARN", "summary": "1 osds down"}}},
        "osds": [{"id": 0, "host": "pve1", "up": 0, "in": 1}], "pools": [{"name": "vm", "size": 3, "min_size": 2,
                                                                           "pg_num": 128}]})
    state = StateDoc.from_json(data)
    assert state.ceph.osd(0).in_ == 1 and state.ceph.osd(1) is None
    assert state.to_json()["ceph"]["osds"][0]["in"] == 1
    assert state.ceph.pool("vm").min_size == 2 and state.ceph.pool("x") is None
