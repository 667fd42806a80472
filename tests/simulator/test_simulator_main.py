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


def test_the_shell_runs_commands_as_the_user_given_with_user_and_refuses_a_user_without_realm() -> None:
    out = _sim("shell", "--user", "alice@pve", stdin="pvecm create lab\n")
    assert "Writing corosync config to /etc/pve/corosync.conf" in out.stdout
    bad = _sim("shell", "--user", "alice", stdin="hostname\n")
    assert bad.returncode == 2 and "--user must be USER@REALM" in bad.stderr


def test_run_prints_a_scenarios_log() -> None:
    scenario = SCENARIOS / "create-three-node-cluster" / "scenario.yaml"
    out = _sim("run", str(scenario))
    assert out.returncode == 0, out.stderr
    assert out.stdout == (scenario.parent / "expected.log").read_text()


def test_pve_ha_test_is_handed_to_the_ha_tester() -> None:
    out = _sim("pve-ha-test", "--help")
    assert "pve-ha-test is not available" in out.stderr or out.returncode == 0



def test_a_shell_session_on_a_node_that_dies_falls_back_to_the_previous_node() -> None:
    from simulator.cli.shell import Shell
    from simulator.cluster import Cluster

    shell = Shell(Cluster.lab_start())
    shell.execute("ssh pve2")
    result = shell.execute("power pve2 off")
    assert result.output == "fault: power pve2 off\nConnection to pve2 closed by remote host."
    assert shell.prompt == "root@pve1:~# "
    shell.execute("exit")
    assert shell.closed


def test_run_exits_1_and_says_which_expectation_failed(tmp_path: Path) -> None:
    scenario = tmp_path / "s.yaml"
    scenario.write_text("steps:\n  - fault: power pve2 off\nexpect:\n  - quorate: {pve2: true}\n")
    out = _sim("run", str(scenario))
    assert out.returncode == 1
    assert out.stdout.endswith("expect FAILED: pve2 quorate is False, expected True\n")


def test_a_malformed_scenario_is_an_error_message_not_a_traceback(tmp_path: Path) -> None:
    scenario = tmp_path / "s.yaml"
    scenario.write_text("steps:\n  - jump: 3\n")
    out = _sim("run", str(scenario))
    assert out.returncode == 2
    assert out.stderr == "error: step 1: expected one of run / fault / delay, got {'jump': 3}\n"


def test_a_scenario_with_a_guest_on_an_unknown_node_names_the_problem() -> None:
    import pytest

    from simulator.scenario import ScenarioError, build

    with pytest.raises(ScenarioError, match="topology: KeyError: 'pve9'"):
        build({"topology": {"guests": [{"vmid": 100, "node": "pve9"}]}})
