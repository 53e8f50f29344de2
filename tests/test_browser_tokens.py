"""A municipality's design tokens as a person's browser applies them (issue 15, point 2):
Brugge's demo tokens file imported, its pages in Debian's Chromium take the colours,
radius, spacing and focus outline from the tokens, pass axe-core with no serious or
critical violation, and load under the strict Content-Security-Policy (no inline style);
inside a host's chrome the tokens style Eloket's content and nothing of the host's page."""

from pathlib import Path

import pytest

from hostsite import HostSite
from test_browser import AXE, CHROMIUM, FLAGS, axe_serious

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
    pytest.mark.skipif(not AXE.exists(), reason="axe-core is not installed (npm install)"),
]

TOKENS_FILE = Path(__file__).resolve().parents[1] / "src/eloket/demo/tokens/brugge.tokens.json"


def rgb(hex_colour: str) -> str:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


@pytest.fixture
def tokenised(transactional_db, live_server):
    """A municipality with the demo's tokens file and a panel colour of its own (before the
    browser starts: Playwright's sync API runs an event loop)."""
    from eloket.common.actors import Actor
    from eloket.tenants.services import (
        municipality_create,
        municipality_tokens_import,
        municipality_tokens_set,
    )

    town = municipality_create(
        actor=Actor.system("test"),
        slug="tokentown",
        names={"nl": "Tokenstad", "en": "Token Town"},
        country="BE",
        nis_code="99001",
        languages=["en", "nl"],
    )
    actor = Actor.system("test", town)
    municipality_tokens_import(actor=actor, municipality=town, content=TOKENS_FILE.read_bytes())
    municipality_tokens_set(
        actor=actor,
        municipality=town,
        values={"colour.secondary": "#fdf3e7", "colour.background": "#fffdf8"},
    )
    return {"base": live_server.url, "look": dict(town.look)}


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


def style(page, selector, *properties):
    return page.evaluate(
        """([selector, properties]) => {
            const style = getComputedStyle(document.querySelector(selector));
            return properties.map(p => style.getPropertyValue(p));
        }""",
        [selector, list(properties)],
    )


def test_a_tokenised_municipalitys_pages_use_its_tokens(tokenised, browser):
    base, look = tokenised["base"], tokenised["look"]
    assert look["colour.primary"] == "#a3232b" and look["radius"] == "0.5rem"
    csp_errors: list[str] = []
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    page.on(
        "console",
        lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.goto(base + "/tokentown/")
    assert style(page, "body", "background-color", "color") == [
        rgb(look["colour.background"]),
        rgb(look["colour.text"]),
    ]
    assert style(page, "header.site", "background-color", "color") == [
        rgb(look["colour.primary"]),
        rgb(look["colour.primary-text"]),
    ]
    assert style(page, ".card", "background-color", "border-top-left-radius", "padding-top") == [
        rgb(look["colour.secondary"]),
        "8px",  # 0.5rem
        "18px",  # the spacing unit, 1.125rem
    ]
    assert style(page, ".card a", "color") == [rgb(look["colour.link"])]
    assert style(page, "body", "font-family")[0].startswith("system-ui")
    # The keyboard's focus: the token's colour and width around the skip link.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    assert style(page, ".skip", "outline-color", "outline-width", "outline-style") == [
        rgb(look["colour.focus"]),
        "3px",
        "solid",
    ]
    assert csp_errors == []
    context.close()
    # axe-core is injected: only for the check, the pages keep their strict policy.
    checked = browser.new_context(bypass_csp=True, locale="en-GB")
    page = checked.new_page()
    for path in ("/tokentown/", "/tokentown/services/", "/tokentown/login/"):
        page.goto(base + path)
        assert axe_serious(page) == [], path
    checked.close()


@pytest.fixture
def tokenised_in_chrome(tokenised):
    """The same municipality served inside the demo's sample municipal site (before the
    browser starts)."""
    from io import StringIO

    from django.core.management import call_command

    site = HostSite()
    call_command("tenant", "chrome", "tokentown", f"{site.base}/eloket.html", stdout=StringIO())
    yield tokenised
    site.stop()


def test_inside_a_hosts_chrome_the_tokens_style_only_eloket(tokenised_in_chrome, browser):
    base, look = tokenised_in_chrome["base"], tokenised_in_chrome["look"]
    context = browser.new_context(locale="en-GB", bypass_csp=True)
    page = context.new_page()
    page.goto(base + "/tokentown/")
    assert page.locator("[data-eloket-content] > #eloket").count() == 1
    assert style(page, "#eloket", "background-color", "color") == [
        rgb(look["colour.background"]),
        rgb(look["colour.text"]),
    ]
    assert style(page, "#eloket .card", "background-color", "border-top-left-radius") == [
        rgb(look["colour.secondary"]),
        "8px",
    ]
    assert style(page, "#eloket .card a", "color") == [rgb(look["colour.link"])]
    # The host's page keeps its own look: no Eloket property reaches it.
    assert (
        page.evaluate(
            "getComputedStyle(document.documentElement).getPropertyValue('--eloket-primary')"
        )
        == ""
    )
    assert axe_serious(page) == []
    context.close()
