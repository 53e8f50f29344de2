"""Eloket settings: one module, configured from the environment.

`ELOKET_ENV` selects the profile: `development` (the default, also what `make run` uses
with `ELOKET_DEMO=1`) or `production`. Tests use `eloket.conf.test`, which builds on this.
See docs/configuration.md for every variable.
"""

import importlib.util
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from eloket.conf.env import env_bool, env_int, env_list, env_str

# src/eloket/conf/settings.py -> the project directory (holds var/, the SQLite file).
BASE_DIR = Path(env_str("ELOKET_HOME") or Path(__file__).resolve().parents[3])
VAR_DIR = BASE_DIR / "var"

ELOKET_ENV = env_str("ELOKET_ENV", "development").strip().lower()
if ELOKET_ENV not in {"development", "production"}:
    raise ImproperlyConfigured(
        f"ELOKET_ENV must be 'development' or 'production', not {ELOKET_ENV!r}"
    )
PRODUCTION = ELOKET_ENV == "production"

# Demo mode: demo data, demo identities (and tokens for them). `make run` turns it on. A
# production server with it would hand out tokens for demo accounts: it refuses to start.
ELOKET_DEMO = env_bool("ELOKET_DEMO", False)
# How often a municipality's template page (its own chrome, docs/embedding.md) is fetched again.
ELOKET_CHROME_REFRESH_MINUTES = env_int("ELOKET_CHROME_REFRESH_MINUTES", 60)
if PRODUCTION and ELOKET_DEMO:
    raise ImproperlyConfigured(
        "ELOKET_DEMO is set with ELOKET_ENV=production: demo mode (fictitious residents, demo "
        "identities and tokens) never runs in production. Unset ELOKET_DEMO."
    )
DEBUG = env_bool("ELOKET_DEBUG", False)


def _development_secret_key() -> str:
    """A random key kept in var/ so that sessions survive a restart of `make run`."""
    key_file = VAR_DIR / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set when ELOKET_ENV=production")
    SECRET_KEY = _development_secret_key()

if PRODUCTION:
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("ALLOWED_HOSTS must be set when ELOKET_ENV=production")
else:
    # `.localhost` lets the demo reach municipalities by host name (gent.localhost:8000).
    ALLOWED_HOSTS = env_list(
        "ALLOWED_HOSTS", ["127.0.0.1", "localhost", ".localhost", "[::1]", "testserver"]
    )

# Base URL printed by commands (e.g. `eloket tenant create`) and used outside requests;
# `PORT=8080 make run` moves it along with the server. `eloket run` notes the address it
# serves on in var/base_url, so that a command typed in another shell (where PORT is not
# set) prints the running server's addresses, not port 8000's (issue 11).
BASE_URL_NOTE = VAR_DIR / "base_url"


def base_url_from_environment(note: Path | None) -> str:
    explicit = env_str("ELOKET_BASE_URL")
    if explicit:
        return explicit.rstrip("/")
    if env_str("PORT").strip():
        return f"http://127.0.0.1:{env_int('PORT', 8000)}"
    if note is not None and note.is_file():
        noted = note.read_text().strip().rstrip("/")
        if noted.startswith(("http://", "https://")):
            return noted
    return "http://127.0.0.1:8000"


ELOKET_BASE_URL = base_url_from_environment(None if PRODUCTION else BASE_URL_NOTE)

INSTALLED_APPS = [
    # The admin behind the officers' two-step login, scoped per municipality.
    "eloket.identity.admin_config.EloketAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks_db",
    "ninja",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "oauth2_provider",
    "eloket.common",
    "eloket.tenants",
    "eloket.audit",
    "eloket.outbox",
    "eloket.register",
    "eloket.identity",
    "eloket.cases",
    "eloket.attachments",
    "eloket.documents",
    "eloket.certificates",
    "eloket.services",
    "eloket.approvals",
    "eloket.notifications",
    "eloket.forum",
    "eloket.petitions",
    "eloket.inquiries",
    "eloket.messaging",
    "eloket.backoffice",
    "eloket.web",
    "eloket.api",
    "eloket.demo",
    "eloket.ops",
]

MIDDLEWARE = [
    # Outermost: the request id (X-Request-ID) and the request metrics (docs/operations.md).
    "eloket.ops.middleware.ObservabilityMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before anything reads the database (the session, the tenant): a GET's reads may
    # come from the replica when there is one (common/dbrouter.py).
    "eloket.common.dbrouter.ReplicaReadsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "eloket.tenants.middleware.TenantMiddleware",
    "eloket.tenants.middleware.TenantLanguageMiddleware",
    # Before the CSRF check, which reads a form's body: the view's upload limit first.
    "eloket.web.middleware.UploadLimitMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "eloket.identity.middleware.SessionExpiryMiddleware",
    "eloket.identity.middleware.CitizenScopeMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # After the CSP middleware: a municipality's named sites may frame its citizen pages.
    "eloket.web.middleware.FrameAncestorsMiddleware",
    # After the CSP middleware: widens the policy of a page served in a host's chrome.
    "eloket.web.middleware.HostChromeCspMiddleware",
]

ROOT_URLCONF = "eloket.conf.urls"
WSGI_APPLICATION = "eloket.conf.wsgi.application"

TEMPLATES = [
    {
        # Eloket's own pages (`<app>/jinja2/`): Jinja2 renders them several times faster
        # than Django's template language (ADR 0003). The admin keeps Django templates.
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "environment": "eloket.web.jinja.environment",
            "context_processors": [
                "django.template.context_processors.csp",
                "django.contrib.messages.context_processors.messages",
                "eloket.web.context_processors.platform",
            ],
        },
    },
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "eloket.web.context_processors.platform",
            ],
        },
    },
]

# --- Database: DATABASE_URL, else the SQLite file that `make run` serves.
VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'eloket.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several web threads and the task worker write to one file: take the write lock at
    # the start of a transaction and wait for it, and let readers go on during writes.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
# A PostgreSQL streaming replica for the reads of read-only requests (docs/scaling.md,
# common/dbrouter.py): its URL, whether reads go there, and how long a browser that has
# just sent a form keeps reading from the primary (more than the replica's lag).
ELOKET_REPLICA_URL = env_str("ELOKET_REPLICA_URL")
ELOKET_READ_REPLICA = bool(ELOKET_REPLICA_URL) and env_bool("ELOKET_READ_REPLICA", True)
ELOKET_REPLICA_PIN_SECONDS = env_int("ELOKET_REPLICA_PIN_SECONDS", 10)
DATABASE_ROUTERS: list[str] = []
if ELOKET_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(
        ELOKET_REPLICA_URL,
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
    DATABASE_ROUTERS = ["eloket.common.dbrouter.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache: Redis when REDIS_URL is set (shared by all web nodes), else local memory.
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            # Django's Redis cache that a stopped Redis does not take down (common/cache.py).
            "BACKEND": "eloket.common.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            # Several platforms (or a test run) may share one Redis: each its own prefix.
            "KEY_PREFIX": env_str("ELOKET_CACHE_PREFIX", "eloket"),
            # A Redis that hangs must not hold a page: give up on it quickly.
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Background work: django.tasks with the database backend (`eloket db_worker`).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# --- Languages: the platform's; each municipality offers a subset.
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("nl", "Nederlands"),
    ("fr", "Français"),
    ("de", "Deutsch"),
    ("en", "English"),
    ("ko", "한국어"),
]
LOCALE_PATHS = [Path(__file__).resolve().parents[1] / "locale"]
LANGUAGE_COOKIE_NAME = "eloket_language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = env_str("TIME_ZONE", "Europe/Brussels")
USE_I18N = True
USE_TZ = True

# --- Static files: served by WhiteNoise from the web process, compressed and hashed
# in production (after `eloket collectstatic`), straight from the apps otherwise.
STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT") or VAR_DIR / "static")
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_MAX_AGE = 365 * 24 * 3600 if PRODUCTION else 60
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns when it is missing
MEDIA_ROOT = Path(env_str("MEDIA_ROOT") or VAR_DIR / "media")

# --- Files kept outside the database: the media files (the "default" storage) and the
# attachments (files citizens and officers send with a request, and with an objection:
# docs/attachments.md). Sealed documents, approval PDFs, logos and messages are rows in the
# database (docs/adr/0014-s3-compatible-storage.md). Attachments are private, never under
# MEDIA_URL or any public address: only the attachments views serve them, to the applicant
# and the officers who handle the request. Local directories by default (var/media,
# var/attachments: one directory shared by every node of one machine, or a network mount);
# an S3-compatible bucket when ELOKET_S3_BUCKET is set, for every node of every machine
# (needs the s3 extra: pip install 'eloket[s3]'). The older ELOKET_ATTACHMENTS_S3_* names
# still put the attachments alone in a bucket; each of them overrides its ELOKET_S3_* twin.
ELOKET_ATTACHMENTS_ROOT = Path(env_str("ELOKET_ATTACHMENTS_ROOT") or VAR_DIR / "attachments")


def _s3(name: str, default: str = "") -> str:
    return env_str(f"ELOKET_ATTACHMENTS_S3_{name}") or env_str(f"ELOKET_S3_{name}", default)


ELOKET_S3_BUCKET = env_str("ELOKET_S3_BUCKET")
ELOKET_ATTACHMENTS_S3_BUCKET = env_str("ELOKET_ATTACHMENTS_S3_BUCKET") or ELOKET_S3_BUCKET
if ELOKET_ATTACHMENTS_S3_BUCKET and importlib.util.find_spec("storages") is None:
    raise ImproperlyConfigured(
        "ELOKET_S3_BUCKET (or ELOKET_ATTACHMENTS_S3_BUCKET) is set but django-storages is not "
        "installed: install Eloket with its s3 extra (pip install 'eloket[s3]')."
    )
ELOKET_S3_ADDRESSING_STYLE = env_str("ELOKET_S3_ADDRESSING_STYLE").strip().lower() or None
if ELOKET_S3_ADDRESSING_STYLE not in (None, "auto", "path", "virtual"):
    raise ImproperlyConfigured(
        "ELOKET_S3_ADDRESSING_STYLE must be 'path', 'virtual' or 'auto', "
        f"not {ELOKET_S3_ADDRESSING_STYLE!r}"
    )


def _s3_storage(bucket: str, location: str, value: Callable[..., str]) -> dict[str, Any]:
    """A private bucket (common/storage.py): objects written with the private ACL, no
    address of the bucket ever handed out; the views stream the files after their checks."""
    return {
        "BACKEND": "eloket.common.storage.PrivateS3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "location": location,
            "endpoint_url": value("ENDPOINT_URL") or None,
            "region_name": value("REGION") or None,
            "access_key": value("ACCESS_KEY_ID") or None,
            "secret_key": value("SECRET_ACCESS_KEY") or None,
            "addressing_style": ELOKET_S3_ADDRESSING_STYLE,
        },
    }


ELOKET_ATTACHMENTS_S3_PREFIX = env_str("ELOKET_ATTACHMENTS_S3_PREFIX", "attachments")
ELOKET_S3_MEDIA_PREFIX = env_str("ELOKET_S3_MEDIA_PREFIX", "media")
if ELOKET_S3_BUCKET == ELOKET_ATTACHMENTS_S3_BUCKET != "" and ELOKET_S3_MEDIA_PREFIX.strip(
    "/"
) == ELOKET_ATTACHMENTS_S3_PREFIX.strip("/"):
    raise ImproperlyConfigured(
        "ELOKET_S3_MEDIA_PREFIX and ELOKET_ATTACHMENTS_S3_PREFIX name the same folder of the "
        "bucket: the media and the attachments each need their own."
    )
if ELOKET_ATTACHMENTS_S3_BUCKET:
    STORAGES["attachments"] = _s3_storage(
        ELOKET_ATTACHMENTS_S3_BUCKET, ELOKET_ATTACHMENTS_S3_PREFIX, _s3
    )
else:
    STORAGES["attachments"] = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "location": str(ELOKET_ATTACHMENTS_ROOT),
            # An address no URL pattern serves: .url() of an attachment leads nowhere.
            "base_url": "/attachments-are-not-public/",
            "directory_permissions_mode": 0o700,
            "file_permissions_mode": 0o600,
        },
    }
if ELOKET_S3_BUCKET:
    STORAGES["default"] = _s3_storage(
        ELOKET_S3_BUCKET,
        ELOKET_S3_MEDIA_PREFIX,
        lambda name, default="": env_str(f"ELOKET_S3_{name}", default),
    )
# What one request may upload to the attachment forms and endpoints (all its files
# together; each file's own limit is its question's), and how long the files of a form
# draft nobody submits are kept.
ELOKET_ATTACHMENTS_UPLOAD_MAX_BYTES = env_int(
    "ELOKET_ATTACHMENTS_UPLOAD_MAX_BYTES", 60 * 1024 * 1024
)
# A safety net behind the services' expired-drafts job, which removes a draft's files with
# the draft: files of a draft that no longer exists, by the age of their last upload.
ELOKET_ATTACHMENTS_DRAFT_DAYS = env_int(
    "ELOKET_ATTACHMENTS_DRAFT_DAYS", env_int("ELOKET_DRAFT_DAYS", 30) + 30
)
MEDIA_URL = "/media/"
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Uploads are counted while they arrive and refused (413) once their files pass the limit,
# before they are stored whole (common/uploads.py): ELOKET_UPLOAD_MAX_BYTES everywhere (a
# PDF to verify, a topic's attachment, a raw body), ELOKET_POLIS_UPLOAD_MAX_BYTES for the
# Polis imports; a zip's unpacked members together at most ELOKET_POLIS_UNPACKED_MAX_BYTES;
# ELOKET_REGISTER_UPLOAD_MAX_BYTES for a register file sent through the admin (the command
# line takes 50 MB).
# Pages the same for every visitor who is not logged in (home, catalogue, forum, petitions,
# the verification form) are kept per process this long (common/pagecache.py): such a
# visitor may see a count or list this many seconds late; 0 keeps none.
ELOKET_VISITOR_PAGE_SECONDS = env_int("ELOKET_VISITOR_PAGE_SECONDS", 10)
ELOKET_UPLOAD_MAX_BYTES = env_int("ELOKET_UPLOAD_MAX_BYTES", 5 * 1024 * 1024)
ELOKET_POLIS_UPLOAD_MAX_BYTES = env_int("ELOKET_POLIS_UPLOAD_MAX_BYTES", 20 * 1024 * 1024)
ELOKET_REGISTER_UPLOAD_MAX_BYTES = env_int("ELOKET_REGISTER_UPLOAD_MAX_BYTES", 50 * 1024 * 1024)
ELOKET_POLIS_UNPACKED_MAX_BYTES = env_int("ELOKET_POLIS_UNPACKED_MAX_BYTES", 50 * 1024 * 1024)
FILE_UPLOAD_HANDLERS = [
    "eloket.common.uploads.BoundedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

# --- Security. A strict Content-Security-Policy everywhere, demo mode included: no
# inline script or style; branding is served as a stylesheet of the municipality's own.
SECURE_CSP: dict[str, list[str]] = {
    "default-src": [CSP.NONE],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "eloket.web.views.csrf_failure"

# --- Sessions and identity (docs/identity.md).
SESSION_COOKIE_NAME = "eloket_session"
# Django's database sessions, their read written out in SQL (identity/session_store.py).
SESSION_ENGINE = "eloket.identity.session_store"
# Django's ModelBackend with the session's user read in SQL (identity/backends.py).
AUTHENTICATION_BACKENDS = ["eloket.identity.backends.UserBackend"]
# A session ends after this long without a request, and in any case this long after login.
ELOKET_SESSION_IDLE_SECONDS = env_int("ELOKET_SESSION_IDLE_SECONDS", 30 * 60)
ELOKET_SESSION_ABSOLUTE_SECONDS = env_int("ELOKET_SESSION_ABSOLUTE_SECONDS", 12 * 3600)
SESSION_COOKIE_AGE = ELOKET_SESSION_ABSOLUTE_SECONDS
# API bearer tokens: how long a new one lives unless asked for less (days).
ELOKET_API_TOKEN_DAYS = env_int("ELOKET_API_TOKEN_DAYS", 30)
# A service form's draft is kept this long after it was last saved, then deleted with its
# files (a daily job).
ELOKET_DRAFT_DAYS = env_int("ELOKET_DRAFT_DAYS", 30)
# An officer's token stands in for the second factor: a working day at most.
ELOKET_OFFICER_TOKEN_HOURS = env_int("ELOKET_OFFICER_TOKEN_HOURS", 8)
# A status e-mail waits this long; steps in that time make one e-mail (notifications).
ELOKET_STATUS_EMAIL_QUIET_SECONDS = env_int("ELOKET_STATUS_EMAIL_QUIET_SECONDS", 30)
# Officer password and second-factor attempts: this many failures per account or address
# in the window lock further attempts for the rest of the window.
# Officers' logins: per account, this many free failures, then a wait that starts at
# ELOKET_LOGIN_BACKOFF_SECONDS and doubles up to ELOKET_LOGIN_WINDOW_SECONDS; per client
# address, ELOKET_LOGIN_ADDRESS_LIMIT failures per window.
ELOKET_LOGIN_MAX_FAILURES = env_int("ELOKET_LOGIN_MAX_FAILURES", 5)
ELOKET_LOGIN_BACKOFF_SECONDS = env_int("ELOKET_LOGIN_BACKOFF_SECONDS", 30)
ELOKET_LOGIN_WINDOW_SECONDS = env_int("ELOKET_LOGIN_WINDOW_SECONDS", 15 * 60)
ELOKET_LOGIN_ADDRESS_LIMIT = env_int("ELOKET_LOGIN_ADDRESS_LIMIT", 100)
# The reverse proxies whose X-Forwarded-For is believed (common/clients.py).
ELOKET_TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", [])
LOGIN_URL = "/auth/officer/login"
OTP_TOTP_ISSUER = "Eloket"
# The admin never shows an authenticator's secret (its key, configuration URL or QR code):
# whoever reads it could make an officer's codes. Officers enrol on their own page.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# Citizens' national eID through an OIDC federation (itsme, CSAM, FranceConnect,
# Keycloak-style brokers). A municipality may override any of these in the admin.
ELOKET_OIDC = {
    "issuer": env_str("OIDC_ISSUER").rstrip("/"),
    "client_id": env_str("OIDC_CLIENT_ID"),
    "client_secret": env_str("OIDC_CLIENT_SECRET"),
    "national_id_claim": env_str("OIDC_NATIONAL_ID_CLAIM", "national_number"),
    "scope": env_str("OIDC_SCOPE", "openid profile"),
}
# The federation: other issuers the operator trusts to vouch for national numbers (a
# municipality's override of the issuer must be one of these or the platform's own).
ELOKET_OIDC_ISSUERS = [issuer.rstrip("/") for issuer in env_list("OIDC_ISSUERS", [])]
# eID card login behind a TLS-terminating proxy that forwards the client certificate.
ELOKET_EID_CERT_HEADER = env_str("EID_CERT_HEADER", "X-SSL-Client-Cert")
ELOKET_EID_TRUSTED_PROXIES = env_list("EID_TRUSTED_PROXIES", [])
ELOKET_EID_CA_BUNDLE = env_str("EID_CA_BUNDLE")
ELOKET_EID_CRL_FILES = env_list("EID_CRL_FILES", [])

# The built-in demo identity provider (django-oauth-toolkit as an OIDC provider), mounted
# at /oidc/ and answering only in demo mode. `make run` wires the relying party to it.
ELOKET_DEMO_OIDC_CLIENT_ID = "eloket-demo"


def _demo_file(name: str, make: Callable[[], str]) -> str:
    path = VAR_DIR / name
    if path.exists():
        return path.read_text()
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    value = make()
    path.write_text(value)
    path.chmod(0o600)
    return value


def _new_rsa_key() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


ELOKET_DEMO_OIDC_CLIENT_SECRET = ""
OIDC_DEMO_PRIVATE_KEY = ""
if ELOKET_DEMO and not PRODUCTION:
    ELOKET_DEMO_OIDC_CLIENT_SECRET = _demo_file(
        "demo_oidc_client_secret", lambda: secrets.token_urlsafe(32)
    )
    OIDC_DEMO_PRIVATE_KEY = _demo_file("demo_idp_key.pem", _new_rsa_key)
    if not ELOKET_OIDC["issuer"]:
        ELOKET_OIDC.update(
            issuer=f"{ELOKET_BASE_URL}/oidc",
            client_id=ELOKET_DEMO_OIDC_CLIENT_ID,
            client_secret=ELOKET_DEMO_OIDC_CLIENT_SECRET,
        )
OAUTH2_PROVIDER = {
    "OIDC_ENABLED": True,
    "OIDC_RSA_PRIVATE_KEY": OIDC_DEMO_PRIVATE_KEY,
    "OIDC_ISS_ENDPOINT": f"{ELOKET_BASE_URL}/oidc",
    "PKCE_REQUIRED": True,
    "SCOPES": {"openid": "OpenID Connect", "profile": "Name"},
    "OAUTH2_VALIDATOR_CLASS": "eloket.identity.providers.demo_idp.DemoIdpValidator",
    "ACCESS_TOKEN_EXPIRE_SECONDS": 300,
    "ID_TOKEN_EXPIRE_SECONDS": 300,
    # Follow the OAuth 2.0 Security BCP (RFC 9700) in full. Only the demo, on loopback,
    # needs plain-http redirect URIs; in production the provider is never mounted anyway.
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"] if PRODUCTION else ["http", "https"],
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    **{
        f"COMPLIANT_BCP_RFC9700_{rule}": True
        for rule in (
            "IMPLICIT_GRANT",
            "PASSWORD_GRANT",
            "PKCE_METHOD",
            "ACCESS_TOKEN_TRANSPORT",
            "AUTHZ_RESPONSE_ISS",
            "TOKEN_STORAGE",
            "REFRESH_TOKEN",
            "REDIRECT_URI_MATCHING",
            "PKCE_REQUIRED",
        )
    },
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_SCHEME": PRODUCTION,
}

if PRODUCTION:
    # TLS ends at the reverse proxy, which tells us the original scheme.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # The __Host- prefix pins the cookies to this host name, over HTTPS, for the whole site.
    SESSION_COOKIE_NAME = "__Host-eloket_session"
    CSRF_COOKIE_NAME = "__Host-eloket_csrf"
    LANGUAGE_COOKIE_SECURE = True
    CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

SILENCED_SYSTEM_CHECKS = [
    # HSTS preload: being on the browsers' preload list is a commitment for the whole
    # domain that only the operator can make; SECURE_HSTS_PRELOAD=1 turns it on.
    "security.W021",
]

# --- Documents: seals and verification (docs/documents.md). In production the seal keys
# and the trust roots come from files outside the repository; `make run` makes a demo PKI
# under var/pki/.
ELOKET_SEAL_DIR = env_str("ELOKET_SEAL_DIR") or (
    "" if PRODUCTION else str(VAR_DIR / "pki" / "seals")
)
ELOKET_SEAL_PASSPHRASE = env_str("ELOKET_SEAL_PASSPHRASE")
# Officers' own signing keys and certificates for approval chains (issue 13), one
# directory per municipality; the seal passphrase opens encrypted ones.
ELOKET_OFFICER_KEY_DIR = env_str("ELOKET_OFFICER_KEY_DIR") or (
    "" if PRODUCTION else str(VAR_DIR / "pki" / "officers")
)
ELOKET_TRUST_ROOTS = env_str("ELOKET_TRUST_ROOTS") or (
    "" if PRODUCTION else str(VAR_DIR / "pki" / "root.cert.pem")
)
# An RFC 3161 time-stamping authority; when set, every seal carries its time-stamp.
ELOKET_TSA_URL = env_str("ELOKET_TSA_URL")
# Verification by code: look-ups per address and minute.
ELOKET_VERIFY_RATE = env_int("ELOKET_VERIFY_RATE", 30)
# A citizen's questions about someone else in a certificate order that may ask the
# national register (a relative's death extract): per citizen and hour, asked there or not.
ELOKET_RELATIVE_LOOKUP_RATE = env_int("ELOKET_RELATIVE_LOOKUP_RATE", 20)
# Verification by upload (a PDF's seal checked: far dearer): uploads per address and minute.
ELOKET_VERIFY_UPLOAD_RATE = env_int("ELOKET_VERIFY_UPLOAD_RATE", 10)
# The forum's analysis is the worker's: the first vote or opinion after a run waits this
# many seconds for the others, then one run takes them all in (forum/analysis_jobs.py).
ELOKET_FORUM_ANALYSIS_DELAY = env_int("ELOKET_FORUM_ANALYSIS_DELAY", 60)


# --- Messaging with the national registries (docs/messaging.md): Eloket's signing key and
# certificate, the registries' certificates it trusts, the registry's address. `make run`
# makes demo ones under var/pki/messaging/ and starts the registry peer beside the server.
ELOKET_MESSAGING_DIR = env_str("ELOKET_MESSAGING_DIR") or (
    "" if PRODUCTION else str(VAR_DIR / "pki" / "messaging")
)
ELOKET_MESSAGING_KEY = env_str("ELOKET_MESSAGING_KEY")  # default: <dir>/eloket.key.pem
ELOKET_MESSAGING_CERT = env_str("ELOKET_MESSAGING_CERT")  # default: <dir>/eloket.cert.pem
ELOKET_REGISTRY_CERTS = env_str("ELOKET_REGISTRY_CERTS")  # default: <dir>/registry.cert.pem
ELOKET_REGISTRY_URL = env_str("ELOKET_REGISTRY_URL")  # e.g. http://127.0.0.1:8201
ELOKET_MESSAGING_MAX_BYTES = env_int("ELOKET_MESSAGING_MAX_BYTES", 10 * 1024 * 1024)
ELOKET_REGISTRY_TIMEOUT = env_int("ELOKET_REGISTRY_TIMEOUT", 10)
# The RFC 3161 authority that time-stamps the message log's head once per batch (the
# periodic tick, every five minutes, when the log grew); default the documents' TSA.
ELOKET_MESSAGING_TSA_URL = env_str("ELOKET_MESSAGING_TSA_URL") or ELOKET_TSA_URL


# --- Checkpoints of the hash chains (docs/security.md): the access log's and the audit
# trail's heads, signed with a key that is not in the database and written to a directory
# outside it, so that a chain cut back, or deleted with its head, no longer passes
# `eloket audit verify`. In production both live where the database's users cannot write
# (another volume, storage that keeps what it is given); development keeps them in var/.
def _development_checkpoint_key() -> str:
    """An Ed25519 key in var/, made the first time (like `secret_key`)."""
    key_file = VAR_DIR / "checkpoint_key.pem"
    if not key_file.exists():
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        VAR_DIR.mkdir(parents=True, exist_ok=True)
        key_file.write_bytes(
            Ed25519PrivateKey.generate().private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        key_file.chmod(0o600)
    return str(key_file)


ELOKET_CHECKPOINT_DIR = env_str("ELOKET_CHECKPOINT_DIR") or (
    "" if PRODUCTION else str(VAR_DIR / "checkpoints")
)
ELOKET_CHECKPOINT_KEY = env_str("ELOKET_CHECKPOINT_KEY") or (
    "" if PRODUCTION else _development_checkpoint_key()
)
# Where only verification happens (an auditor's machine): the public key is enough.
ELOKET_CHECKPOINT_PUBLIC_KEY = env_str("ELOKET_CHECKPOINT_PUBLIC_KEY")
# The periodic job writes one when a chain grew and the last is at least this old.
ELOKET_CHECKPOINT_MINUTES = env_int("ELOKET_CHECKPOINT_MINUTES", 60)

# --- E-mail (Django 6.1 mailers): console in development, SMTP in production.
EMAIL_BACKEND_PATH = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
MAILERS = {"default": {"BACKEND": EMAIL_BACKEND_PATH, "OPTIONS": {}}}
if EMAIL_BACKEND_PATH.endswith("smtp.EmailBackend"):
    MAILERS["default"]["OPTIONS"] = {
        "host": env_str("EMAIL_HOST", "localhost"),
        "port": env_int("EMAIL_PORT", 25),
        "username": env_str("EMAIL_HOST_USER"),
        "password": env_str("EMAIL_HOST_PASSWORD"),
        "use_tls": env_bool("EMAIL_USE_TLS", False),
    }
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Eloket <no-reply@eloket.localhost>")

# --- Operations (docs/operations.md): /readyz's limits, who may read /metrics, the logs.
ELOKET_READYZ_HEARTBEAT_SECONDS = env_int("ELOKET_READYZ_HEARTBEAT_SECONDS", 15 * 60)
ELOKET_READYZ_QUEUE_MAX_AGE_SECONDS = env_int("ELOKET_READYZ_QUEUE_MAX_AGE_SECONDS", 10 * 60)
ELOKET_READYZ_QUEUE_MAX_DEPTH = env_int("ELOKET_READYZ_QUEUE_MAX_DEPTH", 10000)
# The storage check (a write, a read and a delete in each storage) is made again at most
# this often per process, however often /readyz is asked (ops/health.py).
ELOKET_READYZ_STORAGE_SECONDS = env_int("ELOKET_READYZ_STORAGE_SECONDS", 10)
ELOKET_METRICS_TOKEN = env_str("ELOKET_METRICS_TOKEN")
# `json` (one object a line, with the request id) or `plain`; JSON by default in production.
LOG_FORMAT = env_str("LOG_FORMAT", "json" if PRODUCTION else "plain").strip().lower()

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "eloket.common.observability.RequestIdFilter"}},
    "formatters": {
        "plain": {
            # Every line without national numbers, in any notation (issue 10).
            "()": "eloket.common.redaction.RedactingFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
        },
        "json": {
            "()": "eloket.common.observability.JsonFormatter",
            "format": "%(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": True,
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "plain",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # signxml logs every document it signs or checks at DEBUG: names, addresses, deaths
    # (national numbers are masked by the formatter, the rest is not): never.
    "loggers": {"django.db.backends": {"level": "WARNING"}, "signxml": {"level": "INFO"}},
}

# Seed of the deterministic demo data generator (same seed -> same people).
ELOKET_DEMO_SEED = env_int("ELOKET_DEMO_SEED", 20261122)
