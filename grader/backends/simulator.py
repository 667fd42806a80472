"""The in-process client: `get(path, **params)` straight into `simulator.api` for a Cluster.

Goes through the same handler `simulator serve` serves (authentication,
permissions, envelopes), with a token made up for this client (audit only),
so a simulated lab is collected exactly as a real cluster is, minus HTTP.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from grader.backends import ApiCallError
from simulator.api import PveApi, make_token
from simulator.api.settings import ApiSettings

if TYPE_CHECKING:
    from simulator.cluster import Cluster

TOKEN_ID = "grader@pve!collector"  # noqa: S105 - a token id, the secret is random per client


class SimulatorClient:
    source = "simulator"

    def __init__(self, cluster: Cluster, settings: ApiSettings | None = None) -> None:
        secret = secrets.token_hex(16)
        self.api = PveApi(cluster, settings, extra_tokens=[make_token(TOKEN_ID, secret)])
        self._header = f"PVEAPIToken={TOKEN_ID}={secret}"

    def __repr__(self) -> str:
        return f"SimulatorClient({len(self.api.cluster.nodes)} nodes)"

    def get(self, path: str, **params: Any) -> Any:
        status, reason, body = self.api.handle("GET", path, params, self._header)
        if status >= 400:
            raise ApiCallError(status, str(body.get("message") or reason), path)
        return body.get("data")
