"""Settings for the test suite: the environment's database (SQLite unless DATABASE_URL
is set), local-memory cache, tasks run at once, e-mail kept in memory."""

from eloket.conf.settings import *  # noqa: F403
from eloket.conf.settings import DATABASES, OAUTH2_PROVIDER, base_url_from_environment

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
ELOKET_DEMO = False
# Tests read a page right after changing what it shows: nothing kept for visitors, but in
# the tests of that store (tests/test_page_speed.py turns it on).
ELOKET_VISITOR_PAGE_SECONDS = 0
# Each test of /readyz sees the storage as it is now (tests/test_ops_health.py turns the
# window on to test it).
ELOKET_READYZ_STORAGE_SECONDS = 0
DEBUG = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not ":memory:": with an in-memory database Django hands the live server's
    # threads the test's own connection, and the browser tests then interleave statements of
    # two requests (the demo identity provider's back channel runs inside the login request)
    # on one connection, which failed about one full run in three. A file gives each thread
    # its own connection; WAL and an immediate write lock let them wait for each other.
    # Durability is not needed for a test database, hence synchronous=OFF.
    import os
    import tempfile

    DATABASES["default"]["TEST"] = {
        "NAME": os.path.join(tempfile.gettempdir(), f"eloket-test-{os.getpid()}.sqlite3")
    }
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF;",
    }
# The replica's door, on the same test database (a mirror): used by the tests of the read
# router only (tests/test_dbrouter.py turns ELOKET_READ_REPLICA on and names the database).
DATABASES["replica"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}
DATABASE_ROUTERS = ["eloket.common.dbrouter.ReplicaRouter"]
ELOKET_READ_REPLICA = False
LOGGING = {
    **LOGGING,  # noqa: F405
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django.tasks": {"level": "WARNING"},
        # 4xx paths are logged, as in production (and checked for national numbers).
        "django.request": {"level": "WARNING"},
        "signxml": {"level": "INFO"},  # as in production (settings.py says why)
    },
}
# No checkpoints unless a test asks for them (in its own directory, with its own key): the
# development ones in var/ belong to the database of `make run`.
ELOKET_CHECKPOINT_DIR = ""
# Status e-mails go at once in tests (one test sets a quiet time to see steps merged).
ELOKET_STATUS_EMAIL_QUIET_SECONDS = 0
# Not the address a `make run` in this checkout last noted in var/: tests see the same
# base URL wherever they run.
ELOKET_BASE_URL = base_url_from_environment(None)
OAUTH2_PROVIDER = {**OAUTH2_PROVIDER, "OIDC_ISS_ENDPOINT": f"{ELOKET_BASE_URL}/oidc"}
