"""Replay pve-ha-manager regression scenario folders (`pve-ha-tester`, `ha-tester.pl`).

`main(["DIR"])` runs one folder (cmdlist, hardware_status, manager_status,
service_config, optional groups, rules_config, datacenter.cfg,
static_service_stats, service_status_<node>) and prints the log in the
harness format; with a `log.expect` present, a difference is shown as a
unified diff on stderr and the exit code is 1. `main(["--all", "DIR"])` runs
every `test-*` folder below DIR and prints `PASS name` / `FAIL name` (with
the first differing line) and `N passed, M failed`. Malformed folders give
an error naming the file, never a traceback. Leaves out: writing
`status/` files into the folder (everything stays in memory).
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from pathlib import Path
from typing import Any

from . import config
from .harness import check_command, run
from .testhw import Hardware, SimulationError
from .tools import SID_RE, HAError

DEFAULT_SERVICES = {f"vm:{100 + i}": {"node": f"node{(i - 1) % 3 + 1}"} for i in range(1, 7)}
DEFAULT_NODES = {f"node{i}": {"power": "off", "network": "off"} for i in range(1, 4)}


class ScenarioError(Exception):
    """A malformed scenario folder; the message names the file."""


def _read_json(path: Path, default: Any = None) -> Any:
    if not path.exists():
        if default is None:
            raise ScenarioError(f"{path}: file is missing")
        return copy_json(default)
    try:
        return json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ScenarioError(f"{path}: invalid JSON - {err}") from err


def copy_json(value: Any) -> Any:
    return json.loads(json.dumps(value))


def _check_dict(path: Path, value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
        raise ScenarioError(f"{path}: expected a JSON object of {what}")
    return value


def _load_cmdlist(path: Path) -> list[list[str]]:
    cmdlist = _read_json(path)
    if not isinstance(cmdlist, list) or not all(
            isinstance(batch, list) and all(isinstance(c, str) for c in batch) for batch in cmdlist):
        raise ScenarioError(f"{path}: expected a JSON array of arrays of command strings")
    return cmdlist


def _load_services(path: Path, nodes: dict[str, Any]) -> dict[str, Any]:
    services = _check_dict(path, _read_json(path, DEFAULT_SERVICES), "services")
    for sid, cd in services.items():
        if not SID_RE.match(sid):
            raise ScenarioError(f"{path}: invalid HA resource id '{sid}'")
        if not cd.get("node"):
            raise ScenarioError(f"{path}: service '{sid}' without assigned node!")
        if cd["node"] not in nodes:
            raise ScenarioError(f"{path}: service '{sid}' is on unknown node '{cd['node']}'")
    return services


def load_hardware(folder: Path) -> tuple[Hardware, list[list[str]]]:
    """Build the harness world from a scenario folder."""
    if not folder.is_dir():
        raise ScenarioError(f"testdir '{folder}' does not exist or is not a directory!")
    cmdlist = _load_cmdlist(folder / "cmdlist")
    nodes = _check_dict(folder / "hardware_status", _read_json(folder / "hardware_status", DEFAULT_NODES), "nodes")
    if not nodes:
        raise ScenarioError(f"{folder / 'hardware_status'}: no nodes defined")
    services = _load_services(folder / "service_config", nodes)
    manager_status = _read_json(folder / "manager_status", {"_": 0}) if (folder / "manager_status").exists() else {}
    if not isinstance(manager_status, dict):
        raise ScenarioError(f"{folder / 'manager_status'}: expected a JSON object")
    optional = {name: (folder / name).read_text() if (folder / name).exists() else None
                for name in ("groups", "rules_config")}
    try:
        config.parse_groups(str(folder / "groups"), optional["groups"] or "")
        config.parse_rules(str(folder / "rules_config"), optional["rules_config"] or "")
    except HAError as err:
        raise ScenarioError(str(err)) from err
    datacenter = _read_json(folder / "datacenter.cfg", {"_": 0}) if (folder / "datacenter.cfg").exists() else {}
    stats = _read_json(folder / "static_service_stats", {"_": 0}) \
        if (folder / "static_service_stats").exists() else {}
    hw = Hardware(status=nodes, service_config=services, manager_status=json.dumps(manager_status),
                  groups_raw=optional["groups"], rules_raw=optional["rules_config"] or "",
                  datacenter=datacenter if isinstance(datacenter, dict) else {},
                  static_service_stats=stats if isinstance(stats, dict) else {})
    for node in sorted(nodes):
        status_file = folder / f"service_status_{node}"
        if status_file.exists():
            hw.service_status[node] = _read_json(status_file)
    for batch in cmdlist:
        for cmd in batch:
            problem = check_command(hw, cmd)
            if problem:
                raise ScenarioError(f"{folder / 'cmdlist'}: command '{cmd}': {problem}")
    return hw, cmdlist


def simulate(folder: Path, printer: Any = None) -> list[str]:
    """Run one scenario folder and return its log lines."""
    return simulate_world(folder, printer).lines


def simulate_world(folder: Path, printer: Any = None) -> Hardware:
    """Run one scenario folder and return the world as it ends (its log is `.lines`)."""
    hw, cmdlist = load_hardware(folder)
    hw.printer = printer
    hw.log("info", "starting simulation")
    try:
        run(hw, cmdlist)
    except SimulationError as err:
        hw.log("err", f"exit simulation - {err}")
    else:
        hw.log("info", "exit simulation - done")
    return hw


def first_difference(expected: list[str], actual: list[str]) -> str:
    for i, (e, a) in enumerate(zip(expected, actual, strict=False), start=1):
        if e != a:
            return f"line {i}: expected {e!r}, got {a!r}"
    if len(expected) != len(actual):
        i = min(len(expected), len(actual)) + 1
        more = f"expected {expected[i - 1]!r}" if len(expected) > len(actual) else f"got extra {actual[i - 1]!r}"
        return f"line {i}: {more}"
    return ""


def _run_all(root: Path) -> int:
    folders = sorted(p for p in root.rglob("test-*") if p.is_dir() and (p / "cmdlist").exists())
    if not folders:
        print(f"no test-* folders below '{root}'", file=sys.stderr)
        return 2
    passed = failed = 0
    for folder in folders:
        expect = folder / "log.expect"
        try:
            actual = simulate(folder)
        except ScenarioError as err:
            print(f"FAIL {folder.name}: {err}")
            failed += 1
            continue
        expected = expect.read_text().splitlines() if expect.exists() else []
        diff = first_difference(expected, actual)
        if diff:
            print(f"FAIL {folder.name}: {diff}")
            failed += 1
        else:
            print(f"PASS {folder.name}")
            passed += 1
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pve-ha-test", description="Replay pve-ha-manager test scenarios.")
    parser.add_argument("--all", action="store_true", help="run every test-* folder below DIR")
    parser.add_argument("dir", metavar="DIR")
    args = parser.parse_args(argv)
    root = Path(args.dir)
    if args.all:
        return _run_all(root)
    try:
        actual = simulate(root, printer=print)
    except ScenarioError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    expect = root / "log.expect"
    if expect.exists():
        expected = expect.read_text().splitlines()
        if expected != actual:
            sys.stderr.writelines(difflib.unified_diff(
                [e + "\n" for e in expected], [a + "\n" for a in actual], "log.expect", "log"))
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
