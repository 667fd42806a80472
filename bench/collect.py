"""Benchmark one collection of a real-target-like cluster: `simulator serve --latency-ms 50` over HTTPS.

Starts `python -m simulator serve` (three nodes, guests, HA) as a subprocess
with N ms added to every request, then collects it through proxmoxer with
the fingerprint pinned, as the grader does for a real cluster. Prints a
table: API calls, dependency levels, wall time, and the ratio of the wall
time to one round trip (the aim is close to one round trip per level, not
one per call): for a new client (every connection opened and TLS-handshaken
during the collection, as for one grading run), for a client whose
connections are warm, and for comparison the same collector with one
worker thread (one call after the other).

Usage: .venv/bin/python bench/collect.py [--latency-ms 50] [--repeat 5] [--guests 3]
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from grader.backends.proxmox import ProxmoxClient, TargetSpec  # noqa: E402
from grader.collect import collect  # noqa: E402

TOKEN = ("grader@pve!ro", "bench-secret-0000")


def scenario(guests: int) -> str:
    rows = []
    for index in range(guests):
        node = f"pve{index % 3 + 1}"
        rows.append(f'    - {{vmid: {100 + index}, node: {node}, name: g{index}, disks: {{scsi0: "nas:8"}}, '
                    "running: true}")
    steps = [f"  - run: ha-manager add vm:{100 + i}" for i in range(min(guests, 5))]
    return "\n".join([
        "seed: 1", "ha: true", "topology:", "  cluster: {name: lab, nodes: [pve1, pve2, pve3]}",
        "  storages: [{id: nas, type: nfs, content: [images, rootdir], server: 10.0.0.5, export: /srv}]",
        "  guests:", *rows, "steps:", *steps, "  - delay: 30", ""])


def start(latency_ms: int, guests: int) -> tuple[subprocess.Popen[str], int, str]:
    folder = Path(tempfile.mkdtemp(prefix="bench-collect-"))
    (folder / "scenario.yaml").write_text(scenario(guests))
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "simulator", "serve", "--scenario", str(folder / "scenario.yaml"), "--port",
         str(port), "--latency-ms", str(latency_ms), "--token", f"{TOKEN[0]}={TOKEN[1]}"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith("fingerprint: "):
            return process, port, line.split(": ", 1)[1].strip()
    raise SystemExit("simulator serve did not start")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--guests", type=int, default=3)
    args = parser.parse_args()
    process, port, fingerprint = start(args.latency_ms, args.guests)
    try:
        spec = TargetSpec("127.0.0.1", TOKEN[0], TOKEN[1], port=port, tls_mode="pinned", fingerprint=fingerprint,
                          timeout=30)
        client = ProxmoxClient(spec, networks=[ipaddress.ip_network("127.0.0.1/32")])
        client.get("/version")  # warm one connection: the round trip below is a request, not a handshake
        trips = []
        for _ in range(args.repeat):
            began = time.perf_counter()
            client.get("/version")
            trips.append(time.perf_counter() - began)
        rtt = statistics.median(trips)
        rows = []
        cold = []
        for _ in range(args.repeat):
            fresh = ProxmoxClient(spec, networks=[ipaddress.ip_network("127.0.0.1/32")])
            _, stats = collect(fresh)
            cold.append(stats.wall_seconds)
        wall = statistics.median(cold)
        rows.append(("new client (cold TLS)", stats.calls, "+".join(map(str, stats.level_calls)), wall, wall / rtt))
        for label, workers in (("concurrent (16 threads)", 16), ("sequential (1 thread)", 1)):
            runs = []
            stats = None
            for _ in range(args.repeat):
                _, stats = collect(client, max_workers=workers)
                runs.append(stats.wall_seconds)
            assert stats is not None
            wall = statistics.median(runs)
            rows.append((label, stats.calls, "+".join(map(str, stats.level_calls)), wall, wall / rtt))
    finally:
        process.terminate()
        process.wait(timeout=5)
    print(f"collect against simulator serve, {args.latency_ms} ms added per request, HTTPS, "
          f"{args.guests} guests, median of {args.repeat}")
    print(f"one round trip (GET /version, warm connection): {rtt * 1000:.1f} ms")
    print()
    print(f"{'mode':<26}{'API calls':>10}{'per level':>12}{'wall (ms)':>12}{'round trips':>13}")
    for label, calls, levels, wall, ratio in rows:
        print(f"{label:<26}{calls:>10}{levels:>12}{wall * 1000:>12.1f}{ratio:>13.2f}")
    print()
    print("aim: about one round trip per dependency level (2 levels), not one per call")
    return 0


if __name__ == "__main__":
    sys.exit(main())
