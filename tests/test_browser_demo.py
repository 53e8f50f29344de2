"""Issue 11 as people tried it, in Chromium: the README's demo steps can be done by the
residents the demo identity provider lists (point 1), and a module a municipality has
switched off is not there for its citizens or officers (point 4)."""

import re

import pytest
from playwright.sync_api import expect

import test_browser as shared
from demo_snapshot import demo_load_once
from test_browser import AXE, CHROMIUM, axe_serious, login_officer

# The browser and Gent's demo data, as the other browser tests have them.
browser = shared.browser
gent_demo = shared.gent_demo

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not __import__("pathlib").Path(CHROMIUM).exists(), reason="no chromium"),
    pytest.mark.skipif(not AXE.exists(), reason="axe-core is not installed (npm install)"),
]

PETITION = "Meer overdekte fietsenstallingen aan Gent-Sint-Pieters"
TOPIC = "Een autovrije Korenmarkt en Veldstraat?"


@pytest.fixture
def listed_residents(gent_demo):
    """The people the demo identity provider's page offers for Gent (read before the
    browser starts: Playwright's sync API runs an event loop)."""
    from eloket.demo.services import demo_citizen_list
    from eloket.tenants.models import Municipality

    return [row["name"] for row in demo_citizen_list(Municipality.objects.get(slug="gent"))]


def test_the_readme_steps_can_be_done_by_every_resident_the_demo_lists(
    gent_demo, demo_idp, listed_residents, browser
):
    """Point 1, the failing journey first: every named resident had already signed Gent's
    petition, and a new opinion landed 14th under "newest" behind opinions dated later
    today. Now whoever one picks on the demo provider's page can sign, and their opinion
    is the newest."""
    adults = [name for name in listed_residents if name != "Lotte Peeters"]
    assert gent_demo["name"] in adults
    context = browser.new_context(locale="en-GB", bypass_csp=True)
    page = context.new_page()
    for number, name in enumerate(adults[:3]):
        page.goto(demo_idp + "/gent/")
        page.get_by_role("link", name="Log in", exact=True).click()
        page.get_by_role("link", name="Log in with eID").click()
        # The person is on the provider's page, as the README says.
        page.get_by_role("button", name=name).click()
        assert page.url.endswith("/gent/my/")

        page.get_by_role("link", name="Services", exact=True).click()
        page.get_by_role("link", name="Petitions", exact=True).click()
        page.get_by_role("link", name=PETITION).click()
        before = int(re.search(r"(\d+) of 100 signatures", page.content()).group(1))
        assert before == 37 + number
        page.get_by_role("button", name="Sign with my eID").click()
        expect(page.get_by_text("You signed the petition.")).to_be_visible()
        assert f"{before + 1} of 100 signatures" in page.content()
        assert axe_serious(page) == []

        page.goto(demo_idp + "/gent/forum/")
        page.get_by_role("link", name=TOPIC).click()
        mine = f"Een proefproject met deelfietsen, voorgesteld door bewoner {number + 1}."
        page.get_by_label("Your opinion").fill(mine)
        page.get_by_role("button", name="Post my opinion").click()
        # The next page is either the opinion published or a warning that it repeats
        # an earlier one: wait until one of the two has loaded.
        anyway = page.get_by_role("button", name="Post anyway")
        expect(page.get_by_text("Your opinion is published.").or_(anyway)).to_be_visible()
        if anyway.count():
            page.get_by_role("button", name="Post anyway").click()
        expect(page.get_by_text("Your opinion is published.")).to_be_visible()
        page.get_by_role("link", name="newest").click()
        # Nothing of the demo is dated after now: the opinion just posted comes first.
        assert mine in page.locator("li.opinion").first.inner_text()
        page.get_by_role("button", name="Log out").click()
    context.close()


@pytest.fixture
def brugge_and_seoul(demo_idp, transactional_db):
    """Brugge offers no petitions, Seoul no certificates (the demo's module switches)."""
    from eloket.demo.services import demo_citizens

    demo_load_once(["brugge", "seoul"])
    return {"brugge": demo_citizens("brugge"), "seoul": demo_citizens("seoul")}


def test_a_module_switched_off_is_not_there_for_citizens_or_officers(
    brugge_and_seoul, demo_idp, browser
):
    """Point 4, the failing journey first: Brugge (no petitions module) served
    /brugge/petitions/ with a working form, and Seoul's back office (no certificates
    module) offered certificates and post. Now neither is linked, and typing the address
    gives the page-not-found page."""
    context = browser.new_context(locale="en-GB", bypass_csp=True)
    page = context.new_page()
    page.goto(demo_idp + "/brugge/services/")
    assert page.get_by_role("link", name="Petitions", exact=True).count() == 0
    assert "Have your say" in page.locator("main").inner_text()
    response = page.goto(demo_idp + "/brugge/petitions/")
    assert response.status == 404
    assert page.locator("main form").count() == 0
    assert axe_serious(page) == []

    # Seoul's citizens: no certificates under Services, and the order page is not there.
    page.goto(demo_idp + "/seoul/services/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Household composition" not in page.content()
    assert page.goto(demo_idp + "/seoul/certificates/household/order").status == 404

    # Seoul's clerk: the back office names forum and petitions, not certificates or post.
    login_officer(page, demo_idp, "seoul.clerk")
    page.goto(demo_idp + "/seoul/backoffice/")
    nav = page.locator("main").inner_text() + page.locator("nav").first.inner_text()
    assert "Forum" in nav
    assert "Certificate" not in nav and "Post" not in nav
    assert axe_serious(page) == []
    context.close()
