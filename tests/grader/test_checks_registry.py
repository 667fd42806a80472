"""The named-check registry: ids, parameter contracts, partial credit."""

from __future__ import annotations

import pytest

from grader.checks import Outcome, all_checks, get, validate_params

REQUIRED_BY_THE_BRIEF = ["cluster.exists", "cluster.node-count", "quorum.quorate", "quorum.expected-votes",
                         "quorum.qdevice-configured", "node.online", "ha.resource-started",
                         "ha.resource-in-group-or-rule", "ha.recovery-limits", "guest.running-on",
                         "migration.online-done", "task.ran-by-user"]


def test_every_check_of_the_design_is_registered_under_area_dot_fact():
    checks = all_checks()
    assert set(REQUIRED_BY_THE_BRIEF) <= set(checks)
    for check_id in checks:
        area, _, fact = check_id.partition(".")
        assert area in {"cluster", "quorum", "node", "ha", "guest", "migration", "task"} and fact


def test_every_check_says_what_it_checks():
    assert [cid for cid, spec in all_checks().items() if not spec.doc] == []


def test_an_unknown_check_lists_the_known_ones():
    (problem,) = validate_params("cluster.exist", {})
    assert "unknown check 'cluster.exist'" in problem and "cluster.exists" in problem


@pytest.mark.parametrize(("params", "ok"), [
    ({"type": "qmigrate"}, True),
    ({"type": ["qmigrate", "hamigrate"], "id": 100}, True),
    ({"type": "qmigrate", "id": "100"}, True),
    ({"type": 5}, False),
    ({"type": ["qmigrate", 5]}, False),
    ({"type": "qmigrate", "user": "alice@pve"}, True),
    ({"type": "qmigrate", "id": True}, False),
])
def test_parameters_are_checked_against_the_type_hints(params, ok):
    assert (validate_params("task.ran-by-user", params) == []) is ok


def test_context_parameters_need_not_appear_in_a_rubric():
    assert validate_params("migration.online-done", {"vmid": 100, "to": "pve2"}) == []


def test_booleans_are_not_integers_and_integers_are_numbers():
    assert validate_params("cluster.node-count", {"count": True})
    assert validate_params("ha.resource-in-group-or-rule", {"sid": "vm:100", "strict": 1})


def test_partial_credit_is_clamped_and_a_pass_earns_everything():
    assert Outcome.ok().credit == 1
    assert Outcome.fail("no").credit == 0
    assert Outcome.fail("half", partial=0.5).credit == 0.5
    assert Outcome.fail("odd", partial=7).credit == 1
    assert Outcome.part(3, 3, "all").passed
    part = Outcome.part(1, 4, "some")
    assert not part.passed and part.credit == 0.25


def test_a_check_is_called_with_the_state_and_its_params():
    from rubric_states import state

    assert get("cluster.node-count")(state(), count=3).passed
