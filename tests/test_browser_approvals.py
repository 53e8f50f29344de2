"""Issue 13 in Chromium, short: an event permit of 1,500 visitors in Gent's demo; the
events clerk's Approve drafts the grant (it waits for approval), the head of events finds
it under To approve (no serious axe-core violation) and approves it: the request is
granted, and its timeline names the approver."""

import pytest

from test_browser import (  # noqa: F401 (fixtures)
    axe_serious,
    browser,
    gent_demo,
    login_officer,
    pytestmark,
)

pytestmark = pytestmark  # the same skips as the other browser tests


@pytest.fixture
def big_party(gent_demo):  # noqa: F811
    from eloket.cases.models import Case
    from eloket.demo.cases import STREET_PARTY
    from eloket.identity.selectors import citizen_actor_of
    from eloket.services.services import service_request_submit
    from eloket.tenants.models import Municipality

    gent = Municipality.objects.get(slug="gent")
    jan = Case.objects.filter(municipality=gent, kind="event_permit").first().requester
    case, _new = service_request_submit(
        actor=citizen_actor_of(jan),
        municipality=gent,
        code="event_permit",
        answers={**STREET_PARTY, "visitors": 1500},
    )
    return case


def test_a_large_event_permit_goes_up_the_chain(big_party, demo_idp, browser):  # noqa: F811
    base = demo_idp
    page = browser.new_context(locale="en-GB", bypass_csp=True).new_page()
    login_officer(page, base, "gent.events")
    page.goto(f"{base}/gent/backoffice/requests/{big_party.tracking_code}?lang=en")
    page.get_by_label("A word to the citizen (optional)").fill("Granted with the usual rules.")
    page.get_by_role("button", name="Approve", exact=True).click()
    assert "waits for approval" in page.locator("#approval").inner_text()
    assert "The draft decision went up the approval chain." in page.content()
    page.get_by_role("button", name="Log out").click()

    login_officer(page, base, "gent.events_head")
    page.get_by_role("link", name="To approve").click()
    assert big_party.display_code in page.content()
    assert "Granted with the usual rules." in page.content()
    assert axe_serious(page) == []
    page.get_by_label("Comment (for colleagues; required to return it)").fill("Fine.")
    page.get_by_role("button", name="Approve", exact=True).click()
    assert "Nothing waits for your approval." in page.content()
    page.goto(f"{base}/gent/backoffice/requests/{big_party.tracking_code}")
    assert "approved" in page.locator(".status").first.inner_text()
    assert "approved by Jonas Peeters" in page.locator(".timeline").inner_text()
