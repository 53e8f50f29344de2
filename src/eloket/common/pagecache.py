"""Whole pages kept in the shared cache for visitors who are not logged in.

A page that every such visitor sees alike (a forum topic read by hundreds) differs per
response only in its CSRF field: the token is masked anew for each answer (BREACH), and
it sets the visitor's CSRF cookie. So the page is stored with the field replaced by a
placeholder, and each answer puts a fresh field back (issue 11, point 11: the topic spent
most of its time rendering the same template for everyone).

Only for a visitor with no session and no pending messages (a flash message is theirs
alone, and a session means a log-in under way or a draft): anyone else gets the page
made for them. The caller names in the key everything the page is made of.

Two stores. `cached_page`/`page_store`: the shared cache, under a key that names the
data the page is made of exactly (the forum topic's row). `visitor_page`: each process
keeps the pages it made for such visitors for ELOKET_VISITOR_PAGE_SECONDS (10 s), keyed by
address, language and the municipality's configuration, whatever data they show: a
visitor who is not logged in may see a count or a list up to that long after it changed
(anyone logged in sees it at once). A page served from it costs no query and no
rendering: what remains is the middleware (ADR 0010, docs/performance.md).
"""

import hashlib
import re
import threading
import time
from collections.abc import Callable, Hashable
from typing import Any, NamedTuple

from cachetools import TLRUCache
from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils.html import format_html

PLACEHOLDER = "\x00eloket-csrf-field\x00"
# What rendering notes on the request for the middleware that runs after the view (the
# host chrome's stylesheets for the Content-Security-Policy, web/middleware.py): kept with
# the page and noted again when it is served. Apps name theirs at start-up.
_request_notes: set[str] = set()


def note_request_attributes(*names: str) -> None:
    _request_notes.update(names)


_CSRF_FIELD = re.compile(r'<input type="hidden" name="csrfmiddlewaretoken" value="[^"<>]*">')


def for_anonymous_visitor(request: HttpRequest) -> bool:
    """May this request get (and make) a page shared by every visitor?"""
    return (
        request.method == "GET"
        and not request.user.is_authenticated
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and CookieStorage.cookie_name not in request.COOKIES
    )


def without_messages(request: HttpRequest) -> bool:
    """A GET with no flash message waiting (in the cookie, or in the session where the
    cookie had no room): the page would be the same as the last one made for this key."""
    if request.method != "GET" or CookieStorage.cookie_name in request.COOKIES:
        return False
    session = getattr(request, "session", None)
    return session is None or "_messages" not in session


def page_key(prefix: str, *made_of: Any) -> str:
    """A cache key for a page made of `made_of` (each part's repr counts)."""
    return f"{prefix}:{hashlib.blake2b(repr(made_of).encode(), digest_size=20).hexdigest()}"


def cached_page(request: HttpRequest, key: str) -> HttpResponse | None:
    """The stored page under `key` with this response's own CSRF field, or None."""
    stored: tuple[str, dict[str, Any]] | None = cache.get(key)
    if stored is None:
        return None
    html, notes = stored
    for name, value in notes.items():
        setattr(request, name, value)
    field = format_html(
        '<input type="hidden" name="csrfmiddlewaretoken" value="{}">', get_token(request)
    )
    return HttpResponse(html.replace(PLACEHOLDER, field))


def page_store(request: HttpRequest, key: str, response: HttpResponse, *, timeout: int) -> None:
    """Keep a freshly made page (a 200 of HTML) for the next visitors, without its token."""
    if response.status_code != 200 or response.streaming:
        return
    # A placeholder typed into the page's content (an opinion) must not become a field.
    html = response.content.decode(response.charset or "utf-8").replace(PLACEHOLDER, "")
    notes = {name: getattr(request, name) for name in _request_notes if hasattr(request, name)}
    cache.set(key, (_CSRF_FIELD.sub(PLACEHOLDER, html), notes), timeout=timeout)


class _Kept(NamedTuple):
    expires: float
    html: str
    status: int
    headers: list[tuple[str, str]]
    notes: dict[str, Any]


# Sized by the characters kept: at most ~16 MB of pages per process, the least recently
# served going first; each page leaves when its own time is up.
_kept: TLRUCache[Hashable, _Kept] = TLRUCache(
    maxsize=16 * 1024 * 1024,
    ttu=lambda _key, kept, _now: kept.expires,
    timer=time.monotonic,
    getsizeof=lambda kept: len(kept.html) + 200,
)
_kept_lock = threading.Lock()


def visitor_pages_clear() -> None:
    """Forget the pages this process keeps for visitors (tests; a deploy's warm-up)."""
    with _kept_lock:
        _kept.clear()


def visitor_page(
    request: HttpRequest, key: Hashable, make: Callable[[], HttpResponse]
) -> HttpResponse:
    """The page `make` answers, kept in this process for visitors who are not logged in
    under `key` plus the address (scheme, host, path and query), the language and the
    time zone. Anyone else, or with ELOKET_VISITOR_PAGE_SECONDS at 0, gets `make()`."""
    seconds = getattr(settings, "ELOKET_VISITOR_PAGE_SECONDS", 0)
    if seconds <= 0 or not for_anonymous_visitor(request):
        return make()
    from django.utils import timezone, translation

    full_key = (
        key,
        request.build_absolute_uri(),
        translation.get_language(),
        timezone.get_current_timezone_name(),
    )
    with _kept_lock:
        kept = _kept.get(full_key)
    if kept is not None:
        for name, value in kept.notes.items():
            setattr(request, name, value)
        html = kept.html
        if PLACEHOLDER in html:
            field = format_html(
                '<input type="hidden" name="csrfmiddlewaretoken" value="{}">', get_token(request)
            )
            html = html.replace(PLACEHOLDER, field)
        response = HttpResponse(html, status=kept.status)
        for header, value in kept.headers:
            response[header] = value
        return response
    response = make()
    # Only an HTML 200 the view made alone: no cookie of its own, not streamed.
    if (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and response.get("Content-Type", "").startswith("text/html")
    ):
        html = response.content.decode(response.charset or "utf-8").replace(PLACEHOLDER, "")
        notes = {name: getattr(request, name) for name in _request_notes if hasattr(request, name)}
        headers = [(h, v) for h, v in response.items() if h.lower() != "set-cookie"]
        kept = _Kept(
            time.monotonic() + seconds, _CSRF_FIELD.sub(PLACEHOLDER, html), 200, headers, notes
        )
        with _kept_lock:
            _kept[full_key] = kept
    return response
