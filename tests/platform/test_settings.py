"""Production settings refuse to start half-configured; check --deploy is clean when configured."""

from __future__ import annotations

import os
import subprocess
import sys

from cryptography.fernet import Fernet

from tests.conftest import ROOT

PRODUCTION_ENV = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": "k" * 20 + "-production-secret-for-tests-only-0123456789abcdef",
    "ALLOWED_HOSTS": "labs.example.edu",
    "DATABASE_URL": "postgres://ops3:secret@db.example.edu:5432/ops3",
    "CELERY_BROKER_URL": "redis://redis.example.edu:6379/0",
    "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
}


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items()
             if k not in PRODUCTION_ENV and k not in {"DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env={**clean, **env},
                          capture_output=True, text=True, timeout=120)


def test_production_without_a_secret_key_refuses_to_start_with_a_clear_message():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}

    result = _manage("check", env=env)

    assert result.returncode != 0
    assert "Refusing to start in production: SECRET_KEY must be set" in result.stderr


def test_production_names_every_missing_setting_at_once():
    result = _manage("check", env={"DJANGO_ENV": "production"})

    assert result.returncode != 0
    for name in ("SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "CELERY_BROKER_URL", "FIELD_ENCRYPTION_KEY"):
        assert name in result.stderr


def test_production_refuses_sqlite_and_a_file_broker():
    env = {**PRODUCTION_ENV, "DATABASE_URL": "sqlite:////tmp/x.db", "CELERY_BROKER_URL": "filesystem://"}

    result = _manage("check", env=env)

    assert "DATABASE_URL must point at PostgreSQL" in result.stderr
    assert "CELERY_BROKER_URL must point at Redis" in result.stderr


def test_check_deploy_has_no_warnings_in_production_settings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_a_malformed_boolean_is_named_in_the_error():
    result = _manage("check", env={"DEBUG": "maybe"})

    assert result.returncode != 0
    assert "DEBUG='maybe' is not a boolean" in result.stderr


def test_a_task_time_limit_above_the_visibility_timeout_is_refused():
    result = _manage("check", env={"CELERY_TASK_TIME_LIMIT": "4000", "CELERY_VISIBILITY_TIMEOUT": "3600"})

    assert result.returncode != 0
    assert "must be below CELERY_VISIBILITY_TIMEOUT" in result.stderr


def test_a_bad_field_encryption_key_is_a_system_check_error():
    result = _manage("check", env={"FIELD_ENCRYPTION_KEY": "not-a-fernet-key"})

    assert result.returncode != 0
    assert "grader.E001" in result.stderr


def test_pages_carry_a_content_security_policy(client):
    response = client.get("/accounts/login/")

    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"


def test_a_list_of_fernet_keys_is_accepted_for_key_rotation():
    keys = f"{Fernet.generate_key().decode()},{Fernet.generate_key().decode()}"

    result = _manage("check", env={"FIELD_ENCRYPTION_KEY": keys})

    assert result.returncode == 0, result.stderr
