"""Walkthrough scenarios: data folders (scenario.yaml + expected.log) diffed against their golden log.

Each scenario runs twice: straight through, and saved/restored after every
step; both must produce the golden log. `UPDATE_EXPECT=1` rewrites the golden
logs (read the diff before committing them).
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest

from simulator.scenario import load, run_scenario

FOLDERS = sorted(p for p in (Path(__file__).parent / "scenarios").iterdir() if (p / "scenario.yaml").exists())


@pytest.mark.parametrize("folder", FOLDERS, ids=[p.name for p in FOLDERS])
def test_walkthrough_scenario_matches_its_golden_log_with_a_round_trip_after_every_step(folder: Path) -> None:
    data = load(folder / "scenario.yaml")
    straight = run_scenario(data)
    restored = run_scenario(data, roundtrip=True)
    assert restored.text == straight.text, "a save/restore between steps changed the behaviour"
    golden = folder / "expected.log"
    if os.environ.get("UPDATE_EXPECT") == "1" or not golden.exists():
        golden.write_text(straight.text)
    expected = golden.read_text()
    diff = "".join(difflib.unified_diff(expected.splitlines(True), straight.text.splitlines(True),
                                        "expected.log", "actual"))
    assert not diff, f"\n{diff}"
    assert straight.failures == []
