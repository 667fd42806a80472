"""Malformed scenario folders get one clear error naming the file, never a traceback."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from simulator.ha import tester

BASIC = Path(__file__).resolve().parents[4] / "shared" / "pve-ha-tests" / "test-basic1"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "test-case"
    target.mkdir()
    (target / "cmdlist").write_text(json.dumps([["power node1 on", "power node2 on", "power node3 on"]]))
    (target / "hardware_status").write_text(json.dumps({f"node{i}": {"power": "off", "network": "off"}
                                                        for i in (1, 2, 3)}))
    (target / "service_config").write_text(json.dumps({"vm:101": {"node": "node1", "state": "started"}}))
    return target


@pytest.mark.parametrize(("filename", "content", "message"), [
    ("cmdlist", "[[\"power node1 on\"", "cmdlist: invalid JSON"),
    ("cmdlist", "{\"a\": 1}", "cmdlist: expected a JSON array of arrays of command strings"),
    ("cmdlist", "[[\"power node9 on\"]]", "cmdlist: command 'power node9 on': no such node 'node9'"),
    ("cmdlist", "[[\"service vm:101 dance\"]]", "cmdlist: command 'service vm:101 dance': unknown service action"),
    ("cmdlist", "[[\"cfs node1 rw maybe\"]]", "cmdlist: command 'cfs node1 rw maybe': unknown cfs command"),
    ("service_config", "{\"vm:101\": {\"state\": \"started\"}}", "service 'vm:101' without assigned node!"),
    ("service_config", "{\"web:1\": {\"node\": \"node1\"}}", "invalid HA resource id 'web:1'"),
    ("hardware_status", "[]", "hardware_status: expected a JSON object of nodes"),
    ("rules_config", "node-affinity: r1\n\tnodes node1\n\tbogus 1\n", "rules_config line 1: rule 'r1': unknown "
                                                                       "property 'bogus'"),
    ("groups", "group: g\n\trestricted maybe\n\tnodes node1\n", "groups line 1: property 'restricted': type check"),
])
def test_malformed_file_is_named_in_the_error(folder: Path, filename: str, content: str, message: str,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    (folder / filename).write_text(content)
    assert tester.main([str(folder)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and "Traceback" not in err


def test_missing_folder_is_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert tester.main([str(tmp_path / "nope")]) == 2
    assert "does not exist or is not a directory" in capsys.readouterr().err


def test_all_mode_reports_pass_fail_and_the_count(folder: Path, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    if BASIC.is_dir():
        shutil.copytree(BASIC, tmp_path / "test-basic1")
    (folder / "log.expect").write_text("info      0     hardware: something else\n")
    code = tester.main(["--all", str(tmp_path)])
    lines = capsys.readouterr().out.splitlines()
    assert code == 1
    fail = next(line for line in lines if line.startswith("FAIL test-case"))
    assert fail.startswith("FAIL test-case: line 1: expected 'info      0     hardware: something else', got ")
    assert lines[-1] == ("1 passed, 1 failed" if BASIC.is_dir() else "0 passed, 1 failed")


def test_single_folder_prints_the_harness_log(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert tester.main([str(folder)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "info      0     hardware: starting simulation"
    assert "info     20    node1/crm: adding new service 'vm:101' on node 'node1'" in out
    assert out[-1] == "info    620     hardware: exit simulation - done"
