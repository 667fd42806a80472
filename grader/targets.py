"""Real Proxmox VE targets: registration (secret encrypted at once) and the preflight.

The network rules (GRADER_ALLOWED_NETWORKS, loopback / link-local / metadata
refused unless listed), TLS verification or pinning and the API calls of the
preflight belong to the proxmoxer backend (grader/backends/proxmox.py); this
module stores what it answers, without the secret.
"""

from __future__ import annotations

import logging
from typing import Any

from django.utils import timezone

from grader import crypto
from grader.models import RealTarget

log = logging.getLogger(__name__)


def target_register(*, owner, course, name: str, host: str, port: int, token_id: str, token_secret: str,
                    tls_mode: str, fingerprint: str = "", shared: bool = False) -> RealTarget:
    target = RealTarget.objects.create(shared=shared,
        owner=owner, course=course, name=name, host=host.strip(), port=port, token_id=token_id,
        token_secret_encrypted=crypto.encrypt(token_secret), tls_mode=tls_mode,
        fingerprint=fingerprint.replace(":", "").lower(),
    )
    target_preflight(target)
    return target


def target_preflight(target: RealTarget) -> dict[str, Any]:
    """Run the backend's preflight and store its answer (reachable, version, privileges, warnings)."""
    result = _preflight(target)
    RealTarget.objects.filter(pk=target.pk).update(preflight=result, preflight_at=timezone.now())
    target.preflight, target.preflight_at = result, timezone.now()
    log.info("preflight of target %s (%s:%s): ok=%s", target.pk, target.host, target.port, result.get("ok"))
    return result


def _failed(problem: str) -> dict[str, Any]:
    return {"ok": False, "problems": [problem], "warnings": []}


def _preflight(target: RealTarget) -> dict[str, Any]:
    try:
        from grader.backends import TargetUnavailable, proxmox
    except ImportError:
        return _failed("The real-cluster backend is not installed on this server yet.")
    preflight = getattr(proxmox, "preflight", None)
    if preflight is None:
        return _failed("The preflight is not available on this server yet; grading will still check the target.")
    try:
        secret = crypto.decrypt(target.token_secret_encrypted)
    except crypto.SecretUnreadable as exc:
        return _failed(f"{exc}; register the target again.")
    try:
        answer = preflight(proxmox.TargetSpec.from_model(target, secret=secret))
    except TargetUnavailable as exc:  # refused before connecting, unreachable, TLS ...
        return _public(_failed(str(exc)), secret)
    return _public(answer, secret)


def _public(answer: Any, secret: str) -> dict[str, Any]:
    """The preflight answer as JSON with the secret scrubbed from every string, just in case."""
    data = answer.to_json() if hasattr(answer, "to_json") else dict(answer)

    def scrub(value: Any) -> Any:
        if isinstance(value, str):
            return value.replace(secret, "********") if secret else value
        if isinstance(value, list):
            return [scrub(v) for v in value]
        if isinstance(value, dict):
            return {k: scrub(v) for k, v in value.items()}
        return value

    return scrub(data)
