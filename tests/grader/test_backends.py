"""Backends against `simulator serve` over real HTTPS: the contract test, faults, network rules, secrecy.

The contract: one simulated cluster collected in-process and through
proxmoxer over HTTPS gives the same state document (except when and how it
was collected).
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import logging
import socket
import threading
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from simserve import TOKEN_ID, TOKEN_SECRET, Served, free_port, serve

from grader.backends import CollectError, TargetUnavailable
from grader.backends.proxmox import (
    ProxmoxClient,
    TargetRefused,
    TargetSpec,
    address_allowed,
    check_host,
    preflight,
)
from grader.backends.simulator import SimulatorClient
from grader.collect import collect
from simulator.api.server import scenario_cluster
from simulator.scenario import load

LOOPBACK = [ipaddress.ip_network("127.0.0.1/32")]


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    with serve() as running:
        yield running


def spec_for(served: Served, **changes: Any) -> TargetSpec:
    base = {"host": "127.0.0.1", "token_id": TOKEN_ID, "token_secret": TOKEN_SECRET, "port": served.port,
            "tls_mode": "pinned", "fingerprint": served.fingerprint, "timeout": 5.0}
    base.update(changes)
    return TargetSpec(**base)


def test_the_same_cluster_collected_in_process_and_over_https_gives_equal_documents(served: Served) -> None:
    remote, remote_stats = collect(ProxmoxClient(spec_for(served), networks=LOOPBACK))
    local, local_stats = collect(SimulatorClient(scenario_cluster(load(served.scenario))))
    assert remote.source == "proxmox" and local.source == "simulator"
    assert remote.comparable() == local.comparable()
    assert remote_stats.level_calls == local_stats.level_calls
    # the document is not trivially empty: HA, guests, snapshots and the student's tasks are all in it
    assert remote.ha.resource("vm:100").max_restart == 2 and remote.ha.rule("keep-web") is not None
    assert remote.guest(101).snapshot("before-upgrade") is not None
    assert {t.type for t in remote.tasks_where(user="alice@pve")} >= {"qmsnapshot", "qmigrate"}


def test_tls_verified_against_the_announced_certificate_works(served: Served) -> None:
    state, _ = collect(ProxmoxClient(spec_for(served, tls_mode="verify", ca_file=served.ca_file),
                                     networks=LOOPBACK))
    assert state.cluster.name == "lab"


def test_an_unverifiable_certificate_is_target_unavailable_with_its_fingerprint(served: Served) -> None:
    client = ProxmoxClient(spec_for(served, tls_mode="verify"), networks=LOOPBACK)
    with pytest.raises(TargetUnavailable, match="could not be verified") as caught:
        collect(client)
    assert served.fingerprint in str(caught.value)


@pytest.mark.parametrize("fault, tls_mode, expected, message", [
    ("5xx", "pinned", TargetUnavailable, "500 Internal Server Error"),
    ("401", "pinned", TargetUnavailable, "token was rejected"),
    ("403", "pinned", TargetUnavailable, "PVEAuditor"),
    ("garbage:/cluster/resources", "pinned", CollectError, "not JSON"),
    ("wrong-shape:/cluster/status", "pinned", CollectError, "expected a list"),
    ("tls-mismatch", "pinned", TargetUnavailable, "does not match the pinned fingerprint"),
    ("tls-mismatch", "verify", TargetUnavailable, "could not be verified"),
])
def test_each_fault_mode_gives_a_clear_error(fault: str, tls_mode: str, expected: type[Exception],
                                             message: str) -> None:
    with serve("--fault", fault) as faulty:
        client = ProxmoxClient(spec_for(faulty, tls_mode=tls_mode, ca_file=faulty.ca_file), networks=LOOPBACK)
        with pytest.raises(expected, match=message) as caught:
            collect(client)
    assert TOKEN_SECRET not in str(caught.value)


def test_a_target_that_hangs_is_target_unavailable_after_the_timeout() -> None:
    with serve("--fault", "timeout", "--hang-seconds", "5") as hanging:
        client = ProxmoxClient(spec_for(hanging, timeout=0.5), networks=LOOPBACK)
        with pytest.raises(TargetUnavailable, match=r"did not answer GET .* within 0\.5 s"):
            collect(client)


def test_a_closed_port_is_target_unavailable() -> None:
    spec = TargetSpec("127.0.0.1", TOKEN_ID, TOKEN_SECRET, port=free_port(), tls_mode="insecure", timeout=2)
    with pytest.raises(TargetUnavailable, match=r"cannot connect to 127\.0\.0\.1"):
        collect(ProxmoxClient(spec, networks=LOOPBACK))


def test_a_loopback_target_outside_the_allowed_networks_is_refused_before_connecting(settings) -> None:
    settings.GRADER_ALLOWED_NETWORKS = [ipaddress.ip_network("10.0.0.0/8")]
    accepted: list[Any] = []
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.settimeout(0.5)
        port = listener.getsockname()[1]

        def accept() -> None:
            with contextlib.suppress(OSError):
                accepted.append(listener.accept())

        watcher = threading.Thread(target=accept)
        watcher.start()
        spec = TargetSpec("127.0.0.1", TOKEN_ID, TOKEN_SECRET, port=port, tls_mode="insecure")
        with pytest.raises(TargetRefused, match="outside the networks") as caught:
            ProxmoxClient(spec).get("/version")
        watcher.join()
    assert accepted == []
    assert preflight(spec).problems == [str(caught.value)]


def test_localhost_by_name_is_refused_too(settings) -> None:
    settings.GRADER_ALLOWED_NETWORKS = [ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0")]
    with pytest.raises(TargetRefused):
        check_host("localhost", 8006)


@pytest.mark.parametrize("address, networks, allowed", [
    ("10.1.2.3", ["10.0.0.0/8"], True),
    ("192.168.1.5", ["10.0.0.0/8"], False),
    ("127.0.0.1", ["0.0.0.0/0"], False),
    ("127.0.0.1", ["127.0.0.0/8"], True),
    ("127.0.0.1", ["127.0.0.1/32"], True),
    ("169.254.169.254", ["0.0.0.0/0"], False),
    ("169.254.169.254", ["169.254.169.254/32"], True),
    ("169.254.10.1", ["169.254.0.0/16"], True),
    ("::1", ["::/0"], False),
    ("::ffff:127.0.0.1", ["0.0.0.0/0"], False),
    ("fe80::1", ["::/0"], False),
    ("2001:db8::5", ["2001:db8::/32"], True),
])
def test_network_rules(address: str, networks: list[str], allowed: bool) -> None:
    assert address_allowed(ipaddress.ip_address(address), [ipaddress.ip_network(n) for n in networks]) is allowed


def test_an_unresolvable_host_is_target_unavailable() -> None:
    with pytest.raises(TargetUnavailable, match="cannot resolve"):
        check_host("no-such-host.invalid", 8006, LOOPBACK)


def test_preflight_of_an_audit_only_token_is_ok_without_warnings(served: Served) -> None:
    result = preflight(spec_for(served), networks=LOOPBACK)
    assert result.ok and result.reachable and result.tls == "pinned" and result.version == "9.1.2"
    assert result.audit_only and "Sys.Audit" in result.privileges and result.warnings == []
    assert result.cluster == "lab"


def test_preflight_warns_about_a_token_with_more_than_audit_privileges() -> None:
    with serve(token=f"root@pam!admin={TOKEN_SECRET},role=Administrator") as admin:
        result = preflight(spec_for(admin, token_id="root@pam!admin"), networks=LOOPBACK)
    assert result.ok and result.audit_only is False
    assert "more than audit privileges" in result.warnings[0]


def test_preflight_reports_a_token_without_privileges_and_a_wrong_secret(served: Served) -> None:
    with serve(token=f"nobody@pve!none={TOKEN_SECRET},role=NoAccess") as blind:
        result = preflight(spec_for(blind, token_id="nobody@pve!none"), networks=LOOPBACK)
    assert not result.ok and "lacks Sys.Audit, VM.Audit, Datastore.Audit" in result.problems[0]
    wrong = preflight(spec_for(served, token_secret="wrong"), networks=LOOPBACK)
    assert not wrong.ok and "rejected" in wrong.problems[0]


def test_preflight_warns_when_tls_is_not_verified(served: Served) -> None:
    result = preflight(spec_for(served, tls_mode="insecure"), networks=LOOPBACK)
    assert result.ok and result.tls == "not verified" and "not verified" in result.warnings[0]


def test_a_target_spec_comes_from_a_registered_target(settings) -> None:
    settings.GRADER_COLLECT_TIMEOUT_SECONDS = 7
    target = SimpleNamespace(host="10.0.0.5", port=8006, token_id=TOKEN_ID, tls_mode="pinned",
                             fingerprint="AB:CD")
    spec = TargetSpec.from_model(target, secret=TOKEN_SECRET)
    assert (spec.host, spec.timeout, spec.pinned_hex) == ("10.0.0.5", 7.0, "abcd")


def test_the_token_secret_never_appears_in_errors_reprs_logs_or_evidence(served: Served,
                                                                         caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    seen: list[str] = []
    client = ProxmoxClient(spec_for(served), networks=LOOPBACK)
    state, stats = collect(client)
    seen += [repr(client), repr(client.spec), json.dumps(state.to_json()), json.dumps(stats.to_json())]
    seen.append(json.dumps(preflight(spec_for(served), networks=LOOPBACK).to_json()))
    for fault in ("5xx", "401", "garbage", "tls-mismatch"):
        with serve("--fault", fault) as faulty:
            try:
                collect(ProxmoxClient(spec_for(faulty), networks=LOOPBACK))
            except (TargetUnavailable, CollectError) as exc:
                seen += [str(exc), repr(exc), str(exc.__cause__), str(exc.__context__)]
            seen.append(json.dumps(preflight(spec_for(faulty), networks=LOOPBACK).to_json()))
    try:
        ProxmoxClient(spec_for(served, host="192.0.2.1"), networks=LOOPBACK)
    except TargetRefused as exc:
        seen.append(str(exc))
    seen += [record.getMessage() for record in caplog.records]
    assert len(seen) > 10
    assert not [text for text in seen if TOKEN_SECRET in text]


def test_verification_by_host_name_connects_to_the_checked_address(served: Served) -> None:
    loopback = [ipaddress.ip_network("127.0.0.1/32"), ipaddress.ip_network("::1/128")]
    client = ProxmoxClient(spec_for(served, host="localhost", tls_mode="verify", ca_file=served.ca_file),
                           networks=loopback)
    assert client.address in ("127.0.0.1", "::1")
    assert "localhost" not in client.api._store["base_url"]
    if client.address == "127.0.0.1":  # the server listens on IPv4 only
        assert client.get("/version")["release"] == "9.1"


def test_a_pve_8_cluster_collected_both_ways_gives_equal_documents() -> None:
    from simserve import LAB_SCENARIO

    scenario = "api: {version: 8}\n" + LAB_SCENARIO.replace(
        "  - run: ha-manager rules add node-affinity keep-web --resources vm:100 --nodes pve1:2,pve2\n", "")
    with serve(scenario=scenario) as served8:
        remote, _ = collect(ProxmoxClient(spec_for(served8), networks=LOOPBACK))
    local, _ = collect(SimulatorClient(scenario_cluster(load(served8.scenario))))
    assert remote.pve.major == 8 and remote.ha.rules == [] and remote.ha.groups == []
    assert remote.comparable() == local.comparable()
