"""Lab folders: every week 6 lab passes its self-test, and broken folders fail loading with a precise message."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from grader import selftest
from grader.labs import LabError, load_lab, load_labs, parse_commands

LABS = selftest.DEFAULT_LABS
ALL_LABS = load_labs(LABS)


def test_the_week_has_its_four_labs_in_order():
    assert [lab.id for lab in ALL_LABS] == ["build-cluster", "quorum", "high-availability", "live-migration"]
    assert all(lab.instructions.startswith("# Lab ") for lab in ALL_LABS)


@pytest.mark.parametrize("lab", ALL_LABS, ids=lambda lab: lab.id)
def test_the_solution_scores_full_marks_the_start_nothing_and_each_mutant_fails_its_item(lab):
    cases = selftest.check_lab(lab)
    assert [c.run for c in cases][:2] == ["initial", "solution"]
    assert len(cases) == 2 + len(lab.mutants) and lab.mutants
    failed = [f"{c.run}: {'; '.join(c.problems)}" for c in cases if not c.ok]
    assert failed == []


def test_labs_with_probes_are_for_simulated_targets_only():
    for lab in ALL_LABS:
        if lab.rubric.has_probes:
            assert lab.meta.targets == ["simulated"]


@pytest.fixture
def lab_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "build-cluster"
    shutil.copytree(LABS / "build-cluster", folder)
    return folder


def load_error(folder: Path) -> str:
    with pytest.raises(LabError) as info:
        load_lab(folder)
    return str(info.value)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_an_unknown_rubric_field_fails_loading_with_the_lab_item_and_field(lab_copy):
    edit(lab_copy / "rubric.yaml", "    params: {name: lab}", "    params: {name: lab}\n    weight: 2")
    message = load_error(lab_copy)
    assert "lab build-cluster" in message
    assert "rubric.yaml:7: item 'cluster-name': weight: unknown field" in message


def test_a_cel_syntax_error_fails_loading_with_the_lab_and_item(lab_copy):
    edit(lab_copy / "rubric.yaml", "n.votes == 1)", "n.votes == 1")
    message = load_error(lab_copy)
    assert "lab build-cluster" in message and "item 'one-vote-each': expr: syntax error" in message


def test_a_cel_unknown_field_fails_loading_with_the_lab_and_item(lab_copy):
    edit(lab_copy / "rubric.yaml", "n.votes == 1", "n.vote == 1")
    assert "item 'one-vote-each': expr: unknown field 'vote'" in load_error(lab_copy)


def test_wrong_check_params_fail_loading(lab_copy):
    edit(lab_copy / "rubric.yaml", "params: {count: 3}", "params: {count: 3, nodes: 3}")
    assert "item 'three-members': check: check 'cluster.node-count' has no parameter 'nodes'" in load_error(lab_copy)


def test_a_missing_file_is_named(lab_copy):
    (lab_copy / "solution").unlink()
    assert f"{lab_copy / 'solution'}: missing" in load_error(lab_copy)


def test_a_lab_yaml_with_an_unknown_field_or_another_id_is_refused(lab_copy):
    edit(lab_copy / "lab.yaml", "number: 1", "number: 1\ncolour: red")
    assert "lab.yaml: colour: unknown field" in load_error(lab_copy)
    edit(lab_copy / "lab.yaml", "colour: red\n", "")
    edit(lab_copy / "lab.yaml", "id: build-cluster", "id: other-lab")
    assert "differs from the folder name" in load_error(lab_copy)


def test_invalid_yaml_names_the_line(lab_copy):
    (lab_copy / "rubric.yaml").write_text("items:\n  - id: [unclosed\n")
    assert "rubric.yaml: line" in load_error(lab_copy)


def test_a_scenario_the_simulator_cannot_build_is_refused(lab_copy):
    edit(lab_copy / "scenario.yaml", "node: pve3, name: scratch", "node: pve7, name: scratch")
    assert "scenario.yaml: the simulator cannot build it" in load_error(lab_copy)


def test_a_solution_line_on_an_unknown_node_is_refused_with_its_line(lab_copy):
    (lab_copy / "solution").write_text("pve1: pvecm create lab\npve9: pvecm add 192.168.1.11\n")
    assert "solution: line 2: unknown node 'pve9'" in load_error(lab_copy)


def test_a_mutant_must_name_an_existing_graded_item(lab_copy):
    (lab_copy / "mutants" / "bad.txt").write_text("pve1: pvecm create lab\n")
    assert "bad.txt: line 1: must be '# fails: <item-id>'" in load_error(lab_copy)
    (lab_copy / "mutants" / "bad.txt").write_text("# fails: no-such-item\npve1: pvecm create lab\n")
    assert "fails: unknown rubric item 'no-such-item'" in load_error(lab_copy)
    (lab_copy / "mutants" / "bad.txt").write_text("# fails: scratch-vm-removed\npve1: pvecm create lab\n")
    assert "'scratch-vm-removed' is informational" in load_error(lab_copy)


def test_probes_on_a_lab_open_to_real_targets_are_refused(tmp_path):
    folder = tmp_path / "high-availability"
    shutil.copytree(LABS / "high-availability", folder)
    edit(folder / "lab.yaml", "targets: [simulated]", "targets: [simulated, real]")
    assert "behaviour probes run on simulated clusters only" in load_error(folder)


def test_load_labs_reports_every_broken_lab_at_once(tmp_path):
    for slug in ("build-cluster", "quorum"):
        shutil.copytree(LABS / slug, tmp_path / slug)
        edit(tmp_path / slug / "rubric.yaml", "items:", "itemz:")
    with pytest.raises(LabError) as info:
        load_labs(tmp_path)
    assert "lab build-cluster" in str(info.value) and "lab quorum" in str(info.value)


def test_solution_lines_name_a_node_a_user_or_neither():
    problems: list[str] = []
    commands = parse_commands("# comment\n\npve2: pvecm status\nqm list\npve1 as root@pam: qm start 100\n",
                              Path("solution"), ["pve1", "pve2"], problems)
    assert problems == []
    assert [(c.line, c.node, c.user, c.command) for c in commands] == [
        (3, "pve2", None, "pvecm status"), (4, None, None, "qm list"), (5, "pve1", "root@pam", "qm start 100")]


def test_the_content_hash_changes_with_the_content(lab_copy):
    before = load_lab(lab_copy).content_hash
    assert load_lab(lab_copy).content_hash == before
    edit(lab_copy / "instructions.md", "# Lab 1", "# Lab 1 (revised)")
    assert load_lab(lab_copy).content_hash != before


def test_the_check_labs_command_prints_the_table_and_succeeds(capsys):
    from django.core.management import call_command

    call_command("check_labs", "--lab", "build-cluster")
    out = capsys.readouterr().out
    assert "build-cluster  solution" in out and "all 7 self-test cases pass" in out


def test_the_check_labs_command_fails_when_a_mutant_is_not_caught(tmp_path):
    from django.core.management import CommandError, call_command

    shutil.copytree(LABS / "build-cluster", tmp_path / "build-cluster")
    (tmp_path / "build-cluster" / "mutants" / "harmless.txt").write_text(
        "# fails: cluster-name\n" + (LABS / "build-cluster" / "solution").read_text())
    with pytest.raises(CommandError, match="1 of 8 self-test cases failed"):
        call_command("check_labs", str(tmp_path))


def test_the_instructor_docs_list_every_named_check():
    from grader.checks import all_checks

    docs = (Path(__file__).resolve().parents[2] / "docs" / "labs.md").read_text()
    missing = [check_id for check_id in all_checks() if f"| `{check_id}` |" not in docs]
    assert missing == []


def test_a_lab_knows_the_nodes_of_its_initial_cluster():
    assert {lab.id: lab.scenario_nodes for lab in ALL_LABS}["quorum"] == ["pve1", "pve2"]


def test_a_probe_step_naming_a_machine_outside_the_scenario_is_refused(tmp_path):
    folder = tmp_path / "quorum"
    shutil.copytree(LABS / "quorum", folder)
    edit(folder / "rubric.yaml", '"power pve2 off", "delay 30"]', '"power pve3 off", "delay 30"]')
    assert "item 'survives-pve2-loss': probe.steps: 'power pve3 off' names 'pve3'" in load_error(folder)
