import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eloket.conf.settings")
application = get_wsgi_application()

if os.environ.get("ELOKET_WARM") == "1":
    # `eloket run`: the first page is served warm (eloket.conf.warm).
    import logging

    from eloket.conf.warm import warm

    try:
        warm()
    except Exception:  # a page that fails to warm fails again, visibly, when asked for
        logging.getLogger("eloket.conf.warm").exception("warming the application failed")

# What is loaded now stays: out of the garbage collector's walks (eloket.conf.heap).
from eloket.conf.heap import freeze_loaded  # noqa: E402

freeze_loaded()
