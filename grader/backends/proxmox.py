"""The real-cluster client: proxmoxer over HTTPS, behind the platform's network and TLS rules.

Before any connection, the host is resolved and every address must lie in
`GRADER_ALLOWED_NETWORKS`; loopback, link-local, unspecified, multicast and
cloud metadata addresses are refused unless an allowed network lies inside
their own block (listing `127.0.0.0/8` allows loopback, `0.0.0.0/0` does
not). TLS is verified (system CAs or a given CA file), or the peer
certificate's SHA-256 fingerprint is checked against a pinned one by urllib3
itself on every new connection, or (opt-out) not verified. The client then
connects to the address it checked (with the host name kept for SNI and
certificate checks), so a DNS answer cannot change between the check and
the connection.

Errors come out as the three of grader.backends, with messages for people.
The token secret is only ever handed to proxmoxer's auth object: it is in no
message, repr or log line of this module (a test checks this).
"""

from __future__ import annotations

import hashlib
import ipaddress
import socket
import ssl
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from grader.backends import ApiCallError, CollectError, TargetUnavailable

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
POOL_SIZE = 16
METADATA = [ipaddress.ip_network(n) for n in ("169.254.169.254/32", "fd00:ec2::254/128", "100.100.100.200/32",
                                              "169.254.170.2/32")]
SPECIAL_BLOCKS = [ipaddress.ip_network(n) for n in ("127.0.0.0/8", "::1/128", "169.254.0.0/16", "fe80::/10",
                                                    "0.0.0.0/32", "::/128", "224.0.0.0/4", "ff00::/8")]


class TargetRefused(TargetUnavailable):
    """The host is outside the allowed networks: nothing was sent, and retrying will not help."""


@dataclass(frozen=True)
class TargetSpec:
    host: str
    token_id: str  # USER@REALM!NAME
    token_secret: str = field(repr=False)
    port: int = 8006
    tls_mode: str = "verify"  # verify | pinned | insecure
    fingerprint: str = ""  # SHA-256, hex, colons optional (pinned mode)
    timeout: float = 10.0
    ca_file: str | None = None  # verify mode with a private CA

    @classmethod
    def from_model(cls, target: Any, *, secret: str, timeout: float | None = None) -> TargetSpec:
        if timeout is None:
            from django.conf import settings

            timeout = float(getattr(settings, "GRADER_COLLECT_TIMEOUT_SECONDS", 10))
        return cls(host=target.host, token_id=target.token_id, token_secret=secret, port=int(target.port),
                   tls_mode=target.tls_mode, fingerprint=target.fingerprint or "", timeout=timeout)

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def pinned_hex(self) -> str:
        return self.fingerprint.replace(":", "").strip().lower()


# -- network rules ------------------------------------------------------------------------------
def allowed_networks() -> list[IPNetwork]:
    """GRADER_ALLOWED_NETWORKS, read when asked (never at import)."""
    from django.conf import settings

    return [ipaddress.ip_network(n, strict=False) for n in getattr(settings, "GRADER_ALLOWED_NETWORKS", [])]


def _special(address: IPAddress) -> list[IPNetwork]:
    """The special blocks `address` falls in (loopback, link-local, metadata, ...), if any."""
    blocks = [b for b in [*METADATA, *SPECIAL_BLOCKS] if b.version == address.version and address in b]
    if address.is_loopback or address.is_link_local or address.is_unspecified or address.is_multicast:
        blocks = blocks or [ipaddress.ip_network(address)]
    return blocks


def address_allowed(address: IPAddress, networks: Iterable[IPNetwork]) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    containing = [n for n in networks if n.version == address.version and address in n]
    if not containing:
        return False
    special = _special(address)
    if not special:
        return True
    # A special address needs an allowed network inside its own block: explicit, never by a catch-all.
    return any(n.subnet_of(block) for n in containing for block in special)  # type: ignore[arg-type]


def check_host(host: str, port: int, networks: Iterable[IPNetwork] | None = None) -> str:
    """The address to connect to; TargetRefused when any address of `host` is outside the rules."""
    networks = list(allowed_networks() if networks is None else networks)
    try:
        infos = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, ValueError):
        raise TargetUnavailable(f"cannot resolve the host name '{host}'") from None
    addresses = sorted({ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos}, key=str)
    if not addresses:
        raise TargetUnavailable(f"cannot resolve the host name '{host}'")
    for address in addresses:
        if not address_allowed(address, networks):
            raise TargetRefused(f"{host} ({address}) is outside the networks this platform may connect to "
                                "(GRADER_ALLOWED_NETWORKS); ask the administrator to allow it")
    return str(addresses[0])


# -- HTTP plumbing ------------------------------------------------------------------------------
class _TlsAdapter(HTTPAdapter):
    """A pool sized for the collector's threads, with one TLS context for all its connections.

    One context per client, not per connection: building one and loading the CA
    store costs ~50 ms of CPU, which a dozen concurrent new connections would
    otherwise pay one after the other. In pinned mode urllib3 checks the peer
    certificate's SHA-256 against the pin on every new connection.
    """

    def __init__(self, context: ssl.SSLContext, fingerprint: str | None = None,
                 server_hostname: str | None = None) -> None:
        self.context = context
        self.fingerprint = fingerprint
        self.server_hostname = server_hostname
        super().__init__(pool_connections=1, pool_maxsize=POOL_SIZE)

    def init_poolmanager(self, connections: int, maxsize: int, block: bool = False, **kwargs: Any) -> None:
        kwargs["ssl_context"] = self.context
        if self.fingerprint:
            kwargs["assert_fingerprint"] = self.fingerprint
        if self.server_hostname:
            # We connect to the address we checked; SNI and certificate checks still use the name.
            kwargs["server_hostname"] = self.server_hostname
        super().init_poolmanager(connections, maxsize, block, **kwargs)


def _tls_context(spec: TargetSpec) -> ssl.SSLContext:
    from urllib3.util.ssl_ import create_urllib3_context

    if spec.tls_mode != "verify":
        context = create_urllib3_context(cert_reqs=ssl.CERT_NONE)
        context.check_hostname = False
        return context
    context = create_urllib3_context(cert_reqs=ssl.CERT_REQUIRED)
    if spec.ca_file:
        context.load_verify_locations(spec.ca_file)
    else:
        import certifi

        context.load_verify_locations(certifi.where())
    return context


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def peer_fingerprint(address: str, port: int, timeout: float = 5.0) -> str | None:
    """SHA-256 of the certificate the server presents, colon-hex, or None if it cannot be read."""
    try:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        with socket.create_connection((address, port), timeout=timeout) as raw, \
                context.wrap_socket(raw, server_hostname=None) as tls:
            der = tls.getpeercert(binary_form=True)
    except (OSError, ssl.SSLError):
        return None
    if not der:
        return None
    hexed = hashlib.sha256(der).hexdigest().upper()
    return ":".join(hexed[i:i + 2] for i in range(0, 64, 2))


class ProxmoxClient:
    """`get(path, **params)` on a PVE API through proxmoxer, with errors translated."""

    source = "proxmox"

    def __init__(self, spec: TargetSpec, *, networks: Iterable[IPNetwork] | None = None) -> None:
        from proxmoxer import ProxmoxAPI

        if spec.tls_mode not in ("verify", "pinned", "insecure"):
            raise TargetUnavailable(f"unknown TLS mode '{spec.tls_mode}'")
        if spec.tls_mode == "pinned" and len(spec.pinned_hex) != 64:
            raise TargetUnavailable("the pinned fingerprint is not a SHA-256 fingerprint (64 hex digits)")
        user, sep, token_name = spec.token_id.partition("!")
        if not sep or "@" not in user or not token_name:
            raise TargetUnavailable("the token id must look like USER@REALM!TOKENNAME")
        self.spec = spec
        self.address = check_host(spec.host, spec.port, networks)
        connect_to = f"[{self.address}]" if ":" in self.address else self.address
        name = spec.host.strip("[]")
        server_hostname = None if _is_address(name) or spec.tls_mode != "verify" else name
        try:
            context = _tls_context(spec)
        except (OSError, ssl.SSLError):
            raise TargetUnavailable("the CA file for this target cannot be read") from None
        # The CA store lives in the adapter's context, so requests is only told whether to verify.
        self.api = ProxmoxAPI(connect_to, port=spec.port, user=user, token_name=token_name,
                              token_value=spec.token_secret, verify_ssl=spec.tls_mode == "verify",
                              timeout=spec.timeout)
        session = self.api._store["session"]
        session.mount("https://", _TlsAdapter(context, spec.pinned_hex if spec.tls_mode == "pinned" else None,
                                              server_hostname))

    @classmethod
    def for_target(cls, target: Any, *, secret: str) -> ProxmoxClient:
        return cls(TargetSpec.from_model(target, secret=secret))

    def __repr__(self) -> str:
        return f"ProxmoxClient({self.spec.where}, token {self.spec.token_id}, tls {self.spec.tls_mode})"

    def get(self, path: str, **params: Any) -> Any:
        from proxmoxer import ResourceException

        where = self.spec.where
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # urllib3's InsecureRequestWarning in pinned/insecure modes
                data = self.api.get(path.lstrip("/"), **params)
        except ResourceException as exc:
            raise ApiCallError(int(exc.status_code), str(exc.content or exc.status_message), path) from None
        except requests.exceptions.SSLError as exc:
            raise TargetUnavailable(self._tls_message(exc)) from None
        except requests.exceptions.Timeout:
            raise TargetUnavailable(f"{where} did not answer GET {path} within {self.spec.timeout:g} s") from None
        except requests.exceptions.ConnectionError:
            raise TargetUnavailable(f"cannot connect to {where} (refused, unreachable or closed the "
                                    "connection); is pveproxy running and the port open?") from None
        except (KeyError, TypeError):
            raise CollectError(f"{where} answered GET {path} with JSON that is not a PVE envelope") from None
        except requests.exceptions.RequestException as exc:
            raise TargetUnavailable(f"talking to {where} failed: {type(exc).__name__}") from None
        if isinstance(data, dict) and set(data) == {"errors"} and isinstance(data["errors"], bytes):
            raise CollectError(f"{where} answered GET {path} with something that is not JSON")
        return data

    def _tls_message(self, exc: Exception) -> str:
        where = self.spec.where
        seen = peer_fingerprint(self.address, self.spec.port)
        seen_text = f" It presented the certificate {seen}." if seen else ""
        if self.spec.tls_mode == "pinned":
            return (f"TLS: the certificate of {where} does not match the pinned fingerprint.{seen_text} "
                    "If the certificate was renewed on purpose, pin the new fingerprint.")
        return (f"TLS: the certificate of {where} could not be verified ({_short(exc)}).{seen_text} "
                "Use a certificate from a trusted CA, or pin its fingerprint.")


def _short(exc: Exception) -> str:
    text = str(exc)
    for marker in ("CERTIFICATE_VERIFY_FAILED", "hostname mismatch", "self-signed", "certificate has expired"):
        if marker.lower() in text.lower():
            return marker.replace("_", " ").lower()
    return "handshake failed"


# -- preflight ---------------------------------------------------------------------------------------
AUDIT_PRIVILEGES = frozenset({"VM.Audit", "VM.GuestAgent.Audit", "Sys.Audit", "Datastore.Audit", "SDN.Audit",
                              "Pool.Audit", "Mapping.Audit"})
NEEDED = ("Sys.Audit", "VM.Audit", "Datastore.Audit")


@dataclass
class PreflightResult:
    """What registering a target shows: ok, or the problems to fix; warnings never block."""

    ok: bool = False
    reachable: bool = False
    tls: str = ""  # verified | pinned | not verified
    version: str | None = None
    cluster: str | None = None
    privileges: list[str] = field(default_factory=list)
    audit_only: bool | None = None
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "reachable": self.reachable, "tls": self.tls, "version": self.version,
                "cluster": self.cluster, "privileges": list(self.privileges), "audit_only": self.audit_only,
                "problems": list(self.problems), "warnings": list(self.warnings)}


def preflight(spec: TargetSpec, *, networks: Iterable[IPNetwork] | None = None) -> PreflightResult:
    """Reachable, TLS, version, token privileges (audit only is right; more is a warning)."""
    result = PreflightResult(tls={"verify": "verified", "pinned": "pinned"}.get(spec.tls_mode, "not verified"))
    try:
        client = ProxmoxClient(spec, networks=networks)
        version = client.get("/version")
        result.reachable = True
        result.version = str(version.get("version")) if isinstance(version, dict) else None
        if result.version is None:
            raise CollectError(f"{spec.where} does not answer /version like Proxmox VE")
        _check_privileges(client, result)
        status = client.get("/cluster/status")
        names = [row.get("name") for row in status if isinstance(row, dict) and row.get("type") == "cluster"]
        result.cluster = str(names[0]) if names else None
    except ApiCallError as err:
        result.reachable = True
        result.problems.append(_api_problem(err))
    except (TargetUnavailable, CollectError) as exc:
        result.problems.append(str(exc))
    if spec.tls_mode == "insecure":
        result.warnings.append("TLS is not verified for this target: anyone on the path could read the token. "
                               "Pin the certificate's fingerprint instead.")
    result.ok = not result.problems
    return result


def _check_privileges(client: ProxmoxClient, result: PreflightResult) -> None:
    permissions = client.get("/access/permissions")
    if not isinstance(permissions, dict):
        raise CollectError("/access/permissions did not answer an object")
    root = permissions.get("/") or {}
    granted = sorted(str(p) for p, v in root.items() if v) if isinstance(root, dict) else []
    everything = {str(p) for privs in permissions.values() if isinstance(privs, dict) for p, v in privs.items() if v}
    result.privileges = granted
    result.audit_only = everything <= AUDIT_PRIVILEGES
    missing = [p for p in NEEDED if p not in granted]
    if missing:
        result.problems.append(f"the token lacks {', '.join(missing)} on /: give it the PVEAuditor role with "
                               f"`pveum acl modify / -token '{client.spec.token_id}' -role PVEAuditor`")
    if not result.audit_only:
        extra = sorted(everything - AUDIT_PRIVILEGES)
        shown = ", ".join(extra[:6]) + (", ..." if len(extra) > 6 else "")
        result.warnings.append(f"the token holds more than audit privileges ({shown}); grading only reads, so "
                               "use a token with just the PVEAuditor role (privilege separation on)")


def _api_problem(err: ApiCallError) -> str:
    if err.status == 401:
        return f"the token was rejected ({err.message}): check the token id and secret"
    if err.status == 403:
        return f"the token may not read the cluster ({err.message}): give it the PVEAuditor role on /"
    return f"the API answered GET {err.path} with {err.status} {err.message}"
