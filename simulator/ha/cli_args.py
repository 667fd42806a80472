"""Argument parsing as PVE's CLIHandler does it, with its error texts.

Models `--opt value`, `-opt value`, `--opt=value`, boolean options with an
optional 0/1, typed options (integer, boolean, enum), positional arguments,
and the errors `400 not enough arguments`, `400 too many arguments`,
`Unknown option: x` + `400 unable to parse option` and
`400 Parameter verification failed.` + `name: reason`, each followed by the
command's usage line. Leaves out: option abbreviations.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any


class CliError(Exception):
    """A failure the CLI prints (to stderr on a real node) with exit code 255."""

    def __init__(self, message: str, code: int = 255) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass
class Spec:
    usage: str
    positional: list[str] = field(default_factory=list)
    options: dict[str, str] = field(default_factory=dict)  # name -> "bool" | "int" | "str" | "a|b|c"
    minimum: dict[str, int] = field(default_factory=dict)
    optional_positional: int = 0


def usage_error(spec: Spec, message: str) -> CliError:
    return CliError(f"{message}\n{spec.usage}")


def param_error(spec: Spec, name: str, message: str) -> CliError:
    return usage_error(spec, f"400 Parameter verification failed.\n{name}: {message}")


def _convert(spec: Spec, name: str, kind: str, value: str) -> Any:
    if kind == "int":
        if not re.match(r"^-?\d+$", value):
            raise param_error(spec, name, f"type check ('integer') failed - got '{value}'")
        number = int(value)
        if name in spec.minimum and number < spec.minimum[name]:
            raise param_error(spec, name, f"value must have a minimum value of {spec.minimum[name]}")
        return number
    if kind == "bool":
        lowered = value.lower()
        if lowered in ("1", "yes", "on", "true"):
            return 1
        if lowered in ("0", "no", "off", "false"):
            return 0
        raise param_error(spec, name, f"type check ('boolean') failed - got '{value}'")
    if "|" in kind and value not in kind.split("|"):
        raise param_error(spec, name, f"value '{value}' does not have a value in the enumeration "
                                      f"'{kind.replace('|', ', ')}'")
    return value


def parse(spec: Spec, args: list[str]) -> tuple[list[str], dict[str, Any]]:
    positional: list[str] = []
    options: dict[str, Any] = {}
    i = 0
    while i < len(args):
        arg = args[i]
        if arg.startswith("-") and len(arg) > 1 and not re.match(r"^-\d+$", arg):
            name, eq, inline = arg.lstrip("-").partition("=")
            kind = spec.options.get(name)
            if kind is None:
                raise usage_error(spec, f"Unknown option: {name}\n400 unable to parse option")
            if eq:
                value = inline
            elif kind == "bool" and (i + 1 >= len(args) or args[i + 1] not in ("0", "1")):
                value = "1"
            elif i + 1 < len(args):
                i += 1
                value = args[i]
            else:
                raise usage_error(spec, f"Missing value for option: {name}\n400 unable to parse option")
            options[name] = _convert(spec, name, kind, value)
        else:
            positional.append(arg)
        i += 1
    required = len(spec.positional) - spec.optional_positional
    if len(positional) < required:
        raise usage_error(spec, "400 not enough arguments")
    if len(positional) > len(spec.positional):
        raise usage_error(spec, "400 too many arguments")
    return positional, options
