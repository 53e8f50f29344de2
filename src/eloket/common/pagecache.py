"""Whole pages kept in the shared cache for visitors who are not logged in.

A page that every such visitor sees alike (a forum topic read by hundreds) differs per
response only in its CSRF field: the token is masked anew for each answer (BREACH), and
it sets the visitor's CSRF cookie. So the page is stored with the field replaced by a
placeholder, and each answer puts a fresh field back (issue 11, point 11: the topic spent
most of its time rendering the same template for everyone).

Only for a visitor with no session and no pending messages (a flash message is theirs
alone, and a session means a log-in under way or a draft): anyone else gets the page
made for them. The caller names in the key everything the page is made of.
"""

import hashlib
import re
from typing import Any

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
