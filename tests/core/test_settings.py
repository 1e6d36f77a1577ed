"""Settings fail closed outside the embedded mode and reject junk values."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def load_settings(**env):
    clean = {k: v for k, v in os.environ.items() if k not in {"CRM_MODE", "SECRET_KEY", "DATABASE_URL", "DEBUG"}}
    return subprocess.run(
        [sys.executable, "-c", "import pipeline_crm.settings as s; print(s.DEBUG, s.DATABASES['default']['ENGINE'])"],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_without_secret_key_refuses_to_start():
    result = load_settings(CRM_MODE="production", DATABASE_URL="postgres://x@localhost/x")
    assert result.returncode != 0
    assert "The environment variable SECRET_KEY is required" in result.stderr


def test_production_without_database_url_refuses_to_start():
    result = load_settings(CRM_MODE="production", SECRET_KEY="s" * 50)
    assert result.returncode != 0
    assert "DATABASE_URL is required" in result.stderr


def test_production_defaults_to_debug_off():
    result = load_settings(
        CRM_MODE="production",
        SECRET_KEY="s" * 50,
        DATABASE_URL="postgres://x@localhost/x",
        CACHE_URL="redis://localhost:6379/1",
        CELERY_BROKER_URL="redis://localhost:6379/0",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "django.db.backends.postgresql"]


def test_embedded_mode_runs_on_sqlite_with_debug():
    result = load_settings(CRM_MODE="embedded")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "django.db.backends.sqlite3"]


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("DEBUG", "maybe", "is not a boolean"),
        ("CRM_MODE", "staging", "use 'embedded' or 'production'"),
        ("LEADS_PHONE_REGION", "Germany", "is not a two-letter region code"),
    ],
)
def test_junk_values_are_refused(name, value, message):
    result = load_settings(**{"CRM_MODE": "embedded", name: value})
    assert result.returncode != 0
    assert message in result.stderr


def test_secret_can_come_from_a_file(tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("x" * 60 + "\n")
    result = subprocess.run(
        [sys.executable, "-c", "import pipeline_crm.settings as s; print(len(s.SECRET_KEY))"],
        cwd=ROOT,
        env={**os.environ, "CRM_MODE": "embedded", "SECRET_KEY_FILE": str(secret)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.strip() == "60"
