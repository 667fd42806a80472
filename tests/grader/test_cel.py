"""CEL expressions: compiled at load, fields checked against the state document, errors never raise."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rubric_states import cluster_data, state

from grader.cel import CelAuthoringError, CompiledExpr, as_cel_data


def evaluate(source: str, doc=None):
    return CompiledExpr(source).evaluate(as_cel_data(doc if doc is not None else state()))


@pytest.mark.parametrize("source", [
    "state.cluster.nodes.all(n, n.online == 1)",
    "state.ha.resources.exists(r, r.sid == 'vm:100' && r.max_restart >= 2)",
    "size(state.guests.filter(g, g.node == 'pve1')) > 0",
    "state.ha.lrm['pve1'] == 'active'",
    "state.ha.lrm.exists(k, state.ha.lrm[k] == 'active')",
    "has(state.ceph) && state.ceph.health.status == 'HEALTH_OK'",
    "state.guests.filter(g, g.node == 'pve1').all(x, x.status == 'running')",
    "state.guests[0].disks.all(d, d.storage == 'nas')",
    "state.ceph.osds.all(o, o['in'] == 1)",
    "'state.nonsense' != ''",
])
def test_well_formed_expressions_compile(source):
    CompiledExpr(source)


@pytest.mark.parametrize(("source", "complaint"), [
    ("state.cluster.nodez.size() == 3", "unknown field 'nodez' in state.cluster"),
    ("state.cluster.nodes.all(n, n.onlin == 1)", "unknown field 'onlin' in n"),
    ("state.cluster.nodes.name == 'pve1'", "is a list and has no field 'name'"),
    ("state.cluster.name.first == 'x'", "plain value"),
    ("cluster.quorate == 1", "unknown variable 'cluster'"),
    ("state.cluster.(", "syntax error"),
    ("", "empty"),
])
def test_authoring_mistakes_are_refused_at_compile_time(source, complaint):
    with pytest.raises(CelAuthoringError, match=complaint.replace("(", r"\(").replace(".", r"\.")):
        CompiledExpr(source)


def test_booleans_are_zero_or_one_as_in_the_pve_api():
    assert evaluate("state.cluster.nodes.all(n, n.online == 1)").passed
    assert not evaluate("state.cluster.nodes.all(n, n.online == 1)", state(cluster=cluster_data(online=2))).passed


def test_a_null_subsystem_fails_with_a_message_instead_of_raising():
    result = evaluate("state.ceph.health.status == 'HEALTH_OK'")
    assert not result.passed and result.error


def test_a_missing_map_key_fails_with_a_message():
    result = evaluate("state.ha.lrm['pve9'] == 'active'")
    assert not result.passed and "no 'pve9'" in result.error


def test_a_non_boolean_result_fails_with_a_message():
    result = evaluate("state.cluster.name")
    assert not result.passed and "not true or false" in result.error


def test_as_cel_data_turns_the_state_document_into_plain_json():
    data = as_cel_data(state())
    assert data["cluster"]["nodes"][0]["online"] == 1
    assert data["ceph"] is None


def test_a_type_mismatch_is_explained_in_one_short_sentence():
    result = evaluate("state.cluster.name > 3")
    assert not result.passed
    assert result.error == ("a value here is null or of another type than the expression expects "
                            "(CEL: no such overload)")

PIECES = ["state", ".", "cluster", "nodes", "all", "exists", "(", ")", "n", ",", "n.online", "==", "1", "&&", "||",
          "!", "'pve1'", "[", "]", "ha", "lrm", "size()", "guests", "vmid", "in", "has(", "true", "null", " "]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=14).map("".join) | st.text(max_size=40))
def test_any_expression_either_compiles_or_is_an_authoring_error_and_never_raises_at_grade_time(source):
    try:
        compiled = CompiledExpr(source)
    except CelAuthoringError:
        return
    result = compiled.evaluate(as_cel_data(state()))
    assert isinstance(result.passed, bool)
    assert result.passed or result.error is None or isinstance(result.error, str)
