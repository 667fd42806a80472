"""The task log of a migration, line by line, with the timestamps a real one would carry.

Models: qemu-server's online migration log (remote tunnel, NBD drive mirror
for local disks with `drive-scsi0: transferred ... in Ns` progress, the RAM
transfer with `migration active, transferred X of Y VM-state, R/s`, average
speed and downtime, `migration status: completed`), offline copies of local
disks, and pct's restart-mode lines. The lines come from real task logs; the
exact progress cadence, speeds and downtime are the simulator's (UNVERIFIED).
Leaves out: conntrack, dedicated migration networks, bandwidth limits.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

RAM_MIB_PER_S = 1024.0
DISK_MIB_PER_S = 200.0
SETUP_S = 2.0
CT_SHUTDOWN_S = 5.0
MAX_PROGRESS_LINES = 8


def stamp(wall: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(int(wall)))


def render_bytes(mib: float) -> str:
    """PVE's render_bytes with one decimal: `512.0 MiB`, `2.0 GiB`."""
    if mib >= 1024:
        return f"{mib / 1024:.1f} GiB"
    if mib >= 1:
        return f"{mib:.1f} MiB"
    return f"{mib * 1024:.1f} KiB" if mib > 0 else "0.0 B"


def render_duration(seconds: float) -> str:
    total = int(seconds)
    minutes, secs = divmod(total, 60)
    return f"{minutes}m {secs}s" if minutes else f"{secs}s"


def cachesize_mib(memory_mib: int) -> int:
    """XBZRLE cache: a tenth of the RAM rounded up to a power of two (512 MiB for 4 GiB)."""
    return 2 ** math.ceil(math.log2(max(1.0, memory_mib / 10)))


@dataclass
class Plan:
    """What a migration moves; durations follow from it."""

    vmid: int
    guest_type: str
    running: bool
    memory_mib: int
    local_disks: list[tuple[str, str, float]]  # (key, volid, GiB)

    @property
    def disk_seconds(self) -> float:
        return sum(gib for _, _, gib in self.local_disks) * 1024 / DISK_MIB_PER_S

    @property
    def ram_seconds(self) -> float:
        return self.memory_mib / RAM_MIB_PER_S if (self.running and self.guest_type == "qemu") else 0.0

    @property
    def total_seconds(self) -> float:
        extra = CT_SHUTDOWN_S if (self.guest_type == "lxc" and self.running) else 0.0
        return SETUP_S + self.disk_seconds + self.ram_seconds + extra


def _steps(duration: float) -> list[float]:
    """Progress instants (seconds into a phase), at most MAX_PROGRESS_LINES, the last one its end."""
    if duration <= 0:
        return [0.0]
    step = max(1.0, math.ceil(duration / MAX_PROGRESS_LINES))
    points = [float(t) for t in range(int(step), int(duration), int(step))]
    return [*points, duration]


def disk_lines(plan: Plan, start: float) -> tuple[list[str], float]:
    """NBD mirror lines of a live migration with local disks; returns (lines, end time)."""
    vmid, now = plan.vmid, start
    lines = [f"{stamp(now)} starting storage migration"]
    for key, _volid, gib in plan.local_disks:
        lines += [f"{stamp(now)} {key}: start migration to nbd:unix:/run/qemu-server/{vmid}_nbd.migrate:"
                  f"exportname=drive-{key}", "drive mirror is starting for drive-" + key]
        seconds = gib * 1024 / DISK_MIB_PER_S
        for t in _steps(seconds):
            done = min(gib * 1024, t * DISK_MIB_PER_S)
            pct = 100.0 * done / (gib * 1024) if gib else 100.0
            tail = ", ready" if t == seconds else ""
            lines.append(f"drive-{key}: transferred {render_bytes(done)} of {render_bytes(gib * 1024)} "
                         f"({pct:.2f}%) in {render_duration(t)}{tail}")
        now += seconds
    lines.append("all 'mirror' jobs are ready")
    return lines, now


def ram_lines(plan: Plan, start: float) -> tuple[list[str], float]:
    vmid, now, mem = plan.vmid, start, plan.memory_mib
    lines = [f"{stamp(now)} starting online/live migration on unix:/run/qemu-server/{vmid}.migrate",
             f"{stamp(now)} set migration capabilities", f"{stamp(now)} migration downtime limit: 100 ms",
             f"{stamp(now)} migration cachesize: {render_bytes(cachesize_mib(mem))}",
             f"{stamp(now)} set migration parameters",
             f"{stamp(now)} start migrate command to unix:/run/qemu-server/{vmid}.migrate"]
    for t in _steps(plan.ram_seconds)[:-1]:
        lines.append(f"{stamp(now + t)} migration active, transferred {render_bytes(t * RAM_MIB_PER_S)} of "
                     f"{render_bytes(mem)} VM-state, {render_bytes(RAM_MIB_PER_S)}/s")
    end = now + plan.ram_seconds
    lines += [f"{stamp(end)} average migration speed: {render_bytes(RAM_MIB_PER_S)}/s - downtime "
              f"{30 + vmid % 70} ms", f"{stamp(end)} migration status: completed"]
    return lines, end


def completion_lines(plan: Plan, start: float, target: str, remap: dict[str, str]) -> list[str]:
    """Everything after the first lines, written when the migration ends."""
    if plan.guest_type == "lxc":
        return _ct_lines(plan, start, remap)
    if not plan.running:
        lines = [f"{stamp(start + 1)} copying local disk images"] if plan.local_disks else []
        lines += [f"{stamp(start + 1)} volume '{volid}' is '{remap.get(volid, volid)}' on the target"
                  for _, volid, _ in plan.local_disks]
        return lines
    lines = [f"{stamp(start + 1)} start remote tunnel", f"{stamp(start + SETUP_S)} ssh tunnel ver 1"]
    now = start + SETUP_S
    if plan.local_disks:
        more, now = disk_lines(plan, now)
        lines += more
    more, now = ram_lines(plan, now)
    lines += more
    if plan.local_disks:
        lines.append(f"{stamp(now)} stopping NBD storage migration server on target.")
    return lines


def _ct_lines(plan: Plan, start: float, remap: dict[str, str]) -> list[str]:
    now = start + (CT_SHUTDOWN_S if plan.running else 0.0)
    lines = [f"{stamp(now)} volume '{volid}' is '{remap.get(volid, volid)}' on the target"
             for _, volid, _ in plan.local_disks]
    if plan.running:
        lines.append(f"{stamp(now + SETUP_S + plan.disk_seconds)} start container on target node")
    return lines
