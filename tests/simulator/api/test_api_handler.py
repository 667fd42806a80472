"""The PVE API emulation in-process: envelopes, shapes of reference section 8, auth, privileges, 501s."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from simlab import lab_cluster

from simulator.api import PveApi, make_token
from simulator.api.settings import ApiSettings, settings_of, store
from simulator.cluster import Cluster
from simulator.ha.cluster_ha import install

AUDIT = "PVEAPIToken=grader@pve!ro=audit-secret"
ADMIN = "PVEAPIToken=root@pam!admin=admin-secret"
BLIND = "PVEAPIToken=nobody@pve!none=none-secret"


def api_for(cluster: Cluster, version: int = 9) -> PveApi:
    tokens = [make_token("grader@pve!ro", "audit-secret"), make_token("root@pam!admin", "admin-secret",
                                                                         "Administrator"),
              make_token("nobody@pve!none", "none-secret", "NoAccess")]
    settings = ApiSettings.from_json({"version": version})
    settings.tokens = tokens
    return PveApi(cluster, settings)


def get(api: PveApi, path: str, token: str = AUDIT, **params: Any) -> Any:
    status, reason, body = api("GET", path, params, token)
    assert status == 200, (status, reason, body)
    assert set(body) <= {"data", "total"}
    return body["data"]


@pytest.fixture
def api() -> PveApi:
    return api_for(lab_cluster())


def test_version_answers_like_pve_9(api: PveApi) -> None:
    assert get(api, "/version") == {"version": "9.1.2", "release": "9.1", "repoid": "14a22df3cb0e5e5d"}


def test_the_api2_json_prefix_and_a_trailing_slash_are_accepted(api: PveApi) -> None:
    assert get(api, "/api2/json/version/")["release"] == "9.1"


def test_cluster_status_has_one_cluster_entry_and_one_entry_per_node_with_integer_flags(api: PveApi) -> None:
    rows = get(api, "/cluster/status")
    assert rows[0] == {"type": "cluster", "id": "cluster", "name": "lab", "nodes": 3, "quorate": 1, "version": 3}
    assert rows[1] == {"type": "node", "id": "node/pve1", "name": "pve1", "nodeid": 1, "ip": "192.168.1.11",
                       "local": 1, "online": 1, "level": ""}
    assert [r["local"] for r in rows[1:]] == [1, 0, 0]
    assert all(type(r["online"]) is int for r in rows[1:])


def test_a_standalone_node_reports_only_itself_with_nodeid_zero() -> None:
    api = api_for(Cluster.lab_start())
    assert get(api, "/cluster/status") == [{"type": "node", "id": "node/pve1", "name": "pve1",
                                            "ip": "192.168.1.11", "local": 1, "nodeid": 0, "online": 1,
                                            "level": ""}]
    status, reason, _ = api("GET", "/cluster/config/nodes", None, AUDIT)
    assert status == 500 and "is this node part of a cluster?" in reason


def test_a_powered_off_node_is_offline_in_cluster_status_and_its_guests_are_unknown() -> None:
    cluster = lab_cluster()
    cluster.apply_fault("power pve2 off")
    api = api_for(cluster)
    online = {r["name"]: r["online"] for r in get(api, "/cluster/status") if r["type"] == "node"}
    assert online == {"pve1": 1, "pve2": 0, "pve3": 1}
    guests = {r["vmid"]: r["status"] for r in get(api, "/cluster/resources", type="vm")}
    assert guests[200] == "unknown"
    status, reason, _ = api("GET", "/nodes/pve2/qemu", None, AUDIT)
    assert (status, reason) == (595, "No route to host")


def test_cluster_resources_entries_have_the_reference_fields(api: PveApi) -> None:
    rows = get(api, "/cluster/resources")
    node = next(r for r in rows if r["type"] == "node")
    guest = next(r for r in rows if r["type"] == "qemu")
    storage = next(r for r in rows if r["type"] == "storage")
    assert {"id", "node", "status", "cpu", "maxcpu", "mem", "maxmem", "disk", "maxdisk", "uptime", "level"} <= set(node)
    assert {"id", "vmid", "node", "name", "status", "template", "maxcpu", "maxmem", "maxdisk", "uptime"} <= set(guest)
    assert guest["id"] == "qemu/100" and guest["template"] == 0
    assert {"id", "storage", "node", "plugintype", "status", "shared", "content", "disk", "maxdisk"} <= set(storage)


def test_cluster_resources_filters_by_type_and_rejects_an_unknown_type(api: PveApi) -> None:
    assert {r["type"] for r in get(api, "/cluster/resources", type="vm")} == {"qemu", "lxc"}
    status, reason, body = api("GET", "/cluster/resources", {"type": "banana"}, AUDIT)
    assert (status, reason) == (400, "Parameter verification failed.")
    assert body["errors"] == {"type": "value 'banana' does not have a value in the enumeration "
                                      "'vm, storage, node, sdn'"}


def test_guest_lists_status_config_and_snapshots_follow_qemu_server(api: PveApi) -> None:
    api.cluster.run("pve1", "qm snapshot 101 before")
    assert [g["vmid"] for g in get(api, "/nodes/pve1/qemu")] == [100, 101]
    assert get(api, "/nodes/pve2/lxc")[0]["type"] == "lxc"
    current = get(api, "/nodes/pve1/qemu/100/status/current")
    assert current["status"] == "running" and current["qmpstatus"] == "running" and current["ha"] == {"managed": 0}
    config = get(api, "/nodes/pve1/qemu/100/config")
    assert config["memory"] == 2048 and config["scsi0"].startswith("local-lvm:vm-100-disk-0") and config["digest"]
    snaps = get(api, "/nodes/pve1/qemu/101/snapshot")
    assert [s["name"] for s in snaps] == ["before", "current"]
    assert snaps[0]["vmstate"] == 0 and snaps[-1]["description"] == "You are here!" and snaps[-1]["running"] == 1
    assert snaps[-1]["parent"] == "before"


def test_a_guest_on_another_node_is_a_missing_configuration_file(api: PveApi) -> None:
    status, reason, _ = api("GET", "/nodes/pve2/qemu/100/config", None, AUDIT)
    assert (status, reason) == (500, "Configuration file 'nodes/pve2/qemu-server/100.conf' does not exist")


def test_an_unknown_node_is_a_hostname_lookup_failure(api: PveApi) -> None:
    status, reason, _ = api("GET", "/nodes/pve9/qemu", None, AUDIT)
    assert status == 500 and reason.startswith("hostname lookup 'pve9' failed")


def test_node_tasks_carry_a_total_and_finished_tasks_have_status_and_endtime(api: PveApi) -> None:
    api.cluster.run("pve1", "qm snapshot 101 before", user="alice@pve")
    status, _, body = api("GET", "/nodes/pve1/tasks", None, AUDIT)
    assert status == 200 and body["total"] == 1
    task = body["data"][0]
    assert task["type"] == "qmsnapshot" and task["user"] == "alice@pve" and task["status"] == "OK"
    assert task["upid"].startswith("UPID:pve1:") and "endtime" in task
    assert get(api, "/nodes/pve1/tasks", typefilter="qmigrate") == []
    detail = get(api, f"/nodes/pve1/tasks/{task['upid']}/status")
    assert detail["status"] == "stopped" and detail["exitstatus"] == "OK"


def test_storage_config_and_node_status_use_pve_names_and_bytes(api: PveApi) -> None:
    config = {s["storage"]: s for s in get(api, "/storage")}
    assert config["nas"]["type"] == "nfs" and config["nas"]["shared"] == 1 and "digest" in config["nas"]
    assert "shared" not in config["local"]
    status = {s["storage"]: s for s in get(api, "/nodes/pve1/storage")}
    assert status["local-lvm"]["active"] == 1 and status["local-lvm"]["used"] == 32 * 1024 ** 3
    assert status["local-lvm"]["total"] == status["local-lvm"]["used"] + status["local-lvm"]["avail"]


def test_ceph_and_backups_answer_as_on_a_cluster_without_them(api: PveApi) -> None:
    status, reason, body = api("GET", "/cluster/ceph/status", None, AUDIT)
    assert (status, reason, body) == (500, "binary not installed: /usr/bin/ceph-mon",
                                      {"data": None, "message": "binary not installed: /usr/bin/ceph-mon"})
    assert get(api, "/cluster/backup") == []
    assert get(api, "/nodes/pve1/storage/local/content", content="backup") == []


def test_unknown_paths_and_methods_are_501_not_implemented(api: PveApi) -> None:
    assert api("GET", "/cluster/nothing", None, AUDIT)[:2] == (501, "Method 'GET /cluster/nothing' not implemented")
    status, reason, body = api("PUT", "/version", None, ADMIN)
    assert (status, reason) == (501, "Method 'PUT /version' not implemented")
    assert body == {"data": None, "message": "Method 'PUT /version' not implemented"}


def test_a_missing_token_is_401_no_ticket_and_a_wrong_secret_is_401(api: PveApi) -> None:
    assert api("GET", "/version", None, None)[:2] == (401, "No ticket")
    assert api("GET", "/version", None, "PVEAPIToken=grader@pve!ro=wrong")[:2] == (401, "invalid token value!")
    assert api("GET", "/version", None, "PVEAPIToken=someone@pve!ro=audit-secret")[0] == 401
    assert api("GET", "/version", None, "Bearer audit-secret")[0] == 401


def test_a_token_without_sys_audit_gets_403_on_cluster_status_and_sees_no_guests(api: PveApi) -> None:
    status, reason, body = api("GET", "/cluster/status", None, BLIND)
    assert (status, reason) == (403, "Permission check failed (/, Sys.Audit)")
    assert body["message"] == reason
    assert get(api, "/cluster/resources", token=BLIND) == []
    assert get(api, "/version", token=BLIND)["version"] == "9.1.2"


def test_an_audit_token_reads_everything_the_collector_needs(api: PveApi) -> None:
    for path in ["/version", "/cluster/status", "/cluster/resources", "/cluster/tasks", "/cluster/config/nodes",
                 "/cluster/config/join", "/nodes", "/nodes/pve1/qemu", "/nodes/pve2/lxc",
                 "/nodes/pve1/qemu/100/status/current", "/nodes/pve1/qemu/100/config",
                 "/nodes/pve1/qemu/100/snapshot", "/nodes/pve1/tasks", "/cluster/ha/status/current",
                 "/cluster/ha/status/manager_status", "/cluster/ha/resources", "/cluster/ha/rules", "/storage",
                 "/nodes/pve1/storage", "/access/permissions"]:
        assert api("GET", path, None, AUDIT)[0] == 200, path


def test_writes_need_more_than_audit(api: PveApi) -> None:
    status, reason, _ = api("POST", "/nodes/pve1/qemu/100/status/stop", None, AUDIT)
    assert (status, reason) == (403, "Permission check failed (/vms/100, VM.PowerMgmt)")
    assert api("POST", "/cluster/ha/resources", {"sid": "vm:100"}, AUDIT)[0] == 403
    assert api("DELETE", "/nodes/pve1/qemu/100", None, AUDIT)[0] == 403
    assert api("POST", "/nodes/pve1/qemu/100/status/stop", None, ADMIN)[0] == 501
    assert api.cluster.nodes["pve1"].is_running(100)


def test_permissions_list_the_token_privileges_on_root(api: PveApi) -> None:
    assert get(api, "/access/permissions")["/"]["Sys.Audit"] == 1
    assert "Sys.Modify" in get(api, "/access/permissions", token=ADMIN)["/"]


def test_cluster_config_nodes_and_join_describe_the_corosync_nodelist(api: PveApi) -> None:
    nodes = get(api, "/cluster/config/nodes")
    assert nodes[0] == {"node": "pve1", "name": "pve1", "nodeid": "1", "quorum_votes": "1",
                        "ring0_addr": "192.168.1.11"}
    join = get(api, "/cluster/config/join")
    assert join["preferred_node"] == "pve1" and len(join["nodelist"]) == 3
    assert join["totem"]["cluster_name"] == "lab" and join["config_digest"]


# -- HA, PVE 8 and 9 --------------------------------------------------------------------------
@pytest.fixture
def ha_cluster() -> Cluster:
    cluster = lab_cluster()
    install(cluster)
    assert cluster.run("pve1", "ha-manager add vm:100 --max_restart 2").ok
    cluster.advance(40)
    return cluster


def test_ha_status_current_matches_the_reference_entries(ha_cluster: Cluster) -> None:
    entries = get(api_for(ha_cluster), "/cluster/ha/status/current")
    by_id = {e["id"]: e for e in entries}
    assert by_id["quorum"] == {"id": "quorum", "type": "quorum", "node": "pve1", "quorate": 1, "status": "OK"}
    assert by_id["master"]["node"] == "pve1" and by_id["master"]["status"].startswith("pve1 (active, ")
    assert by_id["lrm:pve2"]["status"].startswith("pve2 (idle, ")
    service = by_id["service:vm:100"]
    assert service["crm_state"] == "started" and service["request_state"] == "started"
    assert service["max_restart"] == 2 and service["max_relocate"] == 1 and service["status"] == \
        "vm:100 (pve1, started)"


def test_ha_manager_status_has_manager_quorum_and_lrm_parts(ha_cluster: Cluster) -> None:
    data = get(api_for(ha_cluster), "/cluster/ha/status/manager_status")
    assert data["manager_status"]["master_node"] == "pve1"
    assert data["manager_status"]["service_status"]["vm:100"]["state"] == "started"
    assert data["quorum"] == {"node": "pve1", "quorate": 1}
    assert data["lrm_status"]["pve1"]["state"] == "active"


def test_ha_resources_list_only_written_keys(ha_cluster: Cluster) -> None:
    api = api_for(ha_cluster)
    rows = get(api, "/cluster/ha/resources")
    assert [(r["sid"], r["type"], r["max_restart"]) for r in rows] == [("vm:100", "vm", 2)]
    assert "max_relocate" not in rows[0] and rows[0]["digest"]
    assert get(api, "/cluster/ha/resources/vm:100")["sid"] == "vm:100"
    assert api("GET", "/cluster/ha/resources/vm:999", None, AUDIT)[:2] == (500, "no such resource 'vm:999'")


def test_the_vm_status_says_it_is_ha_managed(ha_cluster: Cluster) -> None:
    assert get(api_for(ha_cluster), "/nodes/pve1/qemu/100/status/current")["ha"] == {"managed": 1,
                                                                                     "state": "started"}
    assert get(api_for(ha_cluster), "/cluster/resources", type="vm")[0]["hastate"] == "started"


def test_pve_9_lists_rules_and_says_groups_were_migrated(ha_cluster: Cluster) -> None:
    assert ha_cluster.run("pve1", "ha-manager rules add node-affinity prefer-pve1 --resources vm:100 "
                                  "--nodes pve1:2,pve2").ok
    api = api_for(ha_cluster, 9)
    assert get(api, "/cluster/ha/rules") == [{"rule": "prefer-pve1", "type": "node-affinity",
                                              "digest": get(api, "/cluster/ha/rules")[0]["digest"], "order": 1,
                                              "resources": "vm:100", "nodes": "pve1:2,pve2", "strict": 0}]
    assert api("GET", "/cluster/ha/groups", None, AUDIT)[:2] == (
        500, "cannot index groups: ha groups have been migrated to rules")


def test_pve_8_lists_groups_and_has_no_rules_endpoint(ha_cluster: Cluster) -> None:
    api = api_for(ha_cluster, 8)
    assert get(api, "/version")["version"] == "8.4.1"
    assert get(api, "/cluster/ha/groups") == []
    assert api("GET", "/cluster/ha/rules", None, AUDIT)[:2] == (501, "Method 'GET /cluster/ha/rules' not implemented")


def test_without_ha_the_status_is_a_lone_quorum_entry(api: PveApi) -> None:
    assert get(api, "/cluster/ha/status/current") == [{"id": "quorum", "type": "quorum", "node": "pve1",
                                                       "quorate": 1, "status": "OK"}]
    assert get(api, "/cluster/ha/status/manager_status") == {"manager_status": {},
                                                              "quorum": {"node": "pve1", "quorate": 1}}


# -- settings ------------------------------------------------------------------------------------
def test_api_settings_travel_with_the_cluster_through_json() -> None:
    cluster = lab_cluster()
    store(cluster, ApiSettings.from_json({"version": 8, "tokens": [{"id": "a@pve!b", "secret": "s"}]}))
    restored = Cluster.from_json(cluster.to_json())
    settings = settings_of(restored)
    assert settings.major == 8 and settings.tokens[0].tokenid == "a@pve!b"


@pytest.mark.parametrize("raw, message", [
    ({"version": 7}, "not simulated"),
    ({"colour": "blue"}, "unknown key"),
    ({"tokens": [{"id": "nobody", "secret": "x"}]}, "invalid API token id"),
    ({"tokens": [{"id": "a@pve!b", "secret": "x", "role": "God"}]}, "unknown role"),
])
def test_bad_api_settings_are_refused_with_a_reason(raw: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ApiSettings.from_json(raw)


def test_a_token_repr_never_shows_its_secret() -> None:
    assert "audit-secret" not in repr(make_token("grader@pve!ro", "audit-secret"))


SEGMENTS = st.sampled_from(["nodes", "pve1", "pve9", "qemu", "lxc", "100", "200", "abc", "status", "current",
                            "config", "snapshot", "tasks", "cluster", "ha", "resources", "vm:100", "groups",
                            "rules", "storage", "local", "content", "..", "%2F", "", "UPID:x", "api2", "json"])


@settings(max_examples=300, deadline=None)
@given(method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "get"]),
       segments=st.lists(SEGMENTS, max_size=7),
       params=st.dictionaries(st.sampled_from(["type", "limit", "start", "source", "vmid", "since", "content",
                                               "typefilter", "statusfilter", "errors", "userfilter"]),
                              st.text(max_size=8) | st.integers() | st.booleans(), max_size=4),
       token=st.sampled_from([AUDIT, ADMIN, BLIND, None, "PVEAPIToken=", "garbage"]))
def test_any_request_gets_a_pve_answer_and_never_raises(method: str, segments: list[str], params: dict[str, Any],
                                                        token: str | None) -> None:
    api = api_for(lab_cluster())
    before = api.cluster.to_json()
    status, reason, body = api(method, "/" + "/".join(segments), params, token)
    assert isinstance(status, int) and isinstance(reason, str) and "data" in body
    assert (status == 200) == ("message" not in body)
    assert api.cluster.to_json() == before
