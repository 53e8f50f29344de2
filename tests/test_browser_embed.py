"""The embed.js snippet in Debian's Chromium (issue 15, point 3; docs/embedding.md): a
municipal page of another origin pastes it, and the frame shows Eloket's page, as tall as
its content, following it as the visitor moves on inside the frame; log-in opens at the
top level. Without JavaScript the visitor gets the plain link. A page of an origin the
municipality did not name gets no Eloket page in its frame (frame-ancestors)."""

import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from test_browser import CHROMIUM, FLAGS, gent_demo  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
]

# Each host page listens on a free port the system picks (CI runs the suite twice side
# by side: fixed ports would collide); Eloket's live server is on another port, so each
# host page is of another origin than Eloket.

HOST_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>City of Ghent</title></head>
<body>
<header><h1>City of Ghent</h1><nav><a href="/">Home</a></nav></header>
<main>
<p>Our services online:</p>
<script src="{eloket}/embed.js" data-municipality="gent" data-page="{page}" async></script>
<a href="{eloket}/gent/{page}">E-loket of Ghent</a>
<p id="after">After the e-loket.</p>
</main>
</body></html>
"""


class HostPage:
    """A municipal page on loopback (a free port), with the snippet pasted in."""

    def __init__(self, eloket: str, page: str = "services/") -> None:
        body = HOST_PAGE.format(eloket=eloket, page=page).encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{port}/"
        self.origin = f"http://127.0.0.1:{port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def eloket(gent_demo, demo_idp):  # noqa: F811
    """Gent's demo (its catalogue, residents, the demo identity provider) on the live
    server; its address."""
    return demo_idp


@pytest.fixture
def named_host(eloket):
    host = HostPage(eloket)
    call_command("tenant", "frame", "gent", host.origin, stdout=StringIO())
    yield host
    host.stop()


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


def eloket_frame(page):
    frames = [frame for frame in page.frames if frame is not page.main_frame]
    assert len(frames) == 1
    return frames[0]


def heights(page) -> tuple[float, float]:
    """The iframe's height on the host page, and the height of the page inside it."""
    inner = eloket_frame(page).evaluate(
        "Math.ceil(document.documentElement.getBoundingClientRect().height)"
    )
    outer = page.locator("iframe").evaluate("f => f.getBoundingClientRect().height")
    return outer, inner


def wait_until(check, seconds: float = 5.0):
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def follow(page, inside, name: str, to: str) -> None:
    """Click the link `name` in the frame until the frame's address matches `to` (a
    regular expression). Chromium loses a click now and then while the host resizes the
    frame (about one run in ten on 2026-11-29: no request left the browser), as a
    visitor's click can be; the visitor clicks again, and so does this."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    link = inside.get_by_role("link", name=name, exact=True).first
    for _attempt in range(3):
        link.click()
        try:
            eloket_frame(page).wait_for_url(re.compile(to), timeout=3000)
            return
        except PlaywrightTimeout:
            continue
    raise AssertionError(f"the frame did not follow {name!r}: {eloket_frame(page).url}")


def fits(page) -> bool:
    """Within a few seconds, the iframe is as tall as the page inside it (to a pixel)."""

    def check() -> bool:
        outer, inner = heights(page)
        return abs(outer - inner) <= 1

    return wait_until(check)


def test_the_snippet_frames_the_page_and_sizes_it_to_its_content(
    eloket,
    named_host,
    browser,
    gent_demo,  # noqa: F811
):
    from playwright.sync_api import expect

    context = browser.new_context(locale="en-GB", viewport={"width": 1000, "height": 700})
    page = context.new_page()
    page.goto(named_host.url)
    frame = page.locator("iframe")
    expect(frame).to_be_visible()
    assert frame.get_attribute("title") == "E-loket of Ghent"
    assert frame.get_attribute("src") == f"{eloket}/gent/services/"
    # The plain link is replaced by the frame, where it stood.
    expect(page.get_by_role("link", name="E-loket of Ghent")).to_have_count(0)
    assert (
        page.locator("main > p#after").evaluate("p => p.previousElementSibling.tagName") == "IFRAME"
    )
    inside = page.frame_locator("iframe")
    expect(inside.get_by_role("heading", name="Services", level=1)).to_be_visible()
    # Sized to the content (not the 30em, 480 px, it starts with): no scroll bar inside.
    assert fits(page), heights(page)
    services_height = heights(page)[0]
    assert services_height != 480
    # The visitor moves on inside the frame: the frame follows the new page's height.
    follow(page, inside, "Home", r"/gent/$")
    expect(
        inside.get_by_role("heading", name=re.compile("Welcome to the e-counter"))
    ).to_be_visible()
    assert fits(page), heights(page)
    assert heights(page)[0] != services_height  # another height: the frame followed it
    # The log-in link opens at the top level, and comes back to the page it was on.
    login = inside.get_by_role("link", name="Log in", exact=True).first
    assert login.get_attribute("target") == "_top"
    assert login.evaluate("a => a.href").endswith("/gent/login/?next=%2Fgent%2F")
    # A step that needs log-in says so inside the frame, and goes on at the top level.
    follow(page, inside, "Services", r"/gent/services/$")
    follow(page, inside, "Household composition", r"/gent/(certificates/|login/)")
    expect(inside.get_by_role("heading", name="Log in to go on")).to_be_visible()
    assert fits(page), heights(page)
    inside.get_by_role("link", name="Continue on the e-counter's own page").click()
    page.wait_for_url(re.compile(r"/gent/login/\?next=/gent/certificates/"))
    page.get_by_role("link", name="Log in with eID").click()
    page.get_by_role("button", name=gent_demo["name"]).click()
    page.wait_for_url(re.compile(r"/gent/certificates/[^/]+/order$"))
    expect(page.get_by_label("Your e-mail address")).to_be_visible()
    context.close()


def test_without_javascript_the_visitor_gets_the_plain_link(eloket, named_host, browser):
    from playwright.sync_api import expect

    context = browser.new_context(locale="en-GB", java_script_enabled=False)
    page = context.new_page()
    page.goto(named_host.url)
    link = page.get_by_role("link", name="E-loket of Ghent")
    expect(link).to_be_visible()
    expect(page.locator("iframe")).to_have_count(0)
    link.click()
    page.wait_for_url(f"{eloket}/gent/services/")
    expect(page.get_by_role("heading", name="Services", level=1)).to_be_visible()
    context.close()


@pytest.fixture(params=["not named", "named, the log-in page"])
def refused_host(request, eloket, named_host):
    """A site the municipality did not name; a named one that pastes the log-in page
    (never framed). Set up before the browser starts (the command uses the database)."""
    if request.param == "not named":
        host = HostPage(eloket)
    else:
        host = HostPage(eloket, page="login/")
        call_command("tenant", "frame", "gent", named_host.origin, host.origin, stdout=StringIO())
    yield host
    host.stop()


def test_a_site_not_named_and_the_log_in_page_cannot_be_framed(eloket, refused_host, browser):
    from playwright.sync_api import expect

    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.goto(refused_host.url, wait_until="load")
    frame = page.locator("iframe")
    expect(frame).to_be_visible()  # embed.js ran; the browser refuses what it frames
    refused = wait_until(
        lambda: any("frame-ancestors" in t or "X-Frame-Options" in t for t in console)
    )
    assert refused, console
    child = eloket_frame(page)
    assert not child.url.startswith(eloket), child.url  # Chromium's error page instead
    expect(page.frame_locator("iframe").get_by_role("heading")).to_have_count(0)
    # Not resized: no Eloket page in it to say its height.
    assert frame.evaluate("f => f.getBoundingClientRect().height") == 480
    context.close()
