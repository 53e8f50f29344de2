"""Eloket's pages inside a municipality's own web site (issue 15, point 1), in Debian's
Chromium with JavaScript off: a citizen orders a certificate and posts a forum opinion;
every page has the host's header and footer, not the host's script, Eloket's content in
the marked element, and links that stay inside. A host stylesheet that styles `a`,
`button`, `h1` and `form` broadly changes nothing of Eloket's controls, and Eloket's
stylesheet changes nothing of the host's page."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from hostsite import HostSite
from test_browser import AXE, CHROMIUM, FLAGS, axe_serious, gent_demo, login_citizen  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
]

PROPERTIES = [
    "color",
    "background-color",
    "font-family",
    "font-size",
    "font-weight",
    "letter-spacing",
    "text-transform",
    "line-height",
    "display",
    "margin-top",
    "margin-left",
    "padding-top",
    "padding-left",
    "border-top-style",
    "border-top-width",
]
ELOKET_CONTROLS = [
    "#eloket h1",
    "#eloket .eloket-nav a",
    "#eloket main a",
    "#eloket form.inline",
    "#eloket button.link",
]
HOST_ELEMENTS = [
    "body",
    ".site-header",
    ".site-logo",
    ".site-nav summary",
    ".mega > li > a",
    ".site-search button",
    ".site-search input",
    ".site-crumbs a",
    ".site-footer h2",
    ".site-footer a",
]


@pytest.fixture(scope="module")
def host_site():
    site = HostSite()
    yield site
    site.stop()


def chrome(*args):
    call_command("tenant", "chrome", *args, stdout=StringIO())


@pytest.fixture
def gent_in_chrome(gent_demo, host_site):  # noqa: F811
    chrome("gent", f"{host_site.base}/eloket.html")
    return gent_demo


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


def styles(page, selectors):
    return {
        selector: page.evaluate(
            """([selector, properties]) => {
                const element = document.querySelector(selector);
                if (!element) return null;
                const style = getComputedStyle(element);
                return Object.fromEntries(properties.map(p => [p, style.getPropertyValue(p)]));
            }""",
            [selector, PROPERTIES],
        )
        for selector in selectors
    }


def test_an_order_and_an_opinion_inside_the_host_chrome_without_javascript(
    gent_in_chrome, demo_idp, host_site, browser, monkeypatch
):
    base = demo_idp
    context = browser.new_context(locale="en-GB", java_script_enabled=False)
    page = context.new_page()
    seen: list[str] = []
    blocked: list[str] = []
    page.on("console", lambda message: blocked.append(message.text))

    def in_chrome():
        if "/gent/" not in page.url:
            return  # the identity provider's pages are not the municipality's
        page.wait_for_load_state()
        seen.append(page.url)
        expect(page.locator(".site-header")).to_be_visible()
        expect(page.locator(".site-footer")).to_be_visible()
        assert page.locator("[data-eloket-content] > #eloket").count() == 1, page.url
        assert page.locator("[data-eloket-content] #main h1").count() == 1, page.url
        assert page.locator("script").count() == 0, page.url
        for href in page.locator("#eloket a[href]").evaluate_all("links => links.map(a => a.href)"):
            assert href.startswith(base + "/"), (page.url, href)
        # The host's stylesheet loaded under the page's CSP: its header is green.
        assert (
            page.locator(".site-header").evaluate("e => getComputedStyle(e).backgroundColor")
            == "rgb(11, 93, 75)"
        )

    login_citizen(page, base, gent_in_chrome["name"])
    in_chrome()
    page.goto(base + "/gent/services/")
    in_chrome()
    page.get_by_role("link", name="Household composition", exact=True).click()
    in_chrome()
    page.get_by_label("Your e-mail address").fill("jan@example.org")
    page.get_by_role("button", name="Next: check your order").click()
    in_chrome()
    page.get_by_role("button", name="Confirm the order").click()
    assert "/gent/orders/" in page.url
    in_chrome()
    assert page.locator(".status").first.inner_text() == "delivered"

    page.goto(base + "/gent/forum/")
    in_chrome()
    page.get_by_role("link", name="Een autovrije Korenmarkt en Veldstraat?").click()
    in_chrome()
    mine = "Laat de fietsenstallingen aan de Korenmarkt ook 's nachts open."
    page.get_by_label("Your opinion").fill(mine)
    page.get_by_role("button", name="Post my opinion").click()
    # The next page is either the opinion published or a warning that it repeats
    # an earlier one: wait until one of the two has loaded.
    anyway = page.get_by_role("button", name="Post anyway")
    expect(page.get_by_text("Your opinion is published.").or_(anyway)).to_be_visible()
    if anyway.count():
        in_chrome()
        page.get_by_role("button", name="Post anyway").click()
    in_chrome()
    expect(page.get_by_text("Your opinion is published.")).to_be_visible()
    assert len(seen) >= 9
    assert not [text for text in blocked if "Content Security Policy" in text]

    # No leakage into Eloket: a host stylesheet styling a, button, h1, form, input and
    # label broadly leaves Eloket's controls as they were.
    page.goto(base + "/gent/services/")
    calm = styles(page, ELOKET_CONTROLS)
    assert all(calm.values()), calm
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # the command, inside Playwright's loop
    chrome("gent", f"{host_site.base}/hostile.html")
    page.goto(base + "/gent/services/")
    assert (
        page.locator(".site-search button").evaluate("e => getComputedStyle(e).fontSize") == "31px"
    )
    assert styles(page, ELOKET_CONTROLS) == calm
    chrome("gent", f"{host_site.base}/eloket.html")

    # No leakage out of Eloket: the host's elements look as on the host's own page.
    page.goto(base + "/gent/services/")
    wrapped = styles(page, HOST_ELEMENTS)
    page.goto(host_site.base + "/eloket.html")
    assert styles(page, HOST_ELEMENTS) == wrapped
    context.close()


def test_the_last_good_chrome_is_served_while_the_host_is_down(
    gent_in_chrome, demo_idp, host_site, browser, monkeypatch
):
    from eloket.common.actors import Actor
    from eloket.tenants.models import Municipality
    from eloket.tenants.services import host_chrome_refresh

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # the browser fixture's loop runs
    gent = Municipality.objects.get(slug="gent")
    host_site.down = True
    try:
        assert not host_chrome_refresh(actor=Actor.system("test", gent), municipality=gent)
    finally:
        host_site.down = False
    context = browser.new_context(locale="en-GB", java_script_enabled=False)
    page = context.new_page()
    host_site.down = True
    try:
        page.goto(demo_idp + "/gent/")
        assert page.locator(".site-header").count() == 1
        assert page.locator("[data-eloket-content] > #eloket").count() == 1
    finally:
        host_site.down = False
    context.close()


@pytest.mark.skipif(not AXE.exists(), reason="axe-core is not installed (npm install)")
def test_pages_in_the_host_chrome_pass_axe(gent_in_chrome, demo_idp, browser):
    """The host's header and footer with Eloket's content: no serious or critical
    violation (duplicate landmarks, a second main, a skip link that goes nowhere...)."""
    context = browser.new_context(locale="en-GB", bypass_csp=True)
    page = context.new_page()
    for path in ("/gent/", "/gent/services/", "/gent/login/", "/gent/forum/"):
        page.goto(demo_idp + path)
        assert page.locator(".site-header").count() == 1, path
        assert axe_serious(page) == [], path
    context.close()
