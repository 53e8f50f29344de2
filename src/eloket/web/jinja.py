"""The Jinja2 environment of Eloket's pages (ADR 0003).

Pages use Jinja2 rather than Django's template language because it renders the same page
several times faster (benchmarks/pages.py). The environment offers what templates need:
`_()` / `ngettext()` bound to Django's translations (new-style, so arguments are escaped),
`turl()` for links inside the current municipality, `url()`, `static()` and a few filters.
"""

import datetime as dt
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.templatetags.static import static
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.timezone import localtime
from jinja2 import Environment, pass_context, select_autoescape

from eloket.register.labels import country_name, format_national_id
from eloket.register.models import DataCategory
from eloket.tenants.links import tenant_reverse


def data_label(code: str) -> str:
    return str(dict(DataCategory.choices).get(code, code))


@pass_context
def turl(context: Any, name: str, **kwargs: Any) -> str:
    return tenant_reverse(context["request"], name, **kwargs)


def url(name: str, *args: Any, **kwargs: Any) -> str:
    return reverse(name, args=args or None, kwargs=kwargs or None)


DAY_FORMATS = frozenset({"DATE_FORMAT", "SHORT_DATE_FORMAT"})


@lru_cache(maxsize=4096)
def _day_text(day: dt.date, language: str | None, format_name: str) -> str:
    # `language` is the active one (part of the key only): a page lists many items of the
    # same few days, and formatting a date costs more than the rest of such an item.
    return str(formats.date_format(day, format_name))


def date_filter(value: Any, format_name: str = "DATE_FORMAT") -> str:
    """A date or datetime in the active language's format ("DATE_FORMAT", "DATETIME_FORMAT"...)."""
    if value is None or value == "":
        return ""
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        value = localtime(value)
    if format_name in DAY_FORMATS and isinstance(value, dt.date):
        day = value.date() if isinstance(value, dt.datetime) else value
        return _day_text(day, translation.get_language(), format_name)
    return str(formats.date_format(value, format_name))


def language_name(code: str) -> str:
    """A language's own name ("Nederlands" for nl), or the code when unknown."""
    return dict(settings.LANGUAGES).get(code, code)


def environment(**options: Any) -> Environment:
    options.setdefault("extensions", []).append("jinja2.ext.i18n")
    # Pages are escaped; plain-text e-mails (`.txt`) are not.
    options["autoescape"] = select_autoescape(("html", "xml"), default_for_string=True)
    env = Environment(**options)  # noqa: S701 (autoescape is on)  # nosec B701
    env.install_gettext_callables(  # type: ignore[attr-defined]
        translation.gettext,
        translation.ngettext,
        newstyle=True,
        pgettext=translation.pgettext,
        npgettext=translation.npgettext,
    )
    env.globals.update(
        {
            "turl": turl,
            "url": url,
            "static": static,
            "now": timezone.now,
            "format_nn": lambda person: format_national_id(person.national_id, person.country),
            "country_name": country_name,
            "data_label": data_label,
            "language_name": language_name,
        }
    )
    env.filters.update({"date": date_filter, "filesize": filesizeformat})
    return env
