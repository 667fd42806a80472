"""The rubric model: loading (authoring errors with item id and field) and grade() (pure)."""

from __future__ import annotations

import pytest
from rubric_states import cluster_data, standalone, state

from grader.rubric import GradeContext, ProbeError, Report, RubricError, grade, load_rubric


def rubric(*items: dict) -> dict:
    return {"items": list(items)}


EXISTS = {"id": "cluster-exists", "title": "The cluster exists", "points": 2, "check": "cluster.exists",
          "params": {"name": "lab"}}
COUNT = {"id": "three-nodes", "title": "Three nodes", "points": 3, "check": "cluster.node-count",
         "params": {"count": 3}, "requires": ["cluster-exists"]}
ONLINE = {"id": "all-online", "title": "Every node online", "points": 1,
          "expr": "state.cluster.nodes.all(n, n.online == 1)", "message": "bring every node online"}
INFO = {"id": "read-status", "title": "Read pvecm status", "points": 0, "expr": "true", "message": "-"}


def problems_of(data: dict) -> str:
    with pytest.raises(RubricError) as info:
        load_rubric(data, where="lab demo: rubric.yaml")
    return str(info.value)


def test_a_complete_rubric_loads():
    loaded = load_rubric(rubric(EXISTS, COUNT, ONLINE, INFO))
    assert [i.id for i in loaded.items] == ["cluster-exists", "three-nodes", "all-online", "read-status"]
    assert loaded.max_points == 6


def test_an_unknown_field_is_an_error_naming_the_item_and_field():
    text = problems_of(rubric({**EXISTS, "pionts": 3}))
    assert "lab demo: rubric.yaml: item 'cluster-exists': pionts: unknown field" in text


def test_a_cel_syntax_error_is_an_error_naming_the_item():
    text = problems_of(rubric({**ONLINE, "expr": "state.cluster.nodes.all(n, n.online == "}))
    assert "item 'all-online': expr: syntax error" in text


def test_a_cel_unknown_field_is_an_error_naming_the_field():
    text = problems_of(rubric({**ONLINE, "expr": "state.cluster.nodes.all(n, n.onlin == 1)"}))
    assert "item 'all-online': expr: unknown field 'onlin'" in text


def test_an_unknown_check_is_an_error():
    text = problems_of(rubric({**EXISTS, "check": "cluster.exist"}))
    assert "item 'cluster-exists': check: unknown check 'cluster.exist'" in text


def test_wrong_check_params_are_errors():
    assert "has no parameter 'nodes'" in problems_of(rubric({**COUNT, "params": {"count": 3, "nodes": 1}}))
    assert "needs parameter 'count'" in problems_of(rubric({**COUNT, "params": {}}))
    assert "must be an integer" in problems_of(rubric({**COUNT, "params": {"count": "three"}}))


def test_requires_must_name_existing_items_and_not_loop():
    assert "requires: unknown item 'nope'" in problems_of(rubric({**EXISTS, "requires": ["nope"]}))
    looped = problems_of(rubric({**EXISTS, "requires": ["three-nodes"]}, COUNT))
    assert "cycle" in looped


def test_an_item_needs_exactly_one_of_check_and_expr():
    assert "either 'check'" in problems_of(rubric({**EXISTS, "expr": "true", "message": "x"}))
    assert "needs a 'message'" in problems_of(rubric({k: v for k, v in ONLINE.items() if k != "message"}))


def test_duplicate_ids_and_bad_visibility_are_errors():
    assert "used more than once" in problems_of(rubric(EXISTS, EXISTS))
    assert "visibility" in problems_of(rubric({**EXISTS, "visibility": "secret"}))


def test_probe_steps_must_be_fault_commands_or_delays():
    text = problems_of(rubric({**EXISTS, "probe": {"steps": ["rm -rf /"]}}))
    assert "item 'cluster-exists': probe.steps" in text


def test_full_marks_when_every_item_passes():
    report = grade(state(), load_rubric(rubric(EXISTS, COUNT, ONLINE, INFO)))
    assert (report.score, report.points, report.max_points, report.gradable) == (1.0, 6, 6, True)
    assert all(t.passed for t in report.tests)


def test_partial_credit_counts_in_the_score():
    report = grade(state(cluster=cluster_data(nodes=2)), load_rubric(rubric(EXISTS, COUNT)))
    assert report.test("three-nodes").points == 2.0
    assert report.points == 4.0 and report.score == 0.8


def test_a_failed_requirement_fails_the_item_with_requires():
    report = grade(standalone(), load_rubric(rubric(EXISTS, COUNT)))
    test = report.test("three-nodes")
    assert not test.passed and test.points == 0
    assert test.message == "requires 'The cluster exists' to pass first"


def test_informational_items_are_reported_but_not_scored():
    report = grade(standalone(), load_rubric(rubric(EXISTS, INFO)))
    assert report.test("read-status").passed and report.max_points == 2 and report.score == 0


def test_a_cel_evaluation_error_fails_the_item_with_a_message_and_never_raises():
    item = {**ONLINE, "expr": "state.ceph.health.status == 'HEALTH_OK'", "message": "Ceph is not healthy"}
    report = grade(state(), load_rubric(rubric(item)))
    test = report.test("all-online")
    assert not test.passed and test.message.startswith("Ceph is not healthy (could not evaluate:")


def test_a_crashing_check_fails_its_item_instead_of_raising():
    report = grade(object(), load_rubric(rubric(EXISTS)))
    assert not report.tests[0].passed and "internal error" in report.tests[0].message


def test_visibility_decides_what_a_student_sees():
    items = [EXISTS, {**COUNT, "visibility": "hidden"}, {**ONLINE, "visibility": "after_due"}]
    report = grade(state(), load_rubric(rubric(*items)))
    assert [t.id for t in report.for_student(after_due=False)] == ["cluster-exists"]
    assert [t.id for t in report.for_student(after_due=True)] == ["cluster-exists", "all-online"]
    assert report.to_json()["tests"][1]["visibility"] == "hidden"


def test_probe_items_fail_without_a_probe_runner():
    item = {**EXISTS, "probe": {"steps": ["power pve2 off", "delay 60"]}}
    report = grade(state(), load_rubric(rubric(item)))
    assert not report.tests[0].passed and "simulated" in report.tests[0].message


def test_probe_items_are_checked_on_the_state_the_runner_returns_and_share_runs():
    calls = []

    def runner(probe):
        calls.append(probe.steps)
        return standalone()

    probe = {"steps": ["power pve2 off", "delay 60"]}
    items = [{**EXISTS, "probe": probe}, {**COUNT, "requires": [], "probe": probe}]
    report = grade(state(), load_rubric(rubric(*items)), probe_runner=runner)
    assert not report.test("cluster-exists").passed
    assert calls == [["power pve2 off", "delay 60"]]


def test_a_probe_error_fails_the_item_with_its_message():
    def runner(probe):
        raise ProbeError("probe step 'power pve9 off' failed: no such node")

    report = grade(state(), load_rubric(rubric({**EXISTS, "probe": {"steps": ["power pve9 off"]}})),
                   probe_runner=runner)
    assert report.tests[0].message == "probe step 'power pve9 off' failed: no such node"


def test_context_fills_the_students_user_and_lab_window_into_checks():
    item = {"id": "migrated", "title": "t", "points": 1, "check": "task.ran-by-user", "params": {"type": "qmigrate"}}
    doc = state(tasks=[{"upid": "UPID:pve1:1:1:1:qmigrate:100:alice@pve:", "node": "pve1", "type": "qmigrate",
                        "id": "100", "user": "alice@pve", "status": "OK", "starttime": 1000}])
    loaded = load_rubric(rubric(item))
    assert grade(doc, loaded, context=GradeContext("alice@pve", 900, 2000)).score == 1
    assert grade(doc, loaded, context=GradeContext("bob@pve", 900, 2000)).score == 0
    assert grade(doc, loaded, context=GradeContext("alice@pve", 1100, 2000)).score == 0


def test_a_not_gradable_report_has_no_score():
    report = Report.not_gradable("target unreachable", max_points=6)
    assert report.to_json() == {"score": 0.0, "points": 0.0, "max_points": 6, "gradable": False, "tests": [],
                                "message": "target unreachable"}


def test_a_visible_item_does_not_reveal_the_title_of_a_hidden_requirement():
    items = [{**EXISTS, "visibility": "hidden"}, COUNT]
    report = grade(standalone(), load_rubric(rubric(*items)))
    assert report.test("three-nodes").message == "requires an item that is not shown yet to pass first"


def test_an_expression_over_a_state_that_is_not_a_document_fails_its_item():
    class Broken:
        def to_json(self):
            raise ValueError("not serialisable")

    report = grade(Broken(), load_rubric(rubric(ONLINE)))
    assert not report.tests[0].passed and "could not evaluate: not serialisable" in report.tests[0].message
