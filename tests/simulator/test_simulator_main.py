"""`python -m simulator`: the piped shell, `run`, and the pve-ha-test hand-over (`serve` is the API's)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = Path(__file__).resolve().parent / "scenarios"


def _sim(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "simulator", *args], input=stdin, capture_output=True,
                          text=True, cwd=ROOT, timeout=60, check=False)


def test_the_piped_shell_prints_each_prompt_command_and_output() -> None:
    out = _sim("shell", stdin="hostname\nssh pve2\nhostname\nexit\nnope\n")
    assert out.returncode == 0
    assert out.stdout == ("root@pve1:~# hostname\npve1\nroot@pve1:~# ssh pve2\nroot@pve2:~# hostname\npve2\n"
                          "root@pve2:~# exit\nlogout\nConnection to pve2 closed.\n"
                          "root@pve1:~# nope\n-bash: nope: command not found\n")


def test_the_shell_records_the_user_given_with_user_on_tasks() -> None:
    out = _sim("shell", "--user", "alice@pve", stdin="pvecm create lab\n")
    assert "Writing corosync config to /etc/pve/corosync.conf" in out.stdout


def test_run_prints_a_scenarios_log() -> None:
    scenario = SCENARIOS / "create-three-node-cluster" / "scenario.yaml"
    out = _sim("run", str(scenario))
    assert out.returncode == 0, out.stderr
    assert out.stdout == (scenario.parent / "expected.log").read_text()


def test_pve_ha_test_is_handed_to_the_ha_tester() -> None:
    out = _sim("pve-ha-test", "--help")
    assert "pve-ha-test is not available" in out.stderr or out.returncode == 0

