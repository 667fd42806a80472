"""Our course scenarios as golden-log folders, with assertions on how each one ends.

Each folder under scenarios/ is in pve-ha-manager's test format plus
`expect.json`: which node runs each service (`running`), the CRM state of
each service (`crm_state`), which nodes are powered off (`powered_off`) and
which were fenced by their watchdog (`fenced`). `UPDATE_EXPECT=1` rewrites
log.expect for review (read it before committing it).
"""

from __future__ import annotations

import difflib
import json
import os
from pathlib import Path

import pytest

from simulator.ha.tester import simulate_world
from simulator.ha.testhw import Hardware

SCENARIOS = Path(__file__).parent / "scenarios"
FOLDERS = sorted(p.name for p in SCENARIOS.glob("test-*"))


def running_nodes(hw: Hardware, sid: str) -> list[str]:
    return sorted(node for node, services in hw.service_status.items() if services.get(sid))


def check_end_state(hw: Hardware, expect: dict) -> None:
    for sid, node in expect.get("running", {}).items():
        assert running_nodes(hw, sid) == ([node] if node else []), f"{sid} runs on {running_nodes(hw, sid)}"
    service_status = hw.manager_status_dict().get("service_status", {})
    for sid, state in expect.get("crm_state", {}).items():
        assert service_status[sid]["state"] == state, f"{sid} is {service_status[sid]['state']}"
    off = sorted(n for n, s in hw.status.items() if s["power"] == "off")
    assert off == sorted(expect.get("powered_off", [])), f"powered off: {off}"
    fenced = sorted({subject for _t, event, subject in hw.history if event == "watchdog-fenced"})
    assert fenced == sorted(expect.get("fenced", [])), f"fenced: {fenced}"


@pytest.mark.parametrize("name", FOLDERS)
def test_course_scenario_log_and_end_state(name: str) -> None:
    folder = SCENARIOS / name
    hw = simulate_world(folder)
    expect_file = folder / "log.expect"
    if os.environ.get("UPDATE_EXPECT") == "1":
        expect_file.write_text("\n".join(hw.lines) + "\n")
    expected = expect_file.read_text().splitlines()
    diff = "\n".join(difflib.unified_diff(expected, hw.lines, "log.expect", "log", lineterm=""))
    assert not diff, f"{name}:\n{diff}"
    check_end_state(hw, json.loads((folder / "expect.json").read_text()))


def test_fencing_story_recovers_the_vm_about_two_minutes_after_the_failure() -> None:
    hw = simulate_world(SCENARIOS / "test-fencing-story")
    failure = next(t for t, line in _timed(hw) if "execute network node2 off" in line)
    recovered = next(t for t, line in _timed(hw) if "recover service 'vm:100'" in line)
    watchdog = next(t for t, event, _s in hw.history if event == "watchdog-fenced")
    assert failure < watchdog < recovered
    assert 100 <= recovered - failure <= 140


def _timed(hw: Hardware) -> list[tuple[int, str]]:
    return [(int(line[6:11]), line) for line in hw.lines]
