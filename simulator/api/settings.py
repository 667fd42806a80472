"""What a simulated PVE API endpoint declares about itself: PVE version, tokens, point of view.

A scenario may carry an `api:` block:

    api:
      version: 9            # 8 or 9 (or a full version like 8.4.1); default 9
      node: pve1            # the node whose API answers (default: first quorate node)
      tokens:
        - {id: "grader@pve!ro", secret: "...", role: PVEAuditor}
        - {id: "root@pam!admin", secret: "...", privileges: [Sys.Audit, Sys.Modify]}

The settings travel with the cluster (`store(cluster, settings)`): they are
kept as the state of a dormant subsystem named `pve-api`, which
`Cluster.to_json`/`from_json` preserve verbatim. Models nothing of PVE.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from simulator.api.auth import Token, make_token

if TYPE_CHECKING:
    from simulator.cluster import Cluster

SUBSYSTEM = "pve-api"
# (version, release, repoid) of a current point release per major version.
VERSIONS = {8: ("8.4.1", "8.4", "2a5fa54a8503f96d"), 9: ("9.1.2", "9.1", "14a22df3cb0e5e5d")}


@dataclass
class ApiSettings:
    version: str = VERSIONS[9][0]
    tokens: list[Token] = field(default_factory=list)
    node: str | None = None

    @property
    def major(self) -> int:
        return int(self.version.split(".")[0])

    @property
    def release(self) -> str:
        return ".".join(self.version.split(".")[:2])

    @property
    def repoid(self) -> str:
        return VERSIONS.get(self.major, VERSIONS[9])[2]

    def to_json(self) -> dict[str, Any]:
        return {"version": self.version, "node": self.node, "tokens": [t.to_json() for t in self.tokens]}

    @classmethod
    def from_json(cls, raw: dict[str, Any] | None) -> ApiSettings:
        """From a scenario's `api:` block or a stored state; raises ValueError on nonsense."""
        raw = dict(raw or {})
        unknown = set(raw) - {"version", "node", "tokens"}
        if unknown:
            raise ValueError(f"api: unknown key '{sorted(unknown)[0]}' (known: version, node, tokens)")
        version = str(raw.get("version", 9))
        if version.isdigit():
            if int(version) not in VERSIONS:
                raise ValueError(f"api: version {version} is not simulated (8 or 9)")
            version = VERSIONS[int(version)][0]
        elif not version.split(".")[0].isdigit() or int(version.split(".")[0]) not in VERSIONS:
            raise ValueError(f"api: version '{version}' is not simulated (8.x or 9.x)")
        tokens = []
        for spec in raw.get("tokens") or []:
            if not isinstance(spec, dict) or "id" not in spec or "secret" not in spec:
                raise ValueError("api: a token is {id: USER@REALM!NAME, secret: ..., role: ROLE}")
            tokens.append(make_token(str(spec["id"]), str(spec["secret"]), spec.get("role"), spec.get("privileges")))
        node = raw.get("node")
        return cls(version, tokens, str(node) if node else None)


def settings_of(cluster: Cluster) -> ApiSettings:
    return ApiSettings.from_json(cluster.dormant_subsystems.get(SUBSYSTEM))


def store(cluster: Cluster, settings: ApiSettings) -> None:
    cluster.dormant_subsystems[SUBSYSTEM] = settings.to_json()
