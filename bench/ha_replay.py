"""Benchmark the HA stack: replaying pve-ha-manager scenarios and recovering big clusters.

Prints three tables:
1. wall time to replay all scenario folders (best of N runs);
2. one node failure and full recovery on a cluster of N nodes with M HA
   services, for a grid of N and M (32 nodes / 500 services included):
   simulated seconds from the failure to the last recovered service, wall
   time of that stretch, and wall time per simulated round;
3. how replay time grows when a scenario is scaled (nodes x services).

Usage: .venv/bin/python bench/ha_replay.py [--scenarios DIR] [--repeat N] [--quick]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from simulator.ha.harness import advance, new_world, sim_hardware_cmd
from simulator.ha.tester import simulate

DEFAULT_SCENARIOS = Path(__file__).resolve().parents[2] / "shared" / "pve-ha-tests"


def bench_replay(folder: Path, repeat: int) -> tuple[int, float, float]:
    folders = sorted(p for p in folder.glob("test-*") if (p / "cmdlist").exists())
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        for f in folders:
            simulate(f)
        runs.append(time.perf_counter() - start)
    return len(folders), min(runs), statistics.median(runs)


def bench_failover(nodes: int, services: int) -> dict[str, float]:
    """Power off node1 on a settled cluster; run until every service runs again."""
    placement = {f"vm:{1000 + i}": {"node": f"node{i % nodes + 1}", "state": "started"} for i in range(services)}
    hw = new_world(nodes, placement, fast=True)
    t0 = time.perf_counter()
    advance(hw, 60)
    settle_wall = time.perf_counter() - t0
    victims = [sid for sid, cd in hw.service_config.items() if cd["node"] == "node1"]
    sim_hardware_cmd(hw, "power node1 off", "bench")
    failed_at, rounds = hw.cur_time, 0
    t1 = time.perf_counter()
    while True:
        advance(hw, 10)
        rounds += 1
        if all(any(s.get(sid) for s in hw.service_status.values()) for sid in victims) or rounds > 100:
            break
    wall = time.perf_counter() - t1
    return {"nodes": nodes, "services": services, "victims": len(victims), "settle_wall": settle_wall,
            "recovery_sim": hw.cur_time - failed_at, "recovery_wall": wall, "per_round": wall / rounds}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", type=Path, default=DEFAULT_SCENARIOS)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="small grid only")
    args = parser.parse_args(argv)

    if args.scenarios.is_dir():
        count, best, median = bench_replay(args.scenarios, args.repeat)
        print(f"Replay of {count} pve-ha-manager scenarios (best / median of {args.repeat}):"
              f" {best:.3f} s / {median:.3f} s ({best / count * 1000:.1f} ms per scenario)\n")

    grid = [(8, 100), (32, 500)] if args.quick else [(8, 100), (16, 100), (32, 100), (8, 500), (16, 500),
                                                       (32, 250), (32, 500), (32, 1000), (64, 500)]
    print(f"{'nodes':>5} {'services':>8} {'on failed':>9} {'settle s':>9} {'recovery sim s':>14} "
          f"{'recovery wall s':>15} {'wall/round ms':>13}")
    for nodes, services in grid:
        r = bench_failover(nodes, services)
        print(f"{r['nodes']:>5} {r['services']:>8} {r['victims']:>9} {r['settle_wall']:>9.2f} "
              f"{r['recovery_sim']:>14.0f} {r['recovery_wall']:>15.2f} {r['per_round'] * 1000:>13.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
