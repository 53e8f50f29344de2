"""Deployment checks of Eloket's own (run by `eloket check --deploy`)."""

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register


@register(Tags.security, deploy=True)
def check_production_profile(app_configs: Any, **kwargs: Any) -> list[Error | Warning]:
    problems: list[Error | Warning] = []
    if not settings.PRODUCTION:
        problems.append(
            Warning(
                "ELOKET_ENV is not 'production': development defaults are in force.",
                hint="Set ELOKET_ENV=production on a deployed server.",
                id="eloket.W001",
            )
        )
    csp = getattr(settings, "SECURE_CSP", {}) or {}
    script_src = [str(s) for s in csp.get("script-src", [])]
    if not csp or "'unsafe-inline'" in script_src or "'unsafe-eval'" in script_src:
        problems.append(
            Error(
                "The Content-Security-Policy is missing or allows inline or eval'd script.",
                id="eloket.E002",
            )
        )
    if "django.middleware.csp.ContentSecurityPolicyMiddleware" not in settings.MIDDLEWARE:
        problems.append(Error("The CSP middleware is not installed.", id="eloket.E003"))
    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        problems.append(
            Warning(
                "Production runs on SQLite.",
                hint="Set DATABASE_URL to a PostgreSQL database.",
                id="eloket.W002",
            )
        )
    cache_backend = str(settings.CACHES["default"]["BACKEND"])
    if settings.PRODUCTION and cache_backend.endswith(("LocMemCache", "DummyCache")):
        problems.append(
            Error(
                "Production runs without a shared cache: every web worker would count login "
                "failures and rate limits on its own (issue 10).",
                hint="Set REDIS_URL to the Redis (or Valkey) every web node shares.",
                id="eloket.E005",
            )
        )
    return problems


@register(Tags.security, deploy=True)
def check_seal_keys_outside_the_repository(app_configs: Any, **kwargs: Any) -> list[Error]:
    """Seal keys are loaded from configured files, never from the code's own tree."""
    from pathlib import Path

    problems: list[Error] = []
    repository = Path(__file__).resolve().parents[3]
    for name in ("ELOKET_SEAL_DIR", "ELOKET_OFFICER_KEY_DIR", "ELOKET_TRUST_ROOTS"):
        value = getattr(settings, name, "")
        if not value or not settings.PRODUCTION:
            continue
        path = Path(value).resolve()
        if path == repository or repository in path.parents:
            problems.append(
                Error(
                    f"{name} points inside the code's directory ({path}).",
                    hint="Keep seal keys and trust roots outside the repository and the package.",
                    id="eloket.E004",
                )
            )
    return problems


@register(Tags.security, deploy=True)
def check_checkpoints(app_configs: Any, **kwargs: Any) -> list[Error | Warning]:
    """The hash chains' heads are anchored outside the database (common/checkpoints.py),
    with a key that is neither in the database nor with the checkpoints."""
    from pathlib import Path

    from eloket.common.checkpoints import CheckpointError, verifying_key

    if not settings.PRODUCTION:
        return []
    if not settings.ELOKET_CHECKPOINT_DIR:
        return [
            Warning(
                "ELOKET_CHECKPOINT_DIR is not set: nothing outside the database holds the "
                "heads of the access log and the audit trail, so chains cut back or deleted "
                "there pass `eloket audit verify`.",
                hint="Set ELOKET_CHECKPOINT_DIR to a directory on other storage than the "
                "database, and ELOKET_CHECKPOINT_KEY to an Ed25519 key file "
                "(docs/security.md).",
                id="eloket.W003",
            )
        ]
    problems: list[Error | Warning] = []
    try:
        verifying_key()
    except CheckpointError as exc:
        problems.append(
            Error(
                f"Checkpoints cannot be signed: {exc}.",
                hint="openssl genpkey -algorithm ed25519 -out checkpoint_key.pem",
                id="eloket.E006",
            )
        )
    if settings.ELOKET_CHECKPOINT_KEY:
        key = Path(settings.ELOKET_CHECKPOINT_KEY).resolve()
        if Path(settings.ELOKET_CHECKPOINT_DIR).resolve() in key.parents:
            problems.append(
                Error(
                    "The checkpoint key is in the checkpoint directory: whoever can change the "
                    "checkpoints could sign new ones.",
                    id="eloket.E007",
                )
            )
    return problems


@register(Tags.security, deploy=True)
def check_s3_over_tls(app_configs: Any, **kwargs: Any) -> list[Warning]:
    """Files and the storage's credentials go to an S3-compatible storage (ELOKET_S3_*)
    over TLS unless it is on this machine (docs/scaling.md)."""
    from urllib.parse import urlsplit

    if not settings.PRODUCTION:
        return []
    problems: list[Warning] = []
    for alias, config in settings.STORAGES.items():
        endpoint = str((config.get("OPTIONS") or {}).get("endpoint_url") or "")
        parts = urlsplit(endpoint)
        if parts.scheme == "http" and parts.hostname not in ("127.0.0.1", "localhost", "::1"):
            problems.append(
                Warning(
                    f"The {alias} storage's S3 endpoint {parts.scheme}://{parts.netloc} is "
                    "not TLS: the files and the request signatures travel in the clear.",
                    hint="Use the storage's https:// address in ELOKET_S3_ENDPOINT_URL.",
                    id="eloket.W004",
                )
            )
    return problems
