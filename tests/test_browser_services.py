"""Issue 12, point 4, in Chromium: a Gent resident fills in the event permit's steps, makes
a mistake and fixes it, goes back a step, checks the answers and sends them; every page
of the way has no serious axe-core violation (the error summary and the fields marked
invalid included). The pages carry no script at all: what runs here runs without
JavaScript (axe is injected by the test)."""

import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

from test_browser import (  # noqa: F401 (fixtures)
    axe_serious,
    browser,
    gent_demo,
    login_citizen,
    pytestmark,
)

pytestmark = pytestmark  # the same skips as the other browser tests

LIBRARY = Path(__file__).resolve().parents[1] / "src" / "eloket" / "services" / "library"


@pytest.fixture
def gent_permit(gent_demo):  # noqa: F811
    """Gent's demo with the event permit offered (before the browser starts)."""
    from eloket.cases.models import CaseType
    from eloket.common.actors import Actor
    from eloket.services.services import service_publish
    from eloket.tenants.models import Municipality

    gent = Municipality.objects.get(slug="gent")
    offered = CaseType.objects.filter(
        municipality=gent, code="event_permit", current=True, active=True
    ).exists()
    if not offered:
        service_publish(
            actor=Actor.system("test", gent),
            municipality=gent,
            definition=json.loads((LIBRARY / "event_permit.json").read_text()),
        )
    return gent_demo


def test_an_event_permit_step_by_step_without_javascript(gent_permit, demo_idp, browser):  # noqa: F811
    base = demo_idp
    context = browser.new_context(locale="en-GB", bypass_csp=True)
    page = context.new_page()
    scripts: list[str] = []
    page.on("request", lambda r: scripts.append(r.url) if r.resource_type == "script" else None)
    login_citizen(page, base, gent_permit["name"])
    page.goto(base + "/gent/services/event_permit")
    assert page.get_by_role("heading", level=1).inner_text() == "Event permit"
    assert axe_serious(page) == []
    page.get_by_role("button", name="Start now").click()

    # Step 1, with a mistake: the summary links to the field, which says what is wrong.
    assert "Step 1 of 3" in page.content()
    page.get_by_label("Name of the event").fill("Buurtfeest Sleepstraat")
    page.get_by_label("Street party").check()
    page.get_by_label("Date of the event").fill("2027-06-21")
    page.get_by_label("Expected number of visitors").fill("lots")
    page.get_by_role("button", name="Continue").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("Enter a whole number.")
    assert page.get_by_label("Expected number of visitors").get_attribute("aria-invalid") == "true"
    assert axe_serious(page) == []
    page.get_by_label("Expected number of visitors").fill("250")
    page.get_by_role("button", name="Continue").click()

    # Step 2, then back to step 1: nothing lost.
    assert page.get_by_role("heading", level=1).inner_text() == "Where"
    assert axe_serious(page) == []
    page.get_by_role("link", name="Back").click()
    assert page.get_by_label("Name of the event").input_value() == "Buurtfeest Sleepstraat"
    assert page.get_by_label("Expected number of visitors").input_value() == "250"
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Street").fill("Sleepstraat")
    page.get_by_label("Number", exact=True).fill("12")
    page.get_by_label("Postcode").fill("9000")
    page.get_by_label("Municipality or city").fill("Gent")
    page.locator("#q-road_closure-1").check()  # no
    page.locator("#q-alcohol-0").check()  # yes: a step about it follows
    page.get_by_role("button", name="Continue").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Alcohol"
    assert "Step 3 of 4" in page.content()
    page.locator("#q-strong_drinks-1").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Phone number on the day").fill("+32 9 210 10 10")
    page.get_by_label("I declare that these answers are true and complete.").check()
    page.get_by_role("button", name="Continue").click()

    # Check your answers, then send.
    assert page.get_by_role("heading", level=1).inner_text().startswith("Check your answers")
    assert "Sleepstraat 12, 9000 Gent" in page.content()
    assert axe_serious(page) == []
    page.get_by_role("button", name="Send the request").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Request sent"
    assert axe_serious(page) == []
    page.get_by_role("link", name="See your request").click()
    assert "Buurtfeest Sleepstraat" in page.content()
    assert axe_serious(page) == []
    page.goto(base + "/gent/my/requests")
    assert "Event permit" in page.content()
    assert axe_serious(page) == []
    assert scripts == [] or all("axe" in s for s in scripts)
    context.close()
