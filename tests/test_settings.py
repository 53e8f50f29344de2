"""Production settings: `eloket check --deploy` passes, demo mode in production fails (issue 2)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

PRODUCTION = {
    "ELOKET_ENV": "production",
    "SECRET_KEY": "a-long-random-secret-key-for-the-deploy-check-0123456789-abcdefghijklmnop",
    "ALLOWED_HOSTS": "eloket.example.be",
    "DATABASE_URL": "postgres://eloket@127.0.0.1:5432/eloket",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}


def eloket(*args, **env):
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ELOKET_", "DJANGO_")) and k != "DATABASE_URL"
    }
    return subprocess.run(
        [sys.executable, "-m", "eloket", *args],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def anchored(tmp_path):
    """Checkpoints of the hash chains, with their key (issue 10, point 7)."""
    key = tmp_path / "keys" / "checkpoint_key.pem"
    key.parent.mkdir()
    key.write_bytes(
        Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return {
        "ELOKET_CHECKPOINT_DIR": str(tmp_path / "checkpoints"),
        "ELOKET_CHECKPOINT_KEY": str(key),
    }


def test_deploy_check_passes_in_production(anchored):
    result = eloket("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION, **anchored)
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_without_checkpoints_fails_the_deploy_check(anchored, tmp_path):
    """Issue 10 (7): without checkpoints outside the database, a chain cut back there passes
    `eloket audit verify`. The deploy check says so, and wants a key that can sign."""
    result = eloket("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode != 0 and "eloket.W003" in result.stdout + result.stderr
    no_key = {**anchored, "ELOKET_CHECKPOINT_KEY": str(tmp_path / "nowhere.pem")}
    result = eloket("check", "--deploy", **PRODUCTION, **no_key)
    assert result.returncode != 0 and "eloket.E006" in result.stdout + result.stderr
    (tmp_path / "checkpoints").mkdir()
    beside = tmp_path / "checkpoints" / "key.pem"
    beside.write_bytes(Path(anchored["ELOKET_CHECKPOINT_KEY"]).read_bytes())
    result = eloket(
        "check", "--deploy", **PRODUCTION, **{**anchored, "ELOKET_CHECKPOINT_KEY": str(beside)}
    )
    assert result.returncode != 0 and "eloket.E007" in result.stdout + result.stderr


def test_production_without_a_shared_cache_fails_the_deploy_check():
    """Issue 10 (2): login failures counted in each worker's memory let the real limit grow
    with the number of workers. Production without a shared cache does not pass."""
    without = {k: v for k, v in PRODUCTION.items() if k != "REDIS_URL"}
    result = eloket("check", "--deploy", **without)
    assert result.returncode != 0 and "eloket.E005" in result.stdout + result.stderr


@pytest.mark.parametrize("command", [("check", "--deploy"), ("run", "--no-worker"), ("migrate",)])
def test_demo_mode_in_production_refuses_to_start(command):
    """Issue 10 (5): with ELOKET_ENV=production and ELOKET_DEMO=1 the server started and
    handed out tokens for any officer name. Now nothing starts, and the message says why."""
    result = eloket(*command, **PRODUCTION, ELOKET_DEMO="1")
    assert result.returncode != 0
    assert "ELOKET_DEMO is set with ELOKET_ENV=production" in result.stderr


def test_production_requires_its_settings():
    result = eloket("check", ELOKET_ENV="production")
    assert result.returncode != 0 and "SECRET_KEY must be set" in result.stderr
    result = eloket("check", ELOKET_ENV="staging")
    assert result.returncode != 0 and "ELOKET_ENV must be" in result.stderr


def test_development_defaults_work_without_any_environment(tmp_path):
    result = eloket("check", ELOKET_HOME=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "var" / "secret_key").exists()


def test_access_log_redacts_national_numbers():
    from eloket.conf.gunicorn_logging import redact

    line = "GET /api/v1/m/gent/backoffice/persons/85073002536?purpose=x HTTP/1.1"
    assert "85073002536" not in redact(line) and "[national number]" in redact(line)
    assert "8404171355733" not in redact("/persons/8404171355733")
    assert redact("/gent/services/?page=12345") == "/gent/services/?page=12345"


def test_seal_keys_inside_the_repository_fail_the_deploy_check(tmp_path, anchored):
    inside = Path(__file__).resolve().parents[1] / "var" / "pki" / "seals"
    result = eloket(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        **PRODUCTION,
        **anchored,
        ELOKET_SEAL_DIR=str(inside),
    )
    assert result.returncode != 0 and "eloket.E004" in result.stdout + result.stderr
    outside = eloket(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        **PRODUCTION,
        **anchored,
        ELOKET_SEAL_DIR=str(tmp_path),
    )
    assert outside.returncode == 0, outside.stdout + outside.stderr
