"""CEL expressions in rubrics: compiled at load time, evaluated over the state document.

Uses the `common-expression-language` package (import name `cel`); no Python
`eval`, ever. Three kinds of mistake are kept apart:

- a syntax error or a field the state document does not have is an
  *authoring* error (`CelAuthoringError`), raised when the lab is loaded, so a
  typo never turns into a wrong grade;
- an evaluation error at grade time (a null subsystem, a missing map key, a
  type mismatch) makes the item fail with a clear message (`CelResult.error`);
- an expression that yields something other than true/false is reported the
  same way.

The state document is handed to CEL as plain JSON data under the name
`state`, with booleans written as 0/1 like the PVE API does
(`state.cluster.nodes.all(n, n.online == 1)`).

The field check is static: the expression is tokenised and every chain that
starts at `state` (or at a variable bound by a macro such as
`nodes.all(n, ...)`) is walked through the schema of grader/state.py. It is deliberately
forgiving where it cannot know (after a function call the type is unknown).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import cel as _cel


class CelAuthoringError(ValueError):
    """The expression cannot be used: a syntax error or an unknown field."""


# -- the shape of the state document -------------------------------------------------------
S = "scalar"  # a string, number, 0/1 boolean or null
ANY = "any"  # free-form data (anything goes below)


@dataclass(frozen=True)
class MapOf:
    """A JSON object with free keys (node names, check codes...) and values of one shape."""

    value: Any


def shape_from_json_schema(schema: dict[str, Any]) -> Any:
    """The shape tree (objects, lists, MapOf, S, ANY) of a JSON Schema such as `grader.state.json_schema()`."""
    defs = schema.get("$defs", {})

    def walk(node: dict[str, Any], depth: int = 0) -> Any:
        if depth > 20:
            return ANY
        if "$ref" in node:
            return walk(defs[node["$ref"].rsplit("/", 1)[-1]], depth + 1)
        for key in ("anyOf", "oneOf"):
            if key in node:
                shapes = [walk(option, depth + 1) for option in node[key] if option.get("type") != "null"]
                structured = [sh for sh in shapes if sh != S]
                return structured[0] if len(structured) == 1 else (S if not structured else ANY)
        kind = node.get("type")
        if kind == "array":
            return [walk(node.get("items", {}), depth + 1)]
        if kind == "object" or "properties" in node:
            if node.get("properties"):
                return {name: walk(sub, depth + 1) for name, sub in node["properties"].items()}
            extra = node.get("additionalProperties")
            return MapOf(walk(extra, depth + 1) if isinstance(extra, dict) else ANY)
        if kind is None and not node:
            return ANY
        return S

    return walk(schema)


def state_schema() -> dict[str, Any]:
    """The shape of the state document, from its own JSON Schema (grader/state.py)."""
    global _STATE_SHAPE
    if _STATE_SHAPE is None:
        from grader.state import json_schema

        _STATE_SHAPE = shape_from_json_schema(json_schema())
    return _STATE_SHAPE


_STATE_SHAPE: dict[str, Any] | None = None

MACROS = {"all", "exists", "exists_one", "map", "filter", "transformList", "transformMap"}
_TOKEN = re.compile(r"""
    (?P<str>[rRbB]{0,2}("\"\"[\s\S]*?\"\"\"|'''[\s\S]*?'''|"(\\.|[^"\\\n])*"|'(\\.|[^'\\\n])*'))
  | (?P<num>\d+\.?\d*([eE][+-]?\d+)?[uU]?|0x[0-9a-fA-F]+)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<punct>&&|\|\||==|!=|<=|>=|[-+*/%!<>?:.,()\[\]{}])
  | (?P<space>\s+)
""", re.VERBOSE)
_KEYWORDS = {"true", "false", "null", "in"}


@dataclass(frozen=True)
class Tok:
    kind: str
    text: str


def tokens(source: str) -> list[Tok]:
    out = []
    for match in _TOKEN.finditer(source):
        kind = match.lastgroup or ""
        if kind == "space":
            continue
        out.append(Tok(kind, match.group(0)))
    return out


class _FieldChecker:
    """Walks every `state.a.b` / `var.a` chain of one expression through the schema."""

    def __init__(self, toks: list[Tok], schema: dict[str, Any]) -> None:
        self.toks = toks
        self.schema = schema
        self.problems: list[str] = []

    def run(self) -> list[str]:
        self.walk(0, len(self.toks), {})
        return self.problems

    def at(self, i: int, text: str) -> bool:
        return i < len(self.toks) and self.toks[i].text == text

    def ident(self, i: int) -> bool:
        return i < len(self.toks) and self.toks[i].kind == "ident"

    def walk(self, start: int, end: int, scope: dict[str, Any]) -> None:
        i = start
        while i < end:
            tok = self.toks[i]
            if tok.text in "([{":
                close = self.matching(i)
                self.walk(i + 1, min(close, end), scope)
                i = close + 1
            elif tok.kind == "ident" and not self.at(i - 1, ".") and tok.text not in _KEYWORDS:
                if self.at(i + 1, "("):  # a global function or macro: has(), size(), int()...
                    i += 1
                    continue
                if tok.text == "state":
                    i = self.chain(i + 1, end, self.schema, "state", scope)
                elif tok.text in scope:
                    i = self.chain(i + 1, end, scope[tok.text], tok.text, scope)
                else:
                    self.problems.append(f"unknown variable '{tok.text}' (an expression sees 'state' and "
                                         "the variables its macros bind, like n in nodes.all(n, ...))")
                    i += 1
            elif tok.text == "." and self.ident(i + 1):
                # a member of something whose shape is not known (a call's result)
                i = self.chain(i, end, ANY, "(expression)", scope)
            else:
                i += 1

    def matching(self, i: int) -> int:
        pairs = {"(": ")", "[": "]", "{": "}"}
        opener, closer, depth = self.toks[i].text, pairs[self.toks[i].text], 0
        for j in range(i, len(self.toks)):
            if self.toks[j].text == opener:
                depth += 1
            elif self.toks[j].text == closer:
                depth -= 1
                if depth == 0:
                    return j
        return len(self.toks)

    def chain(self, i: int, end: int, shape: Any, path: str, scope: dict[str, Any]) -> int:
        while i < end:
            if self.at(i, ".") and self.ident(i + 1):
                name = self.toks[i + 1].text
                if self.at(i + 2, "("):
                    return self.call(i + 1, end, shape, path, name, scope)
                shape, ok = self.field(shape, path, name)
                path = f"{path}.{name}"
                if not ok:
                    return i + 2
                i += 2
            elif self.at(i, "["):
                close = self.matching(i)
                self.walk(i + 1, close, scope)
                shape = self.element(shape)
                path = f"{path}[...]"
                i = close + 1
            else:
                return i
        return i

    def call(self, i: int, end: int, shape: Any, path: str, name: str, scope: dict[str, Any]) -> int:
        open_ = i + 1
        close = self.matching(open_)
        inner = dict(scope)
        if name in MACROS and self.ident(open_ + 1) and self.at(open_ + 2, ","):
            inner[self.toks[open_ + 1].text] = self.element(shape, for_macro=True)
            if self.ident(open_ + 3) and self.at(open_ + 4, ","):  # two-variable form: (key, value)
                inner[self.toks[open_ + 3].text] = ANY
                inner[self.toks[open_ + 1].text] = ANY
        self.walk(open_ + 1, min(close, end), inner)
        return close + 1

    def field(self, shape: Any, path: str, name: str) -> tuple[Any, bool]:
        if shape == ANY:
            return ANY, True
        if isinstance(shape, MapOf):
            return shape.value, True
        if isinstance(shape, dict):
            if name in shape:
                return shape[name], True
            self.problems.append(f"unknown field '{name}' in {path} "
                                 f"(fields: {', '.join(sorted(shape))})")
            return ANY, False
        if isinstance(shape, list):
            self.problems.append(f"{path} is a list and has no field '{name}' "
                                 f"(use {path}.exists(x, x.{name} == ...) or {path}.all(...))")
            return ANY, False
        self.problems.append(f"{path} is a plain value and has no field '{name}'")
        return ANY, False

    @staticmethod
    def element(shape: Any, for_macro: bool = False) -> Any:
        if isinstance(shape, list):
            return shape[0] if shape else ANY
        if isinstance(shape, MapOf):
            return S if for_macro else shape.value  # macros over a map iterate its keys
        return ANY


# -- compile and evaluate ------------------------------------------------------------------
@dataclass(frozen=True)
class CelResult:
    passed: bool
    error: str | None = None


class CompiledExpr:
    """A CEL program checked against the state document's shape."""

    def __init__(self, source: str, schema: dict[str, Any] | None = None) -> None:
        self.source = source
        if not source or not source.strip():
            raise CelAuthoringError("the expression is empty")
        try:
            self.program = _cel.compile(source)
        except Exception as exc:  # the binding raises ValueError; be safe about others
            raise CelAuthoringError(f"syntax error: {_first_line(exc)}") from None
        problems = _FieldChecker(tokens(source), schema or state_schema()).run()
        if problems:
            raise CelAuthoringError("; ".join(dict.fromkeys(problems)))

    def evaluate(self, data: dict[str, Any]) -> CelResult:
        """`data` is the state document as JSON (see `as_cel_data`)."""
        try:
            value = self.program.execute({"state": data})
        except KeyError as exc:
            return CelResult(False, f"the state document has no {exc.args[0]!r} here "
                                    "(a subsystem or field missing on this cluster)")
        except Exception as exc:
            text = _first_line(exc)
            if text.startswith("No such overload"):
                text = ("a value here is null or of another type than the expression expects "
                        "(CEL: no such overload)")
            return CelResult(False, text.split(". ")[0])
        if not isinstance(value, bool):
            return CelResult(False, f"the expression gave {value!r}, not true or false")
        return CelResult(value)


def compile_expr(source: str) -> CompiledExpr:
    return CompiledExpr(source)


def as_cel_data(value: Any) -> Any:
    """Plain JSON for CEL: dicts, lists, strings, numbers, null; booleans as 0/1 like the PVE API."""
    if hasattr(value, "to_json") and callable(value.to_json):
        value = value.to_json()
    elif hasattr(value, "model_dump") and callable(value.model_dump):
        value = value.model_dump(mode="json")
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, dict):
        return {str(k): as_cel_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [as_cel_data(v) for v in value]
    return value


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    lines = text.splitlines()
    if len(lines) > 1 and lines[1].lstrip().startswith("|"):
        return " ".join(line.strip() for line in lines[:3])
    return lines[0]
