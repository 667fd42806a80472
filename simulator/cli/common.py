"""Argument parsing the way PVE's CLIHandler does it, with its error texts.

Models: `--opt value` / `-opt value`, boolean flags with optional 0/1,
positional arguments, and the errors `400 not enough arguments`,
`400 too many arguments`, `Unknown option: x` + `400 unable to parse option`,
and `400 Parameter verification failed.` with a per-parameter line, each
followed by the command's usage line. Leaves out: option abbreviations and
property-string validation beyond the simple types.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from simulator.errors import PveError

INT_RE = re.compile(r"^-?\d+$")


@dataclass
class Spec:
    usage: str
    positional: list[str] = field(default_factory=list)
    options: dict[str, str] = field(default_factory=dict)  # name -> bool|int|str|any
    optional_positional: int = 0
    minimum: dict[str, int] = field(default_factory=dict)
    allow_any: str | None = None  # regex of extra option names accepted as strings


def usage_error(spec: Spec, message: str) -> PveError:
    return PveError(f"{message}\n{spec.usage}", 255)


def param_error(spec: Spec, name: str, message: str) -> PveError:
    return usage_error(spec, f"400 Parameter verification failed.\n{name}: {message}")


def parse(spec: Spec, args: list[str]) -> tuple[list[str], dict[str, Any]]:
    """Split args into positionals and typed options, or raise the CLI's usage error."""
    positional: list[str] = []
    options: dict[str, Any] = {}
    i = 0
    while i < len(args):
        arg = args[i]
        if arg.startswith("-") and len(arg) > 1 and not INT_RE.match(arg):
            name = arg.lstrip("-")
            name, eq, inline = name.partition("=")
            kind = _option_kind(spec, name)
            if kind is None:
                raise usage_error(spec, f"Unknown option: {name}\n400 unable to parse option")
            i, value = _take_value(spec, args, i, name, kind, inline if eq else None)
            options[name] = value
        else:
            positional.append(arg)
        i += 1
    required = len(spec.positional) - spec.optional_positional
    if len(positional) < required:
        raise usage_error(spec, "400 not enough arguments")
    if len(positional) > len(spec.positional):
        raise usage_error(spec, "400 too many arguments")
    for name, minimum in spec.minimum.items():
        value = options.get(name)
        if value is not None and value < minimum:
            raise param_error(spec, name, f"value must have a minimum value of {minimum}")
    return positional, options


def _option_kind(spec: Spec, name: str) -> str | None:
    if name in spec.options:
        return spec.options[name]
    if spec.allow_any and re.match(spec.allow_any, name):
        return "str"
    return None


def _take_value(spec: Spec, args: list[str], i: int, name: str, kind: str,
                inline: str | None) -> tuple[int, Any]:
    if kind == "bool":
        nxt = inline if inline is not None else (args[i + 1] if i + 1 < len(args) else None)
        if nxt in ("0", "1"):
            return (i if inline is not None else i + 1), nxt == "1"
        return i, True
    if inline is None:
        if i + 1 >= len(args):
            raise usage_error(spec, f"Option {name} requires an argument\n400 unable to parse option")
        i += 1
        inline = args[i]
    if kind == "int":
        if not INT_RE.match(inline):
            raise param_error(spec, name, f"type check ('integer') failed - got '{inline}'")
        return i, int(inline)
    return i, inline


def vmid_arg(spec: Spec, text: str) -> int:
    if not INT_RE.match(text):
        raise param_error(spec, "vmid", f"type check ('integer') failed - got '{text}'")
    vmid = int(text)
    if vmid < 100:
        raise param_error(spec, "vmid", "value must have a minimum value of 100")
    if vmid > 999_999_999:
        raise param_error(spec, "vmid", "value must have a maximum value of 999999999")
    return vmid


def tool_usage(tool: str, usages: list[str]) -> str:
    """What `<tool> help` prints: the USAGE block of every subcommand."""
    return "\n".join([f"USAGE: {tool} <COMMAND> [ARGS] [OPTIONS]", *[f"       {u}" for u in usages]])


def unknown_subcommand(tool: str, sub: str | None, usages: list[str]) -> PveError:
    """`unknown command 'qm foo'` (or no command at all) followed by the usage block."""
    head = f"unknown command '{tool} {sub}'" if sub else "ERROR: no command specified"
    return PveError(f"{head}\n{tool_usage(tool, usages)}", 255)
