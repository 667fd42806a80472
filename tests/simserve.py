"""`python -m simulator serve` as a real subprocess on a free port, for HTTPS tests and benchmarks."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOKEN_ID = "grader@pve!ro"
TOKEN_SECRET = "5f0c3a9e-1d2b-4c7a-9e8f-0a1b2c3d4e5f"

# Three quorate nodes, a few guests, HA with a node-affinity rule, a snapshot and a migration task.
LAB_SCENARIO = """\
seed: 7
topology:
  cluster: {name: lab, nodes: [pve1, pve2, pve3]}
  storages: [{id: nas, type: nfs, content: [images, rootdir, backup], server: 192.168.1.50, export: /srv/pve}]
  guests:
    - {vmid: 100, node: pve1, name: web, disks: {scsi0: "nas:32"}, running: true}
    - {vmid: 101, node: pve1, name: db, disks: {scsi0: "nas:16"}, running: true}
    - {vmid: 200, type: lxc, node: pve2, name: ct1, disks: {rootfs: "local-lvm:8"}}
steps:
  - run: ha-manager add vm:100 --max_restart 2
  - run: ha-manager rules add node-affinity keep-web --resources vm:100 --nodes pve1:2,pve2
  - run: qm snapshot 101 before-upgrade
    as: alice@pve
  - run: qm migrate 101 pve2 --online
    as: alice@pve
  - delay: 60
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Served:
    port: int
    fingerprint: str
    process: subprocess.Popen[str]
    scenario: Path
    output: list[str]
    ca_file: str  # the announced certificate (pve-ssl.pem), to verify TLS against


@contextlib.contextmanager
def serve(*args: str, scenario: str = LAB_SCENARIO, token: str | None = None) -> Iterator[Served]:
    """Start the server, wait for its fingerprint line, stop it (by its own pid) afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="simserve-"))
    path = folder / "scenario.yaml"
    path.write_text(scenario)
    port = free_port()
    command = [sys.executable, "-m", "simulator", "serve", "--scenario", str(path), "--port", str(port),
               "--token", token or f"{TOKEN_ID}={TOKEN_SECRET}", "--cert-dir", str(folder), *args]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    watchdog = threading.Timer(30, process.kill)
    watchdog.start()
    output: list[str] = []
    fingerprint = ""
    try:
        assert process.stdout is not None
        for line in process.stdout:
            output.append(line.rstrip("\n"))
            if line.startswith("fingerprint: "):
                fingerprint = line.split(": ", 1)[1].strip()
                break
        watchdog.cancel()
        if not fingerprint:
            raise RuntimeError("simulator serve did not start:\n" + "\n".join(output))
        yield Served(port, fingerprint, process, path, output, str(folder / "pve-ssl.pem"))
    finally:
        watchdog.cancel()
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
