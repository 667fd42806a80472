"""Fault injection for `simulator serve`: what a sick or misconfigured PVE endpoint does.

Modes (`--fault MODE[:PATH_PREFIX]`, only requests under the prefix are hit):
`5xx` (500 on every request), `timeout` (hang `hang_seconds` before
answering, longer than any sane client timeout), `garbage` (200 with a body
that is not JSON), `wrong-shape` (valid JSON whose `data` has the wrong
shape), `401` (every token rejected), `403` (every token lacks Sys.Audit),
`tls-mismatch` (the server presents a different certificate than the one
whose fingerprint it prints; handled in server.py). `latency_ms` delays
every request. Models nothing of PVE itself.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

MODES = ("5xx", "timeout", "garbage", "wrong-shape", "401", "403", "tls-mismatch")
GARBAGE = b"<html><body><h1>502 Bad Gateway</h1>nginx</body></html>\n{\"data\": [truncated"


@dataclass
class Faults:
    latency_ms: int = 0
    mode: str | None = None
    path_prefix: str = ""
    hang_seconds: float = 30.0

    @classmethod
    def parse(cls, spec: str | None, latency_ms: int = 0, hang_seconds: float = 30.0) -> Faults:
        mode, prefix = (None, "")
        if spec:
            mode, _, prefix = spec.partition(":")
            if mode not in MODES:
                raise ValueError(f"unknown fault '{mode}' (known: {', '.join(MODES)})")
        if latency_ms < 0:
            raise ValueError("--latency-ms must be >= 0")
        return cls(latency_ms, mode, prefix, hang_seconds)

    def hits(self, path: str) -> bool:
        """Whether the fault applies to `path` (given without the /api2/json prefix)."""
        return self.mode is not None and path.startswith(self.path_prefix or "/")

    def delay(self) -> None:
        if self.latency_ms:
            time.sleep(self.latency_ms / 1000)

    def response(self, path: str) -> tuple[int, str, bytes] | None:
        """A canned (status, reason, body) replacing the real answer, or None."""
        if not self.hits(path):
            return None
        if self.mode == "timeout":
            time.sleep(self.hang_seconds)
            return None
        if self.mode == "5xx":
            return 500, "Internal Server Error", b'{"data":null,"message":"Internal Server Error"}'
        if self.mode == "garbage":
            return 200, "OK", GARBAGE
        if self.mode == "wrong-shape":
            return 200, "OK", b'{"data":"this is not what you asked for"}'
        if self.mode == "401":
            return 401, "invalid token value!", b'{"data":null,"message":"invalid token value!"}'
        if self.mode == "403":
            return 403, "Permission check failed (/, Sys.Audit)", \
                b'{"data":null,"message":"Permission check failed (/, Sys.Audit)"}'
        return None
