"""Command line: `python -m simulator shell|run|pve-ha-test|serve`.

Models nothing itself: `shell` opens the emulated root console (interactive
on a terminal, or one command per line from a pipe, echoing prompt and
command), `run SCENARIO` prints a scenario's log, `pve-ha-test` hands over to
the HA regression tester (simulator/ha/tester.py), and `serve` to the PVE
API server (simulator/api/server.py).
"""

from __future__ import annotations

import argparse
import os
import sys

from simulator.cli.shell import Shell
from simulator.cluster import Cluster
from simulator.scenario import ScenarioError, build, load, run_scenario


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "pve-ha-test":
        return _pve_ha_test(argv[1:])
    if argv and argv[0] == "serve":
        from simulator.api.server import main as serve

        return serve(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m simulator")
    sub = parser.add_subparsers(dest="command", required=True)
    shell = sub.add_parser("shell", help="emulated root shell on a simulated cluster")
    shell.add_argument("--scenario", help="start from this scenario's topology (YAML)")
    shell.add_argument("--user", default="root@pam", help="PVE user recorded on tasks (USER@REALM)")
    shell.add_argument("--node", default=None, help="node to log in to (default: the first)")
    shell.add_argument("--seed", type=int, default=0)
    run = sub.add_parser("run", help="run a scenario and print its log")
    run.add_argument("scenario")
    sub.add_parser("pve-ha-test", help="replay pve-ha-manager regression folders")
    sub.add_parser("serve", help="serve the simulated PVE API over HTTPS (python -m simulator serve --help)")
    args = parser.parse_args(argv)
    try:
        if args.command == "run":
            return _run(args.scenario)
        return _shell(args)
    except ScenarioError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _pve_ha_test(argv: list[str]) -> int:
    try:
        from simulator.ha import tester
    except ImportError as exc:
        print(f"pve-ha-test is not available: simulator.ha.tester cannot be imported ({exc})", file=sys.stderr)
        return 2
    return int(tester.main(argv))


def _run(path: str) -> int:
    result = run_scenario(load(path))
    sys.stdout.write(result.text)
    return 1 if result.failures else 0


def _shell(args: argparse.Namespace) -> int:
    if "@" not in args.user:
        print(f"error: --user must be USER@REALM, got '{args.user}'", file=sys.stderr)
        return 2
    cluster = build(load(args.scenario)) if args.scenario else Cluster.lab_start(args.seed)
    node = args.node or sorted(cluster.nodes)[0]
    if node not in cluster.nodes:
        print(f"error: no node '{node}'", file=sys.stderr)
        return 2
    shell = Shell(cluster, node, args.user)
    interactive = sys.stdin.isatty()
    while not shell.closed:
        try:
            line = input(shell.prompt) if interactive else sys.stdin.readline()
        except (EOFError, KeyboardInterrupt):
            print()
            break
        if not interactive:
            if not line:
                break
            line = line.rstrip("\n")
            print(f"{shell.prompt}{line}")
        result = shell.execute(line)
        if result.output:
            print(result.output)
    return 0


def _entry() -> int:
    try:
        return main()
    except BrokenPipeError:  # `python -m simulator ... | head` closed our stdout
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(_entry())
