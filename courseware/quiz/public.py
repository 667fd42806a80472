"""What the browser may see of a question before it is answered: no keys, no explanations.

`public_view` builds the dictionary from an allow-list of fields (never by
dumping the model and deleting secrets), so a field added to the schema later
stays private until someone decides to publish it here.
"""

from __future__ import annotations

import random
from typing import Any

from . import variants
from .schema import (
    Matching,
    MultipleChoice,
    Numeric,
    Ordering,
    OrderItem,
    Question,
    Reflection,
    ShortText,
    SimulatorCheck,
    SingleChoice,
    Topology,
)


def _shuffled(items: list[Any], seed: int, salt: str, *, avoid_identity: bool = False) -> list[Any]:
    rng = random.Random(f"{seed}:{salt}")
    out = list(items)
    rng.shuffle(out)
    if avoid_identity and len(out) > 1 and out == items:
        out = out[1:] + out[:1]
    return out


def _pairs(items: list[OrderItem], values: dict) -> list[dict[str, str]]:
    return [{"id": i.id, "text": variants.render(i.text, values)} for i in items]


def public_view(question: Question, seed: int) -> dict[str, Any]:
    """The question as rendered for this seed, safe to send to the browser."""
    values = variants.evaluate(question.variant, seed)
    view: dict[str, Any] = {
        "id": question.id,
        "type": question.type,
        "prompt": variants.render(question.prompt, values),
        "hints": [variants.render(h, values) for h in question.hints],
        "weight": question.weight,
    }
    match question:
        case SingleChoice() | MultipleChoice():
            options = [{"id": o.id, "text": variants.render(o.text, values)} for o in question.options]
            view["options"] = _shuffled(options, seed, question.id) if question.shuffle else options
        case Numeric():
            view["unit"] = question.unit
            view["units"] = (
                sorted(question.units) if question.units else ([question.unit] if question.unit else [])
            )
        case ShortText():
            view["placeholder"] = question.placeholder
            view["max_length"] = question.max_length
        case Ordering():
            view["items"] = _shuffled(_pairs(question.items, values), seed, question.id, avoid_identity=True)
        case Matching():
            view["pairs"] = [{"id": p.id, "text": variants.render(p.text, values)} for p in question.pairs]
            view["choices"] = _shuffled(_pairs(question.choices, values), seed, question.id)
        case Reflection():
            view["min_words"] = question.min_words
            view["max_chars"] = question.max_chars
        case SimulatorCheck():
            view["node"] = question.node
            view["max_length"] = question.max_length
            view["scenario"] = _scenario_view(question)
    return view


def _scenario_view(question: SimulatorCheck) -> dict[str, Any]:
    scenario = question.scenario
    if isinstance(scenario, Topology):
        return {
            "cluster_name": scenario.cluster_name,
            "nodes": [{"name": n.name, "votes": n.votes, "online": n.online} for n in scenario.nodes],
            "qdevice": scenario.qdevice,
            "guests": [g.model_dump() for g in scenario.guests],
            "shared_storage": list(scenario.shared_storage),
            "ha_resources": list(scenario.ha_resources),
        }
    return {"ref": scenario.ref}
