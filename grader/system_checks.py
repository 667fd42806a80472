"""System checks for configuration mistakes (ids grader.E001...)."""

from __future__ import annotations

from cryptography.fernet import Fernet
from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security)
def field_encryption_key(app_configs, **kwargs) -> list[checks.CheckMessage]:
    # A comma-separated list rotates keys: the first encrypts, every one decrypts (grader/crypto.py).
    keys = [key.strip() for key in str(settings.FIELD_ENCRYPTION_KEY).split(",") if key.strip()]
    try:
        if not keys:
            raise ValueError("empty")
        for key in keys:
            Fernet(key)
    except (ValueError, TypeError):
        return [checks.Error("FIELD_ENCRYPTION_KEY is not a valid Fernet key (or comma-separated list of keys)",
                             hint="Generate one: python -c 'from cryptography.fernet import Fernet; "
                                  "print(Fernet.generate_key().decode())'", id="grader.E001")]
    return []


@checks.register()
def celery_limits(app_configs, **kwargs) -> list[checks.CheckMessage]:
    problems = []
    if settings.CELERY_RETRY_BACKOFF_MAX >= settings.CELERY_VISIBILITY_TIMEOUT:
        problems.append(checks.Error("retry backoff is not below the broker visibility timeout",
                                     id="grader.E002"))
    return problems
