"""`PveApi`: answers `(method, path, params, token) -> (status, reason, body)` like pveproxy.

Models the request cycle of pve-http-server for API tokens: authentication
(401), the route table (501 for unknown methods/paths), endpoint permission
checks (403 `Permission check failed (/, Sys.Audit)`), parameter checks
(400 with `errors`), and the JSON envelope `{"data": ...}` (plus `total`
where PVE adds it) with Perl's 0/1 for booleans. Writes (POST/PUT/DELETE)
are refused with 403 to tokens without the privilege the endpoint needs,
and otherwise answered 501: the emulation is read-only (students change the
cluster through the console). The HTTPS server (server.py) and in-process
callers share this one code path. Leaves out: tickets, CSRF, proxying to
other nodes (every node's data comes from the simulator directly).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from simulator.api import cluster_api, guest_api, ha_api, node_api  # noqa: F401 - they register routes
from simulator.api.auth import Token, authenticate
from simulator.api.errors import ApiError, not_implemented, permission_denied
from simulator.api.ha_source import ha_env_for
from simulator.api.routes import match, normalise
from simulator.api.settings import ApiSettings, settings_of

if TYPE_CHECKING:
    from simulator.cluster import Cluster

Response = tuple[int, str, dict[str, Any]]

# Write endpoints and the privilege each needs (path template, ACL path template, privilege).
WRITE_PRIVILEGES: list[tuple[str, str, str]] = [
    ("/nodes/{node}/qemu/{vmid}/status/", "/vms/{vmid}", "VM.PowerMgmt"),
    ("/nodes/{node}/lxc/{vmid}/status/", "/vms/{vmid}", "VM.PowerMgmt"),
    ("/nodes/{node}/qemu/{vmid}/migrate", "/vms/{vmid}", "VM.Migrate"),
    ("/nodes/{node}/lxc/{vmid}/migrate", "/vms/{vmid}", "VM.Migrate"),
    ("/nodes/{node}/qemu/{vmid}/snapshot", "/vms/{vmid}", "VM.Snapshot"),
    ("/nodes/{node}/qemu/{vmid}/config", "/vms/{vmid}", "VM.Config.Options"),
    ("/nodes/{node}/qemu", "/vms", "VM.Allocate"),
    ("/nodes/{node}/lxc", "/vms", "VM.Allocate"),
    ("/cluster/ha/", "/", "Sys.Console"),
    ("/storage", "/storage", "Datastore.Allocate"),
]


@dataclass
class Request:
    cluster: Cluster
    settings: ApiSettings
    token: Token
    params: dict[str, str]
    view: str
    extra: dict[str, Any] = field(default_factory=dict)  # added to the envelope (e.g. `total`)
    cache: dict[str, Any] = field(default_factory=dict)  # facts computed once per request
    _ha: Any = None
    _ha_loaded: bool = False

    def require(self, privilege: str, path: str = "/") -> None:
        if not self.token.has(privilege):
            raise permission_denied(path, privilege)

    def may(self, privilege: str) -> bool:
        return self.token.has(privilege)

    @property
    def ha(self) -> Any | None:
        """The HA env from the answering node's point of view (None: no HA attached)."""
        if not self._ha_loaded:
            self._ha = ha_env_for(self.cluster, self.view)
            self._ha_loaded = True
        return self._ha


class PveApi:
    """One simulated pveproxy in front of `cluster`; thread-safe (one request at a time)."""

    def __init__(self, cluster: Cluster, settings: ApiSettings | None = None,
                 extra_tokens: list[Token] | None = None) -> None:
        self.cluster = cluster
        self.settings = settings if settings is not None else settings_of(cluster)
        self.tokens = [*self.settings.tokens, *(extra_tokens or [])]
        self.lock = threading.RLock()
        self.calls = 0

    def __call__(self, method: str, path: str, params: dict[str, Any] | None = None,
                 token: str | None = None) -> Response:
        return self.handle(method, path, params, token)

    def handle(self, method: str, path: str, params: dict[str, Any] | None = None,
               token: str | None = None) -> Response:
        """`token` is the Authorization header value (`PVEAPIToken=...`)."""
        method = method.upper()
        path = normalise(path)
        with self.lock:
            self.calls += 1
            try:
                data, extra = self._dispatch(method, path, _stringify(params or {}), token)
            except ApiError as err:
                return err.status, err.reason, err.body()
            except Exception as exc:  # pveproxy turns any die() into a 500 with its text
                err = ApiError(500, str(exc).strip() or type(exc).__name__)
                return err.status, err.reason, err.body()
        return 200, "OK", {"data": perl_json(data), **extra}

    def _dispatch(self, method: str, path: str, params: dict[str, str],
                  header: str | None) -> tuple[Any, dict[str, Any]]:
        token = authenticate(header, self.tokens)
        found = match(method, path)
        if method != "GET":
            _check_write(token, path)
        if found is None:
            raise not_implemented(method, path)
        route, args = found
        request = Request(self.cluster, self.settings, token, params, self._view_node())
        data = route.endpoint(request, **args)
        return data, request.extra

    def _view_node(self) -> str:
        node = self.settings.node
        if node is not None and node in self.cluster.nodes and self.cluster.nodes[node].power:
            return node
        primary = self.cluster.primary_node()
        if not self.cluster.nodes[primary].power:
            raise ApiError(595, "Connection refused")
        return primary


def handle(cluster: Cluster, method: str, path: str, params: dict[str, Any] | None = None,
           token: str | None = None) -> Response:
    """The one-shot form of `PveApi(cluster)(method, path, params, token)`."""
    return PveApi(cluster)(method, path, params, token)


def _check_write(token: Token, path: str) -> None:
    for prefix, acl_template, privilege in WRITE_PRIVILEGES:
        head = prefix.split("{")[0]
        if path.startswith(head) and _template_matches(prefix, path):
            acl = acl_template.replace("{vmid}", path.split("/")[4] if path.count("/") >= 4 else "")
            if not token.has(privilege):
                raise permission_denied(acl, privilege)
            return
    if token.audit_only:
        raise permission_denied("/", "Sys.Modify")


def _template_matches(template: str, path: str) -> bool:
    parts, given = template.rstrip("/").split("/"), path.split("/")
    if len(given) < len(parts):
        return False
    return all(p.startswith("{") or p == g for p, g in zip(parts, given, strict=False))


def _stringify(params: dict[str, Any]) -> dict[str, str]:
    out = {}
    for key, value in params.items():
        if isinstance(value, bool):
            value = int(value)
        out[str(key)] = str(value)
    return out


def perl_json(value: Any) -> Any:
    """Booleans as Perl emits them: 1 and 0."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, dict):
        return {k: perl_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [perl_json(v) for v in value]
    return value
