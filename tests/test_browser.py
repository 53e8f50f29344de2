"""Pages as a person sees them, in Debian's Chromium: accessibility (axe-core), no
JavaScript needed, load time and weight on the demo data (issue 2)."""

import shutil
import time
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
AXE = Path(__file__).resolve().parents[1] / "node_modules" / "axe-core" / "axe.min.js"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
    pytest.mark.skipif(not AXE.exists(), reason="axe-core is not installed (npm install)"),
]

PAGES = [
    "/",
    "/gent/",
    "/gent/services/",
    "/brugge/",
    "/seoul/",
    "/seoul/services/",
    "/api/v1/docs",
    "/nowhere/",
]


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def demo_site(transactional_db, live_server):
    from eloket.demo.services import demo_load

    demo_load(only=["gent", "brugge", "seoul"])
    return live_server.url


def axe_serious(page) -> list[tuple[str, str, str]]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        (v["id"], v["impact"], v["help"])
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_pages_are_accessible_light_and_fast(demo_site, browser):
    # bypass_csp lets the test inject axe-core; the pages themselves load under the strict CSP.
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    transferred: list[int] = []
    page.on(
        "response",
        lambda response: transferred.append(len(response.body()) if response.status < 300 else 0),
    )
    for path in PAGES:
        transferred.clear()
        started = time.perf_counter()
        page.goto(demo_site + path, wait_until="load")
        elapsed = time.perf_counter() - started
        assert elapsed < 1.0, (path, elapsed)
        assert sum(transferred) < 50 * 1024, (path, sum(transferred))
        assert axe_serious(page) == [], path
    context.close()


def test_no_csp_violations_and_language_switch_without_javascript(demo_site, browser):
    context = browser.new_context(java_script_enabled=False, locale="de-DE")
    page = context.new_page()
    errors = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    page.goto(demo_site + "/brugge/services/")
    assert (
        page.locator("html").get_attribute("lang") == "de"
    )  # the browser's language, offered by Brugge
    page.get_by_role("link", name="Français").click()
    assert page.url.endswith("/brugge/services/")
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.get_by_role("heading", level=1).inner_text() == "Services"
    page.get_by_role("link", name="Accueil").click()
    assert "Bienvenue" in page.get_by_role("heading", level=1).inner_text()
    assert not [e for e in errors if "Content Security Policy" in e]
    context.close()


@pytest.fixture
def gent_citizen(demo_idp, transactional_db):
    """A Gent demo resident whose data an automatic process has read once. (Database work
    happens before the browser starts: Playwright's sync API runs an event loop.)"""
    from eloket.common.actors import Actor
    from eloket.demo.services import demo_citizen_list, demo_load
    from eloket.register.selectors import person_record
    from eloket.tenants.models import Municipality

    demo_load(only=["gent"])
    gent = Municipality.objects.get(slug="gent")
    citizen = demo_citizen_list(gent)[0]
    person_record(
        municipality=gent,
        national_id=citizen["national_number"],
        actor=Actor.system("Residence check", gent),
        purpose="Verification of your address",
    )
    return citizen


def test_citizen_logs_in_through_the_demo_provider_and_sees_my_data_and_the_access_log(
    demo_idp, gent_citizen, browser
):
    """Issue 3: as a person would, in Chromium (the pages need no JavaScript; axe does)."""
    citizen = gent_citizen
    context = browser.new_context(locale="en-GB", bypass_csp=True)
    page = context.new_page()
    page.goto(demo_idp + "/gent/")
    page.get_by_role("link", name="Log in", exact=True).click()
    assert axe_serious(page) == []
    page.get_by_role("link", name="Log in with eID").click()
    assert "/oidc/pick" in page.url
    assert axe_serious(page) == []
    page.get_by_role("button", name=citizen["name"]).click()
    assert page.url.endswith("/gent/my/")
    assert page.get_by_role("heading", level=1).inner_text() == "My data"
    assert citizen["name"] in page.content()
    assert axe_serious(page) == []
    page.get_by_role("link", name="Who consulted my data").click()
    assert "Verification of your address" in page.content()
    assert axe_serious(page) == []
    page.get_by_role("button", name="Log out").click()
    assert page.get_by_role("link", name="Log in", exact=True).is_visible()
    context.close()
