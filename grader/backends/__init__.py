"""API clients the collector reads a cluster through, and the errors they raise.

A client is any object with `get(path, **params) -> data` (the unwrapped
`data` of PVE's envelope) and a `source` attribute (`simulator` or
`proxmox`). `simulator.SimulatorClient` answers in-process from a simulated
cluster; `proxmox.ProxmoxClient` talks to a real (or served) PVE API through
proxmoxer. Both raise the same three errors:

- `ApiCallError`: the API answered with an HTTP error (status + PVE's message);
  the collector decides what it means (PVE 8 has no `/cluster/ha/rules`, Ceph
  not installed, ...) and turns the rest into one of the two below.
- `TargetUnavailable`: the target could not be asked (unreachable, timeout,
  TLS failure, 5xx, token rejected or without privileges). Not gradable now:
  no score, no attempt used, retry later.
- `CollectError`: the target answered, but not like PVE does (garbage,
  wrong shapes). Never turned into a document that could be graded wrongly.

Messages are for people (students, instructors) and never contain a token
secret.
"""

from __future__ import annotations


class ApiCallError(Exception):
    """An HTTP error answer: `status` and PVE's message (its reason phrase)."""

    def __init__(self, status: int, message: str, path: str = "") -> None:
        super().__init__(f"{status} {message}" + (f" (GET {path})" if path else ""))
        self.status = status
        self.message = message
        self.path = path


class TargetUnavailable(Exception):
    """The target cannot be graded right now; the message says why and what to check."""


class CollectError(Exception):
    """The target's answers are not what Proxmox VE answers; nothing was graded."""


__all__ = ["ApiCallError", "CollectError", "TargetUnavailable"]
