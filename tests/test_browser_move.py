"""Issue 14, point 6, as people would, in Chromium with JavaScript off: a Gent resident
declares their move; Gent's population clerk confirms the residence check on the
request's page; the national register peer (its own process) acknowledges the signed
mutation and the citizen reads on their request that the move is done."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from test_browser import (  # noqa: F401 (fixtures)
    browser,
    gent_demo,
    login_citizen,
    login_officer,
    pytestmark,
)
from test_messaging_move import peer, pki  # noqa: F401 (fixtures)

pytestmark = pytestmark  # the same skips as the other browser tests


@pytest.fixture
def registry(pki, peer, settings):  # noqa: F811
    settings.ELOKET_MESSAGING_DIR = str(pki)
    settings.ELOKET_REGISTRY_URL = peer
    settings.ELOKET_REGISTRY_TIMEOUT = 5
    return peer


def test_a_move_declared_confirmed_and_registered(gent_demo, demo_idp, browser, registry):  # noqa: F811
    base = demo_idp
    citizen = browser.new_context(locale="en-GB", java_script_enabled=False)
    page = citizen.new_page()
    login_citizen(page, base, gent_demo["name"])
    page.goto(base + "/gent/services/")
    page.get_by_role("link", name="Change of address (a move)").click()
    page.get_by_role("button", name="Start now").click()

    moved_on = timezone.localdate() - dt.timedelta(days=2)
    page.get_by_label("Street").fill("Korenmarkt")
    page.get_by_label("Number", exact=True).fill("5")
    page.get_by_label("Postcode").fill("9000")
    page.get_by_label("Municipality or city").fill("Gent")
    page.get_by_label("Date of the move").fill(
        (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    )
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".error-summary")).to_contain_text("today at the latest")
    page.get_by_label("Date of the move").fill(moved_on.isoformat())
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("How we reach you")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Check your answers")
    page.get_by_role("button", name="Send the request").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Request sent")
    page.get_by_role("link", name="See your request").click()
    request_url = page.url
    code = request_url.rstrip("/").rsplit("/", 1)[1]
    expect(page.locator(".status").first).to_have_text("declared")
    page.get_by_role("button", name="Log out").click()

    officer = browser.new_context(locale="en-GB", java_script_enabled=False)
    desk = officer.new_page()
    login_officer(desk, base, "gent.population")
    desk.goto(f"{base}/gent/backoffice/requests/{code}")
    expect(desk.locator("main")).to_contain_text("Korenmarkt")
    desk.get_by_role("button", name="Confirm the residence check").click()
    # The outbox sends the mutation right after the commit; by the time the page is
    # drawn the peer may already have acknowledged it.
    expect(desk.locator(".status").first).to_have_text(re.compile("residence confirmed|registered"))
    officer.close()

    login_citizen(page, base, gent_demo["name"])
    page.goto(request_url)
    expect(page.locator(".status").first).to_have_text("registered")
    expect(page.locator(".timeline")).to_contain_text(
        "The national register has recorded your new address. Your move is done."
    )
    citizen.close()
