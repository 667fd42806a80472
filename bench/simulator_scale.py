"""Simulator scale benchmark: how long the hot paths take as the cluster grows.

Run:  .venv/bin/python bench/simulator_scale.py [--guests 2000] [--repeat 7]

For 4, 8, 16 and 32 nodes (each with the same number of guests, spread
round-robin, half of them running, on shared NFS and local-lvm) it prints the
median wall-clock time of:
  quorum     recompute membership + quorum after a network partition (and heal)
  status     one `pvecm status` command line, parsed and formatted
  migrate    one online migration (shared storage) from start to completion
  fork       the first /etc/pve write after a partition (pmxcfs copy-on-write of 2,000 guest configs)
  save       Cluster.to_json() + json.dumps
  restore    json.loads + Cluster.from_json
and the size of the saved document. Not a test: figures, not assertions.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from simulator.cluster import Cluster
from simulator.scenario import build


def make_cluster(nodes: int, guests: int) -> Cluster:
    names = [f"pve{i + 1:02d}" for i in range(nodes)]
    topology = {
        "nodes": [{"name": n, "ip": f"10.0.{i // 250}.{i % 250 + 1}"} for i, n in enumerate(names)],
        "hosts": [],
        "cluster": {"name": "bench", "nodes": names},
        "storages": [{"id": "nas", "type": "nfs", "content": ["images", "rootdir"],
                      "server": "10.9.0.1", "export": "/srv"}],
        "guests": [{"vmid": 100 + i, "node": names[i % nodes], "name": f"vm{i}", "memory": 2048,
                    "disks": {"scsi0": f"{'nas' if i % 2 else 'local-lvm'}:32"}, "running": i % 2 == 1}
                   for i in range(guests)],
    }
    return build({"topology": topology})


def median_ms(action: Callable[[], object], repeat: int, setup: Callable[[], object] | None = None) -> float:
    samples = []
    for _ in range(repeat):
        if setup is not None:
            setup()
        start = time.perf_counter()
        action()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def measure(nodes: int, guests: int, repeat: int) -> dict[str, float]:
    cluster = make_cluster(nodes, guests)
    names = sorted(cluster.nodes)
    half = [names[: nodes // 2], names[nodes // 2:]]
    quorum = median_ms(lambda: (cluster.partition(half), cluster.heal()), repeat) / 2
    status = median_ms(lambda: cluster.run(names[0], "pvecm status"), repeat)
    vmid = 101  # running, on NFS, on the second node

    def migrate() -> None:
        source = cluster.guest_location(vmid)
        target = names[0] if source != names[0] else names[-1]
        task = cluster.migrate_guest(source, vmid, "qemu", target, online=True)  # type: ignore[arg-type]
        cluster.wait_task(task)
        assert task.status == "OK", task.log

    migrate_ms = median_ms(migrate, repeat)

    majority = [names[: nodes // 2 + 1], names[nodes // 2 + 1:]]

    def fork() -> None:
        cluster.partition(majority)
        result = cluster.run(names[0], "qm set 100 --memory 1024")
        assert result.ok, result.output
        cluster.heal()

    fork_ms = median_ms(fork, repeat)
    text = ""

    def save() -> None:
        nonlocal text
        text = json.dumps(cluster.to_json())

    save_ms = median_ms(save, repeat)
    restore_ms = median_ms(lambda: Cluster.from_json(json.loads(text)), repeat)
    return {"quorum": quorum, "status": status, "migrate": migrate_ms, "fork": fork_ms, "save": save_ms,
            "restore": restore_ms, "size_kib": len(text) / 1024}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--guests", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    print(f"simulator scale, {args.guests} guests, median of {args.repeat} runs (milliseconds)")
    header = (f"{'nodes':>5} {'quorum':>8} {'status':>8} {'migrate':>8} {'fork':>8} {'save':>8} {'restore':>8} "
              f"{'doc KiB':>8}")
    print(header)
    print("-" * len(header))
    for nodes in (4, 8, 16, 32):
        r = measure(nodes, args.guests, args.repeat)
        print(f"{nodes:>5} {r['quorum']:>8.3f} {r['status']:>8.3f} {r['migrate']:>8.3f} {r['fork']:>8.2f} "
              f"{r['save']:>8.2f} "
              f"{r['restore']:>8.2f} {r['size_kib']:>8.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
