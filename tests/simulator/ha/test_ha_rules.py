"""HA rules: parsing, feasibility (dropped rules and why), transforms and placement."""

from __future__ import annotations

import pytest

from simulator.ha.config import ConfigError, parse_rules
from simulator.ha.rules import compile_rules, transform

NODES = ["node1", "node2", "node3"]


def rules_of(text: str) -> dict:
    return parse_rules("rules.cfg", text)


def test_a_resource_in_two_node_affinity_rules_drops_both() -> None:
    rules = rules_of("node-affinity: a\n\tnodes node1\n\tresources vm:100\n\n"
                     "node-affinity: b\n\tnodes node2\n\tresources vm:100,vm:101\n")
    assert transform(rules, NODES) == [
        "Drop rule 'a', because resource 'vm:100' is already used in another node affinity rule.",
        "Drop rule 'b', because resource 'vm:100' is already used in another node affinity rule."]
    assert rules["ids"] == {}


def test_resource_affinity_needs_two_resources_and_enough_nodes_for_negative() -> None:
    rules = rules_of("resource-affinity: one\n\tresources vm:100\n\taffinity positive\n\n"
                     "resource-affinity: apart\n\tresources vm:1,vm:2,vm:3,vm:4\n\taffinity negative\n")
    assert transform(rules, NODES) == [
        "Drop rule 'apart', because rule defines more resources than available nodes.",
        "Drop rule 'one', because rule is ineffective as there are less than two resources."]


def test_positive_and_negative_rules_sharing_two_resources_are_both_dropped() -> None:
    rules = rules_of("resource-affinity: together\n\tresources vm:1,vm:2\n\taffinity positive\n\n"
                     "resource-affinity: apart\n\tresources vm:1,vm:2\n\taffinity negative\n")
    assert transform(rules, NODES) == [
        "Drop rule 'apart', because rule shares two or more resources with a positive resource affinity rule.",
        "Drop rule 'together', because rule shares two or more resources with a negative resource affinity rule."]


def test_connected_positive_rules_are_merged_and_negatives_inherited() -> None:
    rules = rules_of("resource-affinity: ab\n\tresources vm:1,vm:2\n\taffinity positive\n\n"
                     "resource-affinity: bc\n\tresources vm:2,vm:3\n\taffinity positive\n\n"
                     "resource-affinity: away\n\tresources vm:1,vm:9\n\taffinity negative\n")
    assert transform(rules, NODES) == []
    compiled = compile_rules(rules, NODES)["resource-affinity"]
    assert compiled["positive"]["vm:1"] == {"vm:2": 1, "vm:3": 1}
    assert set(compiled["negative"]["vm:9"]) == {"vm:1", "vm:2", "vm:3"}
    assert "_merged-ab-bc" in rules["ids"]


def test_disable_property_disables_the_rule_whatever_its_value() -> None:
    rules = rules_of("node-affinity: off\n\tnodes node1\n\tresources vm:100\n\tdisable 0\n")
    assert compile_rules(rules, NODES)["node-affinity"] == {}


def test_non_strict_node_affinity_adds_other_nodes_at_lowest_priority() -> None:
    rules = rules_of("node-affinity: pref\n\tnodes node1:2,node2\n\tresources vm:100\n")
    nodes = compile_rules(rules, NODES)["node-affinity"]["vm:100"]["nodes"]
    assert nodes == {"node1": {"priority": 2}, "node2": {"priority": 0}, "node3": {"priority": -1}}


@pytest.mark.parametrize(("text", "message"), [
    ("node-affinity: r\n\tnodes node1\n", "rules.cfg line 1: property 'resources' is missing"),
    ("resource-affinity: r\n\tresources vm:1,vm:2\n", "rules.cfg line 1: rule 'r': property 'affinity' must be"),
    ("colocation: r\n\tresources vm:1\n", "rules.cfg line 1: unknown section type 'colocation'"),
    ("node-affinity: r\n\tnodes node1\n\tresources web1\n", "invalid HA resource id 'web1'"),
    ("\tnodes node1\n", "rules.cfg line 1: unable to parse 'nodes node1'"),
])
def test_malformed_rules_name_file_and_line(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        rules_of(text)
