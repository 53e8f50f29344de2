"""Light pages (issue 15, point 7): every citizen page, in Eloket's own chrome, weighs
under 50 KB with everything it loads from Eloket, runs no script and loads no web font.

The weighing is here; the pages are weighed by
`test_languages_pages.py::test_every_citizen_page_is_light_and_needs_no_script`, on the
demo data that module loads once (loading it again here would cost a minute): its crawl,
for a visitor and for a logged-in citizen, in each municipality's first language and in
Korean where offered (the heaviest text per character). A page's
weight is the HTML plus every same-origin stylesheet, icon, image and font it loads,
stylesheets' own `url()` and `@import` included, each counted once per page as a browser
with an empty cache would fetch them. Bytes are counted uncompressed: stricter than what
travels with gzip or Brotli, and independent of the server in front. Host chrome is out of
scope (a host's header and footer are the host's weight).
"""

import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders

BUDGET = 50 * 1024
SAME_ORIGIN = ("", "testserver")
FONT = re.compile(r"\.(woff2?|ttf|otf|eot)$", re.IGNORECASE)
CSS_URL = re.compile(
    r"""@import\s+(?:url\()?\s*["']?([^"')\s;]+)|url\(\s*["']?([^"')]+)["']?\s*\)"""
)
LOADED_LINKS = {"stylesheet", "icon", "shortcut", "apple-touch-icon", "preload", "manifest"}


class Loads(HTMLParser):
    """What a page makes the browser fetch, and any script in it."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []
        self.scripts: list[str] = []

    def handle_starttag(self, tag, attrs):
        values = {name: value or "" for name, value in attrs}
        if tag == "script":
            self.scripts.append(f"<script{' src=' + values['src'] if 'src' in values else ''}>")
        handlers = [name for name in values if name.startswith("on")]
        if handlers:
            self.scripts.append(f"<{tag} {handlers[0]}=…>")
        if any(v.strip().lower().startswith("javascript:") for v in values.values()):
            self.scripts.append(f"<{tag} …javascript:…>")
        if tag == "link" and LOADED_LINKS & set(values.get("rel", "").lower().split()):
            self.urls.append(values.get("href", ""))
        if tag in ("img", "source", "video", "audio", "input", "embed", "iframe"):
            self.urls.append(values.get("src", ""))
            self.urls.append(values.get("poster", ""))
            # Every candidate of a srcset (stricter than the one a browser picks).
            for candidate in values.get("srcset", "").split(","):
                self.urls.append(candidate.strip().split(" ")[0])

    handle_startendtag = handle_starttag


def body_of(client, url, cache):
    """The bytes behind a same-origin URL: static files from the finders (the test client
    goes through no static file server), everything else through the application."""
    if url not in cache:
        path = urlsplit(url).path
        if path.startswith(settings.STATIC_URL):
            found = finders.find(path[len(settings.STATIC_URL) :])
            assert found, f"{url} is not a static file"
            with open(found, "rb") as file:
                cache[url] = file.read()
        else:
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            cache[url] = (
                b"".join(response.streaming_content)
                if response.streaming
                else bytes(response.content)
            )
    return cache[url]


def weigh(client, page, html, cache):
    """(bytes, what was loaded, problems) of one page."""
    parser = Loads()
    parser.feed(html)
    problems = list(parser.scripts)
    loaded: dict[str, int] = {}
    queue = [urljoin(page, url.replace("&amp;", "&")) for url in parser.urls if url]
    while queue:
        url = queue.pop(0)
        if url in loaded or url.startswith("data:"):
            continue
        parts = urlsplit(url)
        if parts.netloc not in SAME_ORIGIN:
            problems.append(f"loads from another origin: {url}")
            continue
        local = parts.path + (f"?{parts.query}" if parts.query else "")
        body = body_of(client, local, cache)
        loaded[url] = len(body)
        if FONT.search(parts.path):
            problems.append(f"loads a web font: {url}")
        if parts.path.endswith(".css"):
            text = body.decode("utf-8", "replace")
            if "@font-face" in text:
                problems.append(f"{url} declares a web font (@font-face)")
            for imported, inside in CSS_URL.findall(text):
                queue.append(urljoin(url, imported or inside))
    total = len(html.encode()) + sum(loaded.values())
    return total, loaded, problems


def test_the_weighing_counts_stylesheets_their_urls_and_finds_scripts(client):
    """The check itself: what a page loads is counted, a script or a font is named."""
    cache = {
        "/static/a.css": b"x" * 100 + b"@font-face{src:url(f.woff2)}",
        "/static/f.woff2": b"f" * 1000,
    }
    html = (
        '<link rel="stylesheet" href="/static/a.css"><img src="data:image/png;base64,AA">'
        '<img src="https://elsewhere.example/x.png"><script>alert(1)</script>'
        '<button onclick="x()">x</button>'
    )
    total, loaded, problems = weigh(client, "/gent/", html, cache)
    assert loaded == {"/static/a.css": 128, "/static/f.woff2": 1000}
    assert total == len(html.encode()) + 1128
    assert any("<script>" in p for p in problems)
    assert any("onclick" in p for p in problems)
    assert any("another origin" in p for p in problems)
    assert any("web font" in p and "f.woff2" in p for p in problems)
    assert any("@font-face" in p for p in problems)
