"""Argument parsing the way PVE's CLIHandler does it, with its error texts.

One parser for every simulated command (pvecm, qm, pct, pvesh, ha-manager).
Models: `--opt value`, `-opt value`, `--opt=value`, boolean options with an
optional 0/1, typed options (integer, boolean, enum `a|b|c`), minimum values,
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
    options: dict[str, str] = field(default_factory=dict)  # name -> "bool" | "int" | "str" | "a|b|c"
    optional_positional: int = 0
    minimum: dict[str, int] = field(default_factory=dict)
    allow_any: str | None = None  # regex of extra option names accepted as strings
    # Three details in which the ha-manager model (simulator/ha) and qm/pct/pvecm/pvesh were written
    # differently; both are kept, so that merging their parsers changed no output. Defaults: qm/pct/pvecm/pvesh.
    # typed_bools: a boolean as JSONSchema reads it (1|yes|on|true -> 1, 0|no|off|false -> 0, anything else
    # a `type check ('boolean')` error), the 1/0 ha-manager writes into resources.cfg; without it a boolean
    # is a flag, True unless its value is `0` (pct create copies that True into the guest config as is).
    typed_bools: bool = False
    # missing_value: the text before `400 unable to parse option` when the line ends where a value should be
    missing_value: str = "Option {name} requires an argument"
    # minimum_first: check `minimum` as each option is read (before a later unknown option or the positional
    # count); without it, after the positional count, in the order of `minimum`
    minimum_first: bool = False


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
            name, eq, inline = arg.lstrip("-").partition("=")
            kind = _option_kind(spec, name)
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
                raise usage_error(spec, f"{spec.missing_value.format(name=name)}\n400 unable to parse option")
            options[name] = _convert(spec, name, kind, value)
        else:
            positional.append(arg)
        i += 1
    required = len(spec.positional) - spec.optional_positional
    if len(positional) < required:
        raise usage_error(spec, "400 not enough arguments")
    if len(positional) > len(spec.positional):
        raise usage_error(spec, "400 too many arguments")
    if not spec.minimum_first:
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


def _convert(spec: Spec, name: str, kind: str, value: str) -> Any:
    if kind == "int":
        if not INT_RE.match(value):
            raise param_error(spec, name, f"type check ('integer') failed - got '{value}'")
        number = int(value)
        if spec.minimum_first and name in spec.minimum and number < spec.minimum[name]:
            raise param_error(spec, name, f"value must have a minimum value of {spec.minimum[name]}")
        return number
    if kind == "bool":
        if not spec.typed_bools:
            return value != "0"
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


def config_values(options: dict[str, Any]) -> dict[str, str]:
    """Parsed options as guest-config text: PVE writes booleans as 1/0 (`unprivileged: 1`)."""
    return {k: str(int(v)) if isinstance(v, bool) else str(v) for k, v in options.items()}


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
