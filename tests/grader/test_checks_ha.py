"""ha.* checks, for PVE 8 groups and PVE 9 rules."""

from __future__ import annotations

from rubric_states import cluster_data, ha, ha_resource, state

from grader.checks import get

RULE = {"rule": "web-nodes", "type": "node-affinity", "resources": ["vm:100"],
        "nodes": {"pve1": 2, "pve2": 1}, "strict": 1}
GROUP = {"group": "web", "nodes": {"pve1": 2, "pve2": 1}, "restricted": 1}


def run(check_id: str, doc, **params):
    return get(check_id)(doc, **params)


def test_resource_started_tells_the_student_to_add_the_resource():
    outcome = run("ha.resource-started", state(ha=ha([])), sid="vm:100")
    assert not outcome.passed
    assert outcome.message == "vm:100 is not managed by HA (try: ha-manager add vm:100)"


def test_resource_started_reports_the_crm_state():
    outcome = run("ha.resource-started", state(ha=ha([ha_resource("vm:100", crm_state="fence")])), sid="vm:100")
    assert not outcome.passed and "fence" in outcome.message


def test_resource_started_can_require_a_node():
    doc = state(ha=ha([ha_resource("vm:100", node="pve2")]))
    assert run("ha.resource-started", doc, sid="vm:100").passed
    assert not run("ha.resource-started", doc, sid="vm:100", node="pve1").passed


def test_resource_in_group_or_rule_accepts_a_pve9_rule():
    doc = state(ha=ha([ha_resource("vm:100")], rules=[RULE]))
    assert run("ha.resource-in-group-or-rule", doc, sid="vm:100", nodes=["pve1", "pve2"], strict=True).passed


def test_resource_in_group_or_rule_accepts_a_pve8_group():
    doc = state(ha=ha([ha_resource("vm:100", group="web")], groups=[GROUP]))
    assert run("ha.resource-in-group-or-rule", doc, sid="vm:100", nodes=["pve1", "pve2"], strict=True).passed


def test_resource_in_group_or_rule_fails_without_placement_and_shows_both_ways():
    outcome = run("ha.resource-in-group-or-rule", state(ha=ha([ha_resource("vm:100")])), sid="vm:100")
    assert not outcome.passed
    assert "rules add node-affinity" in outcome.message and "groupadd" in outcome.message


def test_resource_in_group_or_rule_fails_when_the_rule_is_not_strict():
    doc = state(ha=ha([ha_resource("vm:100")], rules=[{**RULE, "strict": 0}]))
    outcome = run("ha.resource-in-group-or-rule", doc, sid="vm:100", strict=True)
    assert not outcome.passed and "strict 0" in outcome.message


def test_resource_in_group_or_rule_ignores_a_disabled_rule():
    doc = state(ha=ha([ha_resource("vm:100")], rules=[{**RULE, "disable": 1}]))
    assert not run("ha.resource-in-group-or-rule", doc, sid="vm:100").passed


def test_recovery_limits_gives_half_credit_when_one_limit_is_right():
    doc = state(ha=ha([ha_resource("vm:100", max_restart=2, max_relocate=1)]))
    outcome = run("ha.recovery-limits", doc, sid="vm:100", max_restart=2, max_relocate=2)
    assert not outcome.passed and outcome.credit == 0.5
    assert "--max_relocate 2" in outcome.message


def test_where_rules_allow_fails_outside_a_strict_rule():
    doc = state(ha=ha([ha_resource("vm:100", node="pve3")], rules=[RULE]))
    outcome = run("ha.resource-where-rules-allow", doc, sid="vm:100")
    assert not outcome.passed and "outside" in outcome.message


def test_where_rules_allow_wants_the_highest_priority_online_node():
    doc = state(ha=ha([ha_resource("vm:100", node="pve2")], rules=[RULE]))
    assert not run("ha.resource-where-rules-allow", doc, sid="vm:100").passed
    doc = state(cluster=cluster_data(nodes=3, online=3) | {"nodes": [
        {"name": "pve1", "nodeid": 1, "votes": 1, "online": 0},
        {"name": "pve2", "nodeid": 2, "votes": 1, "online": 1},
        {"name": "pve3", "nodeid": 3, "votes": 1, "online": 1}]},
        ha=ha([ha_resource("vm:100", node="pve2")], rules=[RULE]))
    assert run("ha.resource-where-rules-allow", doc, sid="vm:100").passed


def test_resource_in_group_or_rule_checks_the_priority_order():
    doc = state(ha=ha([ha_resource("vm:100")], rules=[RULE]))
    assert run("ha.resource-in-group-or-rule", doc, sid="vm:100", order=["pve1", "pve2"]).passed
    outcome = run("ha.resource-in-group-or-rule", doc, sid="vm:100", order=["pve2", "pve1"])
    assert not outcome.passed and "pve2 must be preferred" in outcome.message


def test_no_errors_explains_the_way_out_of_the_error_state():
    outcome = run("ha.no-errors", state(ha=ha([ha_resource("vm:100", crm_state="error")])))
    assert not outcome.passed and "ha-manager set vm:100 --state disabled" in outcome.message
    assert run("ha.no-errors", state(ha=ha([ha_resource("vm:100")]))).passed


def test_lrm_state_points_out_a_node_left_in_maintenance():
    doc = state(ha={**ha([]), "lrm": {"pve1": "active", "pve2": "maintenance mode"}})
    assert run("ha.lrm-state", doc, node="pve1").passed
    outcome = run("ha.lrm-state", doc, node="pve2")
    assert not outcome.passed and "node-maintenance disable pve2" in outcome.message
