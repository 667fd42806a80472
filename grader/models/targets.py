"""Real Proxmox VE targets a student (or an instructor for a class) registers for a lab."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class RealTarget(models.Model):
    class TlsMode(models.TextChoices):
        VERIFY = "verify", "Verify the certificate (trusted CA)"
        PINNED = "pinned", "Pin the certificate's SHA-256 fingerprint"
        INSECURE = "insecure", "Do not verify (not recommended)"

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="real_targets")
    course = models.ForeignKey("courseware.Course", on_delete=models.CASCADE, related_name="real_targets")
    name = models.CharField(max_length=100)
    host = models.CharField(max_length=255)
    port = models.PositiveIntegerField(default=8006)
    token_id = models.CharField(max_length=200, help_text="USER@REALM!TOKENNAME")
    token_secret_encrypted = models.TextField(help_text="Fernet token; see grader/crypto.py. Never shown.")
    tls_mode = models.CharField(max_length=10, choices=TlsMode.choices, default=TlsMode.VERIFY)
    fingerprint = models.CharField(max_length=100, blank=True, help_text="SHA-256, hex with or without colons.")
    shared = models.BooleanField(default=False, help_text="An instructor's class target: every student of the "
                                 "course may have it graded (the secret stays hidden from them too).")
    preflight = models.JSONField(null=True, blank=True, help_text="Last preflight result (no secrets).")
    preflight_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["course", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.host}:{self.port})"

    @property
    def preflight_ok(self) -> bool:
        return bool(self.preflight and self.preflight.get("ok"))
