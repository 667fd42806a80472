"""A clean node shutdown or reboot on the cluster simulator, and the HA shutdown policies."""

from __future__ import annotations

from typing import Any

import pytest

from simulator.cluster import Cluster
from simulator.ha.cluster_env import install
from simulator.scenario import build
from simulator.shutdown import BOOT_DELAY


def lab(guests: list[dict[str, Any]], policy: str | None = None) -> Cluster:
    cluster = build({"topology": {"cluster": {"name": "lab"}, "guests": guests}})
    install(cluster)
    if policy is not None:
        run(cluster, f"pvesh set /cluster/options --ha shutdown_policy={policy}")
    return cluster


def vm(vmid: int, node: str, **config: Any) -> dict[str, Any]:
    return {"vmid": vmid, "type": "qemu", "node": node, "name": f"vm{vmid}", "running": True, "config": config}


def run(cluster: Cluster, line: str, node: str = "pve1") -> str:
    result = cluster.run(node, line)
    assert result.exit_code == 0, result.output
    return result.output


def ha_cluster(policy: str | None = None) -> Cluster:
    """Three nodes, the HA VM 100 running on pve2, HA settled."""
    cluster = lab([vm(100, "pve2")], policy)
    run(cluster, "ha-manager add vm:100")
    cluster.advance(60)
    assert service_line(cluster) == "service vm:100 (pve2, started)"
    return cluster


def runs_on(cluster: Cluster, vmid: int) -> list[str]:
    return sorted(n for n, node in cluster.nodes.items() if node.is_running(vmid))


def service_line(cluster: Cluster, vmid: int = 100, view: str = "pve1") -> str:
    lines = run(cluster, "ha-manager status", view).splitlines()
    return next(line for line in lines if line.startswith(f"service vm:{vmid} "))


def ha_log(cluster: Cluster, since: int = 0) -> list[str]:
    return [f"{e.node}/{e.source.removeprefix('pve-ha-')}: {e.message}" for e in cluster.log.since(since)
            if e.source in ("pve-ha-crm", "pve-ha-lrm")]


def watch(cluster: Cluster, seconds: int, vmid: int = 100) -> list[list[str]]:
    """Where `vmid` runs, second by second; it never runs on two nodes at once."""
    seen = []
    for _ in range(seconds):
        cluster.advance(1)
        where = runs_on(cluster, vmid)
        assert len(where) <= 1, f"vm {vmid} runs on {where} at t={cluster.clock.now:g}"
        seen.append(where)
    return seen


def test_default_policy_reboot_freezes_the_service_and_starts_it_again_on_the_same_node() -> None:
    cluster = ha_cluster()
    mark = cluster.log.mark()
    assert run(cluster, "reboot pve2") == "fault: reboot pve2"
    seen = watch(cluster, 12)
    assert service_line(cluster) == "service vm:100 (pve2, freeze)"
    assert seen[-1] == [] and cluster.nodes["pve2"].power
    seen += watch(cluster, 200)
    assert service_line(cluster) == "service vm:100 (pve2, started)"
    assert runs_on(cluster, 100) == ["pve2"]
    assert all(where in ([], ["pve2"]) for where in seen), "a frozen service is never recovered elsewhere"
    log = ha_log(cluster, mark)
    for line in ("pve2/lrm: got shutdown request with shutdown policy 'conditional'",
                 "pve2/lrm: reboot LRM, stop and freeze all services",
                 "pve1/crm: service 'vm:100': state changed from 'started' to 'freeze'",
                 "pve2/lrm: stopping service vm:100",
                 "pve2/crm: server received shutdown request",
                 "pve1/crm: service 'vm:100': state changed from 'freeze' to 'started'",
                 "pve2/lrm: starting service vm:100"):
        assert line in log, line
    assert not any("fence" in line for line in log), "a clean reboot releases the agent lock: no fencing"


def test_default_policy_shutdown_stops_the_service_and_recovers_it_on_another_node() -> None:
    cluster = ha_cluster()
    mark = cluster.log.mark()
    run(cluster, "shutdown pve2")
    seen = watch(cluster, 200)
    assert not cluster.nodes["pve2"].power
    assert runs_on(cluster, 100) in (["pve1"], ["pve3"])
    assert service_line(cluster) == f"service vm:100 ({runs_on(cluster, 100)[0]}, started)"
    assert cluster.guest_location(100) == runs_on(cluster, 100)[0]
    assert ["pve2"] in seen and [] in seen  # stopped on pve2 first, then recovered
    log = ha_log(cluster, mark)
    for line in ("pve2/lrm: got shutdown request with shutdown policy 'conditional'",
                 "pve2/lrm: shutdown LRM, stop all services",
                 "pve1/crm: node 'pve2': state changed from 'online' => 'unknown'",
                 "pve1/crm: fencing: acknowledged - got agent lock for node 'pve2'",
                 f"pve1/crm: recover service 'vm:100' from fenced node 'pve2' to node '{runs_on(cluster, 100)[0]}'"):
        assert line in log, line
    assert not any(e.source == "watchdog-mux" for e in cluster.log.since(mark)), "no watchdog reset"


def test_migrate_policy_drains_the_node_live_before_it_powers_off_and_moves_the_vm_back() -> None:
    cluster = ha_cluster("migrate")
    mark = cluster.log.mark()
    run(cluster, "shutdown pve2")
    seen = watch(cluster, 10)
    assert "lrm pve2 (maintenance mode" in run(cluster, "ha-manager status")
    seen += watch(cluster, 60)
    assert not cluster.nodes["pve2"].power
    assert all(seen), "a live migration: the VM runs somewhere every second"
    target = runs_on(cluster, 100)[0]
    assert target != "pve2" and service_line(cluster) == f"service vm:100 ({target}, started)"
    log = ha_log(cluster, mark)
    for line in ("pve2/lrm: got shutdown request with shutdown policy 'migrate'",
                 "pve2/lrm: shutdown LRM, doing maintenance, removing this node from active list",
                 "pve1/crm: node 'pve2': state changed from 'online' => 'maintenance'",
                 f"pve1/crm: migrate service 'vm:100' to node '{target}' (running)",
                 f"pve2/lrm: service vm:100 - end migrate to node '{target}'"):
        assert line in log, line
    powered_off = next(e.time for e in cluster.log.since(mark) if e.message == "pve2: power off")
    migrated = next(e.time for e in cluster.log.since(mark) if e.message.endswith(f"VM 100 migrated to {target}"))
    assert migrated < powered_off
    cluster.advance(300)
    assert service_line(cluster) == f"service vm:100 ({target}, started)", "stays away while pve2 is off"
    mark = cluster.log.mark()
    run(cluster, "power pve2 on")
    seen = watch(cluster, 60)
    assert all(seen) and runs_on(cluster, 100) == ["pve2"]
    assert service_line(cluster) == "service vm:100 (pve2, started)"
    log = ha_log(cluster, mark)
    assert "pve1/crm: node 'pve2': state changed from 'maintenance' => 'online'" in log
    assert "pve1/crm: moving service 'vm:100' back to 'pve2', node came back from maintenance." in log


def test_freeze_policy_keeps_the_service_frozen_while_the_node_is_off() -> None:
    cluster = ha_cluster("freeze")
    mark = cluster.log.mark()
    run(cluster, "shutdown pve2")
    seen = watch(cluster, 400)
    assert not cluster.nodes["pve2"].power
    assert all(where in ([], ["pve2"]) for where in seen) and runs_on(cluster, 100) == []
    assert service_line(cluster) == "service vm:100 (pve2, freeze)"
    log = ha_log(cluster, mark)
    assert "pve2/lrm: got shutdown request with shutdown policy 'freeze'" in log
    assert "pve2/lrm: shutdown LRM, stop and freeze all services" in log
    assert not any("fence" in line or "recover" in line for line in log)
    run(cluster, "power pve2 on")
    cluster.advance(60)
    assert runs_on(cluster, 100) == ["pve2"] and service_line(cluster) == "service vm:100 (pve2, started)"


def test_failover_policy_stops_the_service_on_a_reboot_instead_of_freezing_it() -> None:
    cluster = ha_cluster("failover")
    mark = cluster.log.mark()
    run(cluster, "reboot pve2")
    watch(cluster, 300)
    log = ha_log(cluster, mark)
    assert "pve2/lrm: shutdown LRM, stop all services" in log
    assert not any("freeze" in line for line in log)
    assert len(runs_on(cluster, 100)) == 1
    assert service_line(cluster) == f"service vm:100 ({runs_on(cluster, 100)[0]}, started)"


def test_a_non_ha_vm_with_onboot_comes_back_after_a_reboot_and_one_without_stays_off() -> None:
    cluster = lab([vm(200, "pve2", onboot=1), vm(201, "pve2")])
    mark = cluster.log.mark()
    run(cluster, "reboot pve2")
    cluster.advance(10)
    assert not cluster.nodes["pve2"].power and runs_on(cluster, 200) == runs_on(cluster, 201) == []
    messages = [e.message for e in cluster.log.since(mark) if e.source == "pve-guests"]
    assert messages == ["Stopping VM 201 (timeout = 180 seconds)", "Stopping VM 200 (timeout = 180 seconds)"]
    cluster.advance(BOOT_DELAY + 5)
    assert cluster.nodes["pve2"].power
    assert runs_on(cluster, 200) == ["pve2"] and runs_on(cluster, 201) == []
    assert [t.type for t in cluster.nodes["pve2"].tasks if t.id in ("200", "201")] == [
        "qmshutdown", "qmshutdown", "qmstart"]


def test_shutdown_and_reboot_in_the_node_shell() -> None:
    cluster = lab([vm(200, "pve3")])
    out = run(cluster, "shutdown -h now", "pve3")
    assert out.startswith("Broadcast message from root@pve3 on pts/0 (Mon 2025-11-24 09:00:00 UTC):")
    assert out.endswith("The system will power off now!")
    assert cluster.shutting_down("pve3") == "poweroff"
    cluster.advance(30)
    assert not cluster.nodes["pve3"].power
    run(cluster, "power pve3 on")
    cluster.advance(5)
    assert run(cluster, "reboot", "pve3") == ""
    assert cluster.shutting_down("pve3") == "reboot"
    cluster.advance(30)
    assert not cluster.nodes["pve3"].power
    cluster.advance(BOOT_DELAY)
    assert cluster.nodes["pve3"].power and cluster.shutting_down("pve3") is None
    assert run(cluster, "systemctl poweroff", "pve3") == ""
    assert run(cluster, "poweroff", "pve3") == "", "asking twice just queues the same job"
    cluster.advance(30)
    assert not cluster.nodes["pve3"].power
    result = cluster.run("pve3", "reboot")
    assert result.exit_code == 255 and result.output.startswith("Connection to pve3 closed by remote host.")


@pytest.mark.parametrize(("line", "message"), [
    ("shutdown -h +5", "shutdown: only 'shutdown [-h|-r] now' is simulated (no delayed shutdowns)"),
    ("shutdown -x now", "shutdown: invalid option -- 'x'"),
    ("shutdown pve9", "shutdown: only 'shutdown [-h|-r] now' is simulated (no delayed shutdowns)"),
    ("reboot pve2 pve3", "reboot: only plain 'reboot' (or the simulator's 'reboot NODE') is simulated"),
])
def test_unsupported_shutdown_forms_are_refused_and_change_nothing(line: str, message: str) -> None:
    cluster = lab([])
    result = cluster.run("pve1", line)
    assert (result.exit_code, result.output) == (1, message)
    assert all(node.shutdown is None for node in cluster.nodes.values())


def test_fault_commands_refuse_a_node_that_is_off_or_already_going_down() -> None:
    cluster = lab([])
    run(cluster, "shutdown pve2")
    result = cluster.run("pve1", "reboot pve2")
    assert (result.exit_code, result.output) == (2, "pve2 is already going down (poweroff)")
    cluster.advance(30)
    result = cluster.run("pve1", "shutdown pve2")
    assert (result.exit_code, result.output) == (2, "pve2 is powered off (try: power pve2 on)")


def test_a_power_cut_during_a_reboot_leaves_the_node_off() -> None:
    cluster = lab([vm(200, "pve2", onboot=1)])
    run(cluster, "reboot pve2")
    cluster.advance(2)
    run(cluster, "power pve2 off")
    cluster.advance(BOOT_DELAY + 60)
    assert not cluster.nodes["pve2"].power and cluster.shutting_down("pve2") is None


def test_a_standalone_node_shuts_down_without_ha() -> None:
    cluster = Cluster.lab_start()
    run(cluster, "qm create 100 --memory 512")
    run(cluster, "qm start 100")
    run(cluster, "shutdown pve1")
    cluster.advance(6)
    assert not cluster.nodes["pve1"].power and runs_on(cluster, 100) == []


def test_pvesh_sets_the_shutdown_policy_in_datacenter_cfg() -> None:
    cluster = lab([])
    run(cluster, "pvesh set /cluster/options --ha shutdown_policy=migrate")
    run(cluster, "pvesh set /cluster/options --crs ha=static")
    assert run(cluster, "cat /etc/pve/datacenter.cfg", "pve3") == "crs: ha=static\nha: shutdown_policy=migrate"
    assert run(cluster, "pvesh get /cluster/options --output-format json") == (
        '{"crs": {"ha": "static"}, "ha": {"shutdown_policy": "migrate"}}')
    run(cluster, "pvesh set /cluster/options --delete crs")
    assert run(cluster, "cat /etc/pve/datacenter.cfg") == "ha: shutdown_policy=migrate"
    result = cluster.run("pve1", "pvesh set /cluster/options --ha shutdown_policy=never")
    assert result.exit_code == 255
    assert result.output.splitlines()[:2] == [
        "400 Parameter verification failed.",
        "ha: invalid format - shutdown_policy: value 'never' does not have a value in the enumeration "
        "'conditional, freeze, failover, migrate'"]
    assert run(cluster, "cat /etc/pve/datacenter.cfg") == "ha: shutdown_policy=migrate"


def test_pvesh_needs_quorum_to_write() -> None:
    cluster = lab([])
    cluster.power("pve2", False)
    cluster.power("pve3", False)
    result = cluster.run("pve1", "pvesh set /cluster/options --ha shutdown_policy=freeze")
    assert result.exit_code != 0 and "Permission denied" in result.output


@pytest.mark.parametrize("policy", ["migrate", "conditional"])
@pytest.mark.parametrize("restore_at", [-1, 5, 15, 45, 100, 130])
def test_a_shutdown_in_progress_survives_a_save_and_restore(policy: str, restore_at: int) -> None:
    """-1: saved and restored just before the reboot (the restored LRM must still know its services)."""
    def history(restore: bool) -> list[tuple[float, str, str, str]]:
        cluster = lab([vm(100, "pve2"), vm(200, "pve2", onboot=1)], policy)
        run(cluster, "ha-manager add vm:100")
        cluster.advance(60)
        mark = cluster.log.mark()
        if restore and restore_at < 0:
            cluster = Cluster.from_json(cluster.to_json())
        run(cluster, "reboot pve2")
        cluster.advance(max(restore_at, 0))
        if restore and restore_at >= 0:
            cluster = Cluster.from_json(cluster.to_json())
        cluster.advance(300 - max(restore_at, 0))
        assert runs_on(cluster, 100) == ["pve2"] and runs_on(cluster, 200) == ["pve2"]
        return [(e.time, e.node, e.source, e.message) for e in cluster.log.since(mark)]

    assert history(restore=True) == history(restore=False)


def test_an_ha_vm_with_onboot_is_left_to_ha_after_a_reboot() -> None:
    cluster = lab([vm(100, "pve2", onboot=1)])
    run(cluster, "ha-manager add vm:100")
    cluster.advance(60)
    mark = cluster.log.mark()
    run(cluster, "reboot pve2")
    cluster.advance(30 + BOOT_DELAY)
    assert cluster.nodes["pve2"].power and runs_on(cluster, 100) == [], "startall does not start it behind HA"
    assert service_line(cluster) == "service vm:100 (pve2, freeze)"
    watch(cluster, 60)
    assert runs_on(cluster, 100) == ["pve2"] and "pve2/lrm: starting service vm:100" in ha_log(cluster, mark)


def test_migrate_policy_hangs_the_shutdown_while_a_strict_rule_keeps_the_vm_on_the_node() -> None:
    cluster = ha_cluster("migrate")
    run(cluster, "ha-manager rules add node-affinity only-pve2 --resources vm:100 --nodes pve2 --strict 1")
    cluster.advance(20)
    run(cluster, "shutdown pve2")
    cluster.advance(1000)
    assert cluster.nodes["pve2"].power and cluster.shutting_down("pve2") == "poweroff"
    assert runs_on(cluster, 100) == ["pve2"] and "lrm pve2 (maintenance mode" in run(cluster, "ha-manager status")
    hints = [e.message for e in cluster.log.since(0) if "shutdown still waiting" in e.message]
    assert hints == ["pve2: shutdown still waiting for pve-ha-lrm (HA services that cannot move away); "
                     "intervene, e.g. power pve2 off"]
    run(cluster, "power pve2 off")
    cluster.advance(120)
    assert not cluster.nodes["pve2"].power and cluster.shutting_down("pve2") is None


@pytest.mark.parametrize(("line", "kind", "output_end"), [
    ("shutdown -h now", "poweroff", "The system will power off now!"),
    ("shutdown -P now", "poweroff", "The system will power off now!"),
    ("shutdown --poweroff now", "poweroff", "The system will power off now!"),
    ("shutdown -r now", "reboot", "The system will reboot now!"),
    ("shutdown --reboot +0", "reboot", "The system will reboot now!"),
    ("poweroff", "poweroff", ""),
    ("reboot", "reboot", ""),
    ("systemctl poweroff", "poweroff", ""),
    ("systemctl reboot", "reboot", ""),
])
def test_every_shell_form_starts_the_matching_shutdown(line: str, kind: str, output_end: str) -> None:
    cluster = lab([])
    assert run(cluster, line, "pve2").endswith(output_end)
    assert cluster.shutting_down("pve2") == kind
    assert [n for n in cluster.nodes if cluster.shutting_down(n)] == ["pve2"]
