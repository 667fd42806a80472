"""`python -m simulator serve` over a real HTTPS socket: certificate, envelopes, reason phrases, faults."""

from __future__ import annotations

import hashlib
import socket
import ssl
import time

import pytest
import requests
from simserve import TOKEN_ID, TOKEN_SECRET, serve

from simulator.api import server

HEADERS = {"Authorization": f"PVEAPIToken={TOKEN_ID}={TOKEN_SECRET}"}


def url(port: int, path: str) -> str:
    return f"https://127.0.0.1:{port}/api2/json{path}"


def presented_fingerprint(port: int) -> str:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw, context.wrap_socket(raw) as tls:
        der = tls.getpeercert(binary_form=True)
    hexed = hashlib.sha256(der).hexdigest().upper()
    return ":".join(hexed[i:i + 2] for i in range(0, 64, 2))


def test_serve_prints_the_fingerprint_of_the_certificate_it_presents() -> None:
    with serve() as served:
        assert presented_fingerprint(served.port) == served.fingerprint
        assert any(line.startswith("token: grader@pve!ro (audit only)") for line in served.output)
        assert not any(TOKEN_SECRET in line for line in served.output)


def test_serve_answers_with_pve_envelopes_and_reason_phrases() -> None:
    with serve() as served, requests.Session() as session:
        reply = session.get(url(served.port, "/cluster/status"), headers=HEADERS, verify=served.ca_file, timeout=5)
        assert reply.status_code == 200 and reply.headers["Content-Type"].startswith("application/json")
        assert reply.json()["data"][0]["name"] == "lab"
        denied = session.get(url(served.port, "/version"), verify=served.ca_file, timeout=5)
        assert (denied.status_code, denied.reason) == (401, "No ticket")
        missing = session.get(url(served.port, "/nope"), headers=HEADERS, verify=served.ca_file, timeout=5)
        assert (missing.status_code, missing.reason) == (501, "Method 'GET /nope' not implemented")
        assert missing.json() == {"data": None, "message": "Method 'GET /nope' not implemented"}
        write = session.post(url(served.port, "/nodes/pve1/qemu/100/status/stop"), headers=HEADERS,
                             verify=served.ca_file, timeout=5)
        assert (write.status_code, write.reason) == (403, "Permission check failed (/vms/100, VM.PowerMgmt)")


def test_query_parameters_reach_the_handler() -> None:
    with serve() as served:
        reply = requests.get(url(served.port, "/cluster/resources?type=node"), headers=HEADERS, verify=served.ca_file,
                             timeout=5)
        assert {row["type"] for row in reply.json()["data"]} == {"node"}


def test_the_pve_version_flag_turns_the_cluster_into_pve_8() -> None:
    with serve("--pve-version", "8") as served:
        version = requests.get(url(served.port, "/version"), headers=HEADERS, verify=served.ca_file, timeout=5).json()
        assert version["data"]["release"] == "8.4"
        rules = requests.get(url(served.port, "/cluster/ha/rules"), headers=HEADERS, verify=served.ca_file, timeout=5)
        assert rules.status_code == 501


def test_latency_delays_every_request() -> None:
    with serve("--latency-ms", "80") as served, requests.Session() as session:
        session.get(url(served.port, "/version"), headers=HEADERS, verify=served.ca_file, timeout=5)
        started = time.monotonic()
        session.get(url(served.port, "/version"), headers=HEADERS, verify=served.ca_file, timeout=5)
        assert time.monotonic() - started >= 0.08


def test_fault_modes_answer_as_a_broken_endpoint_would() -> None:
    with serve("--fault", "5xx") as served:
        reply = requests.get(url(served.port, "/version"), headers=HEADERS, verify=served.ca_file, timeout=5)
        assert (reply.status_code, reply.reason) == (500, "Internal Server Error")
    with serve("--fault", "garbage:/cluster/resources") as served:
        good = requests.get(url(served.port, "/version"), headers=HEADERS, verify=served.ca_file, timeout=5)
        bad = requests.get(url(served.port, "/cluster/resources"), headers=HEADERS, verify=served.ca_file, timeout=5)
        assert good.json()["data"]["version"] and bad.status_code == 200
        with pytest.raises(ValueError):
            bad.json()
    with serve("--fault", "403") as served:
        reply = requests.get(url(served.port, "/version"), headers=HEADERS, verify=served.ca_file, timeout=5)
        assert (reply.status_code, reply.reason) == (403, "Permission check failed (/, Sys.Audit)")
    with serve("--fault", "timeout", "--hang-seconds", "3") as served, pytest.raises(requests.Timeout):
        requests.get(url(served.port, "/version"), headers=HEADERS, verify=served.ca_file, timeout=0.5)


def test_tls_mismatch_presents_another_certificate_than_the_announced_one() -> None:
    with serve("--fault", "tls-mismatch") as served:
        assert presented_fingerprint(served.port) != served.fingerprint


def test_bad_serve_arguments_exit_2_with_a_message(capsys: pytest.CaptureFixture[str]) -> None:
    assert server.main(["--fault", "meltdown", "--port", "0"]) == 2
    assert "unknown fault 'meltdown'" in capsys.readouterr().err
    assert server.main(["--token", "not-a-token", "--port", "0"]) == 2
    assert server.main(["--scenario", "/nonexistent.yaml", "--port", "0"]) == 2


def test_make_certificate_fingerprint_is_colon_hex_sha256() -> None:
    _, _, fingerprint = server.make_certificate("127.0.0.1")
    assert len(fingerprint) == 95 and fingerprint.count(":") == 31 and fingerprint == fingerprint.upper()


def test_the_announced_certificate_verifies_and_a_mismatched_one_does_not() -> None:
    with serve("--fault", "tls-mismatch") as served, pytest.raises(requests.exceptions.SSLError):
        requests.get(url(served.port, "/version"), headers=HEADERS, verify=served.ca_file, timeout=5)
