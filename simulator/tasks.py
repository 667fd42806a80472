"""PVE tasks (worker processes) and their UPIDs.

Models: `UPID:<node>:<pid>:<pstart>:<starttime>:<type>:<id>:<user>:` with
8-digit upper-case hex fields, a status (`RUNNING` until done, then `OK`,
`WARNINGS: N` or the error text), start/end times, the user who started it,
and its log (ending `TASK OK` / `TASK ERROR: <msg>`). Leaves out: the on-disk
index files and task log rotation (a node keeps its newest tasks only).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

MAX_TASKS_PER_NODE = 500


def format_upid(node: str, pid: int, pstart: int, starttime: int, type_: str, id_: str, user: str) -> str:
    return f"UPID:{node}:{pid:08X}:{pstart:08X}:{starttime:08X}:{type_}:{id_}:{user}:"


def parse_upid(upid: str) -> dict[str, Any]:
    parts = upid.split(":")
    if len(parts) != 9 or parts[0] != "UPID":
        raise ValueError(f"unable to parse worker upid '{upid}'")
    return {"node": parts[1], "pid": int(parts[2], 16), "pstart": int(parts[3], 16),
            "starttime": int(parts[4], 16), "type": parts[5], "id": parts[6], "user": parts[7]}


@dataclass
class Task:
    upid: str
    node: str
    pid: int
    pstart: int
    starttime: int
    type: str
    id: str
    user: str
    status: str = "RUNNING"
    endtime: int | None = None
    log: list[str] = field(default_factory=list)

    @property
    def running(self) -> bool:
        return self.status == "RUNNING"

    def finish(self, endtime: int, error: str | None = None) -> None:
        self.endtime = endtime
        if error is None:
            self.status = "OK"
            self.log.append("TASK OK")
        else:
            self.status = error
            self.log.append(f"TASK ERROR: {error}")

    def to_json(self) -> dict[str, Any]:
        return {**self.__dict__, "log": list(self.log)}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Task:
        return cls(**{**raw, "log": list(raw["log"])})

    def summary(self) -> dict[str, Any]:
        """The `/nodes/{node}/tasks` row for this task."""
        row: dict[str, Any] = {"upid": self.upid, "node": self.node, "pid": self.pid,
                               "pstart": self.pstart, "starttime": self.starttime,
                               "type": self.type, "id": self.id, "user": self.user}
        if not self.running:
            row["status"] = self.status
            row["endtime"] = self.endtime
        return row
