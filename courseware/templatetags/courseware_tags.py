"""Template filters for course content: sanitised Markdown and readable answers."""

from __future__ import annotations

import json
from typing import Any

from django import template
from django.utils.safestring import mark_safe

from courseware.markdown import render_inline, render_markdown

register = template.Library()


@register.filter
def markdown(text: str, figure_base: str = "") -> str:
    # render_markdown's output is sanitised by nh3 with an allow-list: safe to mark.
    return mark_safe(render_markdown(str(text or ""), figure_base or ""))  # noqa: S308


@register.filter
def markdown_inline(text: str) -> str:
    return mark_safe(render_inline(str(text or "")))  # noqa: S308


@register.filter
def answer_text(payload: Any, view: dict | None = None) -> str:
    """The student's answer in words (option texts rather than ids); escaped by the template."""
    view = view or {}
    names = {o["id"]: o["text"] for key in ("options", "items", "choices") for o in view.get(key, [])}
    if isinstance(payload, str):
        return names.get(payload, payload) if view.get("type") == "single_choice" else payload
    if isinstance(payload, list):
        joiner = " -> " if view.get("type") == "ordering" else "; "
        return joiner.join(names.get(str(p), str(p)) for p in payload)
    if isinstance(payload, dict):
        pairs = {p["id"]: p["text"] for p in view.get("pairs", [])}
        return "; ".join(f"{pairs.get(k, k)}: {names.get(str(v), str(v))}" for k, v in payload.items())
    return json.dumps(payload)


@register.filter
def percent(value: float | None) -> str:
    return "–" if value is None else f"{value:g}%"


@register.filter
def get_item(mapping: dict, key: Any) -> Any:
    return mapping.get(key) if isinstance(mapping, dict) else None
