"""The simulator's event log: what happened, when, on which node, from which unit.

Models two kinds of lines: journal lines of a systemd unit on a node (shown
by `journalctl -u corosync`), and simulator events (faults, quorum changes,
split brain) that a scenario log prints. Leaves out: syslog priorities other
than a level word, and log rotation (the log is capped to the newest lines).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

MAX_ENTRIES = 5000
TRIM_SLACK = 1000

# Unit names as journalctl shows them, and the process name in each line.
UNIT_PROCESS = {
    "corosync": "corosync",
    "pve-cluster": "pmxcfs",
    "pve-ha-crm": "pve-ha-crm",
    "pve-ha-lrm": "pve-ha-lrm",
    "pvedaemon": "pvedaemon",
}


@dataclass
class LogEntry:
    time: float
    node: str
    source: str
    message: str

    def to_json(self) -> list[Any]:
        return [self.time, self.node, self.source, self.message]


class EventLog:
    """Append-only (capped) list of entries in the order they happened."""

    def __init__(self) -> None:
        self.entries: list[LogEntry] = []
        self.dropped = 0

    def add(self, at: float, node: str, source: str, message: str) -> None:
        self.entries.append(LogEntry(at, node, source, message))
        if len(self.entries) > MAX_ENTRIES + TRIM_SLACK:  # trim in batches: amortised O(1) per line
            cut = len(self.entries) - MAX_ENTRIES
            del self.entries[:cut]
            self.dropped += cut

    def mark(self) -> int:
        """Position to pass to `since` later (counts dropped lines too)."""
        return self.dropped + len(self.entries)

    def since(self, mark: int) -> list[LogEntry]:
        return self.entries[max(0, mark - self.dropped):]

    def for_unit(self, node: str, unit: str | None) -> list[LogEntry]:
        """Journal lines of `unit` on `node` (all units when None); `systemd:<unit>` lines included."""
        if unit is None:
            return [e for e in self.entries if e.node == node and e.source != "sim"]
        wanted = (unit, f"systemd:{unit}")
        return [e for e in self.entries if e.node == node and e.source in wanted]

    def to_json(self) -> dict[str, Any]:
        return {"dropped": self.dropped, "entries": [e.to_json() for e in self.entries]}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> EventLog:
        log = cls()
        log.dropped = int(raw["dropped"])
        log.entries = [LogEntry(float(t), n, s, m) for t, n, s, m in raw["entries"]]
        return log


def journal_line(entry: LogEntry, wall: int, pid: int) -> str:
    """`Nov 24 09:00:05 pve1 corosync[1234]:   [QUORUM] Members[3]: 1 2 3`."""
    stamp = time.strftime("%b %d %H:%M:%S", time.gmtime(wall))
    if entry.source.startswith("systemd:"):
        return f"{stamp} {entry.node} systemd[1]: {entry.message}"
    process = UNIT_PROCESS.get(entry.source, entry.source)
    return f"{stamp} {entry.node} {process}[{pid}]: {entry.message}"
