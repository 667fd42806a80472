"""The virtual clock and the event queue that drive the simulated cluster.

Models: wall-clock time as seconds since a fixed epoch (so `Date:` lines and
UPIDs look real), and a queue of future events (migration finished, subsystem
ticks) processed in (time, sequence) order so equal times stay deterministic.
Leaves out: clock drift between nodes (every node shares one clock).
"""

from __future__ import annotations

import copy
import heapq
from dataclasses import dataclass, field
from typing import Any

# 2025-11-24 09:00:00 UTC: the simulated "now" of a fresh cluster at t=0.
DEFAULT_EPOCH = 1_763_974_800


@dataclass(order=True)
class Event:
    due: float
    seq: int
    kind: str = field(compare=False)
    data: dict[str, Any] = field(compare=False, default_factory=dict)

    def to_json(self) -> list[Any]:
        return [self.due, self.seq, self.kind, copy.deepcopy(self.data)]

    @classmethod
    def from_json(cls, raw: list[Any]) -> Event:
        return cls(float(raw[0]), int(raw[1]), str(raw[2]), copy.deepcopy(dict(raw[3])))


class Clock:
    """Virtual seconds since the scenario began, plus the epoch they map to."""

    def __init__(self, now: float = 0.0, epoch: int = DEFAULT_EPOCH) -> None:
        self.now = now
        self.epoch = epoch
        self._queue: list[Event] = []
        self._seq = 0

    def wall(self, at: float | None = None) -> int:
        """Unix time (integer seconds) of `at` (default: now)."""
        return self.epoch + int(self.now if at is None else at)

    def schedule(self, delay: float, kind: str, data: dict[str, Any] | None = None) -> Event:
        self._seq += 1
        event = Event(self.now + max(0.0, delay), self._seq, kind, dict(data or {}))
        heapq.heappush(self._queue, event)
        return event

    def pop_due(self, until: float) -> Event | None:
        """Next event due at or before `until`; the clock moves to its time."""
        if self._queue and self._queue[0].due <= until:
            event = heapq.heappop(self._queue)
            self.now = max(self.now, event.due)
            return event
        return None

    def cancel(self, kind: str, **match: Any) -> int:
        """Drop queued events of `kind` whose data contains `match`."""
        before = len(self._queue)
        self._queue = [
            e for e in self._queue
            if not (e.kind == kind and all(e.data.get(k) == v for k, v in match.items()))
        ]
        heapq.heapify(self._queue)
        return before - len(self._queue)

    def pending(self, kind: str | None = None) -> list[Event]:
        return sorted(e for e in self._queue if kind is None or e.kind == kind)

    def to_json(self) -> dict[str, Any]:
        return {
            "now": self.now,
            "epoch": self.epoch,
            "seq": self._seq,
            "queue": [e.to_json() for e in sorted(self._queue)],
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Clock:
        clock = cls(float(raw["now"]), int(raw["epoch"]))
        clock._seq = int(raw["seq"])
        clock._queue = [Event.from_json(e) for e in raw["queue"]]
        heapq.heapify(clock._queue)
        return clock
