"""The route table: method + path pattern -> endpoint function.

Models PVE's API dispatch (`/api2/json` prefix, `{param}` path segments,
501 `Method 'GET /x' not implemented` for anything unknown, including a
known path with another method). Leaves out: `/api2/extjs` and the other
formatters.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Endpoint = Callable[..., Any]


@dataclass(frozen=True)
class Route:
    method: str
    template: str
    regex: re.Pattern[str]
    endpoint: Endpoint


ROUTES: list[Route] = []


def route(method: str, template: str) -> Callable[[Endpoint], Endpoint]:
    pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
    regex = re.compile(f"^{pattern}$")

    def register(fn: Endpoint) -> Endpoint:
        ROUTES.append(Route(method, template, regex, fn))
        return fn

    return register


def match(method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    for candidate in ROUTES:
        if candidate.method == method:
            found = candidate.regex.match(path)
            if found:
                return candidate, found.groupdict()
    return None


def normalise(path: str) -> str:
    """`/api2/json/nodes/` -> `/nodes`; the prefix is optional for in-process callers."""
    if path.startswith("/api2/json"):
        path = path[len("/api2/json"):]
    path = "/" + path.strip("/")
    return re.sub(r"/+", "/", path)
