"""`python -m simulator serve`: the simulated PVE API over HTTPS, for proxmoxer and curl.

Serves `PveApi.handle` (the same code path in-process callers use) on
`https://HOST:PORT/api2/json/...` with a self-signed certificate generated
at start (its SHA-256 fingerprint printed in PVE's colon-hex form, as
`pvenode cert info` shows it), HTTP/1.1 keep-alive, one request at a time
against the cluster (a lock), and optional faults (faults.py). The cluster
is the scenario's, after its steps (the HA stack runs on every simulated
cluster); virtual time stands still unless
`--speed` lets it follow the wall clock. Leaves out: the web GUI, tickets,
websockets (consoles) and HTTP/2.
"""

from __future__ import annotations

import argparse
import datetime
import ipaddress
import json
import secrets
import ssl
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from simulator.api.auth import make_token, parse_token_spec
from simulator.api.faults import MODES, Faults
from simulator.api.handler import PveApi
from simulator.api.routes import normalise
from simulator.api.settings import ApiSettings, store


def make_certificate(host: str) -> tuple[bytes, bytes, str]:
    """(cert PEM, key PEM, SHA-256 fingerprint `AA:BB:...`) for a fresh self-signed certificate."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "PVE Cluster Node (simulated)")])
    alt: list[x509.GeneralName] = [x509.DNSName("localhost")]
    try:
        alt.append(x509.IPAddress(ipaddress.ip_address(host)))
    except ValueError:
        alt.append(x509.DNSName(host))
    if host != "127.0.0.1":
        alt.append(x509.IPAddress(ipaddress.ip_address("127.0.0.1")))
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName(alt), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return cert_pem, key_pem, fingerprint_of(cert.public_bytes(serialization.Encoding.DER))


def fingerprint_of(der: bytes) -> str:
    digest = hashes.Hash(hashes.SHA256())
    digest.update(der)
    hexed = digest.finalize().hex().upper()
    return ":".join(hexed[i:i + 2] for i in range(0, len(hexed), 2))


class ApiServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # The collector opens a dozen connections at once; socketserver's default backlog of 5 drops SYNs
    # and costs a one-second retransmit.
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], api: PveApi, faults: Faults, speed: float = 0.0,
                 verbose: bool = False) -> None:
        super().__init__(address, RequestHandler)
        self.api = api
        self.faults = faults
        self.speed = speed
        self.verbose = verbose
        self.started = time.monotonic()
        self.advanced = 0.0

    def catch_up(self) -> None:
        """With --speed, let the cluster's virtual time follow the wall clock."""
        if self.speed <= 0:
            return
        with self.api.lock:
            target = (time.monotonic() - self.started) * self.speed
            if target > self.advanced:
                self.api.cluster.advance(target - self.advanced)
                self.advanced = target


class RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes; do not wait for delayed ACKs
    server: ApiServer

    def version_string(self) -> str:
        return "pve-api-daemon/3.0"

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def _serve(self, method: str) -> None:
        url = urlsplit(self.path)
        params: dict[str, Any] = dict(parse_qsl(url.query, keep_blank_values=True))
        params.update(self._body_params())
        server = self.server
        server.faults.delay()
        canned = server.faults.response(normalise(url.path))
        if canned is not None:
            self._send(*canned)
            return
        server.catch_up()
        status, reason, body = server.api.handle(method, url.path, params, self.headers.get("Authorization"))
        self._send(status, reason, json.dumps(body).encode())

    def _body_params(self) -> dict[str, Any]:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            return {}
        if length <= 0 or length > 1 << 20:
            return {}
        raw = self.rfile.read(length)
        if (self.headers.get("Content-Type") or "").startswith("application/json"):
            try:
                data = json.loads(raw)
            except ValueError:
                return {}
            return data if isinstance(data, dict) else {}
        return dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))

    def _send(self, status: int, reason: str, body: bytes) -> None:
        reason = " ".join(reason.split())[:200].encode("latin-1", "replace").decode("latin-1")
        self.send_response(status, reason)
        self.send_header("Content-Type", "application/json;charset=UTF-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "max-age=0")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            sys.stderr.write(f"{self.address_string()} {format % args}\n")


def build_server(cluster: Any, settings: ApiSettings, host: str = "127.0.0.1", port: int = 8006,
                 faults: Faults | None = None, speed: float = 0.0, verbose: bool = False,
                 cert_dir: Path | None = None) -> tuple[ApiServer, str]:
    """A ready (not yet serving) HTTPS server and the fingerprint it announces."""
    faults = faults or Faults()
    cert_pem, key_pem, fingerprint = make_certificate(host)
    served_cert, served_key = cert_pem, key_pem
    if faults.mode == "tls-mismatch":
        served_cert, served_key, _ = make_certificate(host)
    folder = cert_dir or Path(tempfile.mkdtemp(prefix="simulator-serve-"))
    (folder / "pve-ssl.pem").write_bytes(cert_pem)
    (folder / "served.pem").write_bytes(served_cert)
    (folder / "served.key").write_bytes(served_key)
    (folder / "served.key").chmod(0o600)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(folder / "served.pem", folder / "served.key")
    server = ApiServer((host, port), PveApi(cluster, settings), faults, speed, verbose)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    return server, fingerprint


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m simulator serve",
                                     description="Serve a simulated cluster's PVE API over HTTPS.")
    parser.add_argument("--scenario", help="scenario YAML (default: the course's lab start, 3 standalone nodes)")
    parser.add_argument("--port", type=int, default=8006)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--token", action="append", default=[], metavar="USER@REALM!NAME=SECRET[,role=ROLE]",
                        help="accept this API token (role PVEAuditor unless given); repeatable")
    parser.add_argument("--pve-version", help="8 or 9 (or 8.4.1 ...); overrides the scenario's api.version")
    parser.add_argument("--node", help="the node whose API answers (default: first quorate node)")
    parser.add_argument("--latency-ms", type=int, default=0, help="delay every request by N ms")
    parser.add_argument("--fault", help=f"MODE[:PATH_PREFIX], MODE one of {', '.join(MODES)}")
    parser.add_argument("--hang-seconds", type=float, default=30.0, help="how long the timeout fault hangs")
    parser.add_argument("--speed", type=float, default=0.0, help="virtual seconds per wall second (0: frozen)")
    parser.add_argument("--cert-dir", help="write pve-ssl.pem (the announced certificate) here")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(list(sys.argv[1:] if argv is None else argv))
    try:
        cluster, settings = _load(args)
        faults = Faults.parse(args.fault, args.latency_ms, args.hang_seconds)
        cert_dir = Path(args.cert_dir) if args.cert_dir else None
        if cert_dir is not None:
            cert_dir.mkdir(parents=True, exist_ok=True)
        server, fingerprint = build_server(cluster, settings, args.host, args.port, faults, args.speed,
                                           args.verbose, cert_dir)
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    host, port = server.server_address[:2]
    print(f"simulator serve: https://{host}:{port}/api2/json (PVE {settings.version}, "
          f"{len(cluster.nodes)} nodes)")
    for token in settings.tokens:
        print(f"token: {token.tokenid} ({'audit only' if token.audit_only else 'more than audit'})")
    print(f"fingerprint: {fingerprint}", flush=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        while thread.is_alive():
            thread.join(0.5)
    except KeyboardInterrupt:
        pass
    server.shutdown()
    return 0


def _load(args: argparse.Namespace) -> tuple[Any, ApiSettings]:
    data: dict[str, Any] = {}
    if args.scenario:
        from simulator.scenario import ScenarioError, load

        try:
            data = load(args.scenario)
        except ScenarioError as exc:
            raise ValueError(str(exc)) from None
    settings = ApiSettings.from_json(data.get("api"))
    if args.pve_version:
        settings.version = ApiSettings.from_json({"version": args.pve_version}).version
    if args.node:
        settings.node = args.node
    settings.tokens += [parse_token_spec(spec) for spec in args.token]
    if not settings.tokens:
        secret = secrets.token_hex(16)
        settings.tokens.append(make_token("grader@pve!ro", secret))
        print(f"no --token given: accepting PVEAPIToken=grader@pve!ro={secret}")
    cluster = scenario_cluster(data)
    if settings.node is not None and settings.node not in cluster.nodes:
        raise ValueError(f"--node: no node '{settings.node}' in the scenario")
    store(cluster, ApiSettings(settings.version, [], settings.node))
    return cluster, settings


def scenario_cluster(data: dict[str, Any]) -> Any:
    """The scenario's cluster after its steps; every cluster runs the HA stack.

    The scenario's `api:` version and point of view (not its tokens) are stored
    with the cluster, so an in-process client sees the same PVE version.
    """
    from simulator.cluster import Cluster
    from simulator.scenario import ScenarioError, build

    if not data:
        return Cluster.lab_start()
    try:
        cluster = build(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"scenario: {exc}") from None
    declared = ApiSettings.from_json(data.get("api"))
    store(cluster, ApiSettings(declared.version, [], declared.node))
    default_node = sorted(cluster.nodes)[0]
    for index, step in enumerate(data.get("steps") or [], start=1):
        if not isinstance(step, dict) or len(set(step) & {"run", "fault", "delay"}) != 1:
            raise ScenarioError(f"step {index}: expected one of run / fault / delay, got {step!r}")
        if "delay" in step:
            cluster.advance(float(step["delay"]))
        elif "fault" in step:
            cluster.apply_fault(str(step["fault"]))
        else:
            cluster.run(str(step.get("on", default_node)), str(step["run"]), str(step.get("as", "root@pam")))
    return cluster
