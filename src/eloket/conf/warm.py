"""Do before the first request what it would otherwise do lazily, so that the first page a
person opens after `make run` is served as fast as the next ones (issue 11).

`eloket run` starts gunicorn with `--preload` and `ELOKET_WARM=1`: the application is loaded
and warmed once in the master, and the forked workers share it. What a first request
builds lazily: the URLconf (importing every view and API router), the Jinja2 environment
and every compiled template, the translation catalogues of every language, and the
middleware chain; a few real GETs through the handler take care of the rest.
"""

import logging
import time

logger = logging.getLogger(__name__)

# Pages every visitor of the demo opens first; answered in-process, nothing is written.
WARM_PATHS = ("/", "/healthz", "/verify/")


def warm_templates() -> int:
    from django.template import engines

    compiled = 0
    for engine in engines.all():
        env = getattr(engine, "env", None)  # Jinja2 backends
        if env is None or env.loader is None:
            continue
        for name in env.list_templates(extensions=("html", "txt", "xml", "svg")):
            try:
                env.get_template(name)
            except Exception:  # a template that does not compile is the page's error, later
                logger.debug("template %s did not compile while warming", name, exc_info=True)
                continue
            compiled += 1
    return compiled


def warm_translations() -> None:
    from django.conf import settings
    from django.utils import translation

    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            translation.gettext("Services")


def warm_requests() -> None:
    from django.conf import settings
    from django.db import connections
    from django.test import Client

    from eloket.tenants.models import Municipality

    # A host the settings allow (production lists its own): otherwise every GET is refused.
    hosts = [h.lstrip(".") for h in settings.ALLOWED_HOSTS if h and h != "*"]
    client = Client(raise_request_exception=False, HTTP_HOST=hosts[0] if hosts else "localhost")
    slugs = list(Municipality.objects.filter(is_active=True).values_list("slug", flat=True)[:3])
    for path in (
        *WARM_PATHS,
        *(f"/{slug}/" for slug in slugs),
        *(f"/{slug}/services/" for slug in slugs[:1]),
    ):
        client.get(path)
    # The master forks the workers next: none of them may share its database connection.
    connections.close_all()


def warm_imports() -> None:
    """The URLconf: every view and API router (pydantic schemas), seconds of imports.
    scikit-learn (similar opinions, when one is posted) is left to its first use: it
    takes longer to import than everything else together."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018


def warm() -> float:
    started = time.monotonic()
    warm_imports()
    warm_translations()
    warm_templates()
    warm_requests()
    return time.monotonic() - started
