"""Issue 12, "Done when", as people would, in Chromium: a Gent resident applies for an event
permit through its steps with JavaScript OFF, goes back a step, fixes an error, sends it
and sees it in "My requests"; the events department's clerk asks for information; the
citizen answers with an attachment; the clerk approves; the citizen downloads the sealed
decision, which `/verify/` calls authentic. The population office's clerk never sees it.
No serious axe-core violation on these pages (checked in a second, script-enabled view of
the same session, since axe itself is a script)."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from test_attachments import pdf_bytes
from test_browser import (  # noqa: F401 (fixtures)
    axe_serious,
    browser,
    gent_demo,
    login_citizen,
    login_officer,
    pytestmark,
)

pytestmark = pytestmark  # the same skips as the other browser tests
SHOTS = Path("/tmp/eloket-shots")
SHOTS.mkdir(exist_ok=True)


@pytest.fixture
def gent_services(gent_demo):  # noqa: F811
    """Gent's demo, whose library services (the event permit among them) are offered."""
    from eloket.services.selectors import service_current
    from eloket.tenants.models import Municipality

    service_current(municipality=Municipality.objects.get(slug="gent"), code="event_permit")
    return gent_demo


def check_axe(context, browser, url):  # noqa: F811
    """axe-core on `url` as the same person sees it, in a view with scripts on."""
    seeing = browser.new_context(
        locale="en-GB", bypass_csp=True, storage_state=context.storage_state()
    )
    page = seeing.new_page()
    page.goto(url)
    found = axe_serious(page)
    seeing.close()
    return found


def test_event_permit_to_a_verified_decision(gent_services, demo_idp, browser, tmp_path):  # noqa: F811
    base = demo_idp
    citizen = browser.new_context(locale="en-GB", java_script_enabled=False, accept_downloads=True)
    page = citizen.new_page()
    login_citizen(page, base, gent_services["name"])

    page.goto(base + "/gent/services/")
    page.get_by_role("link", name="Event permit").click()
    assert check_axe(citizen, browser, page.url) == []
    page.get_by_role("button", name="Start now").click()

    # Step 1 with a mistake, fixed after the error summary names it.
    page.get_by_label("Name of the event").fill("Buurtfeest Sleepstraat")
    page.get_by_label("Street party").check()
    page.get_by_label("Date of the event").fill("2027-06-21")
    page.get_by_label("Expected number of visitors").fill("0")
    page.get_by_role("button", name="Continue").click()
    assert "Enter 1 or more." in page.locator(".error-summary").inner_text()
    page.screenshot(path=str(SHOTS / "service-step-error.png"), full_page=True)
    page.get_by_label("Expected number of visitors").fill("250")
    page.get_by_role("button", name="Continue").click()

    # Step 2, back to step 1 (nothing lost), forward again.
    page.get_by_label("Street").fill("Sleepstraat")
    page.get_by_label("Number", exact=True).fill("12")
    page.get_by_label("Postcode").fill("9000")
    page.get_by_label("Municipality or city").fill("Gent")
    page.locator("#q-road_closure-1").check()  # no street closed
    page.locator("#q-alcohol-1").check()  # no alcohol: its step is skipped
    page.get_by_role("link", name="Back").click()
    assert page.get_by_label("Expected number of visitors").input_value() == "250"
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Street").fill("Sleepstraat")
    page.get_by_label("Number", exact=True).fill("12")
    page.get_by_label("Postcode").fill("9000")
    page.get_by_label("Municipality or city").fill("Gent")
    page.locator("#q-road_closure-1").check()
    page.locator("#q-alcohol-1").check()
    page.get_by_role("button", name="Continue").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Organiser"
    page.get_by_label("Phone number on the day").fill("+32 9 210 10 10")
    page.get_by_label("I declare that these answers are true and complete.").check()
    page.get_by_role("button", name="Continue").click()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Check your answers")
    page.screenshot(path=str(SHOTS / "service-check.png"), full_page=True)
    assert check_axe(citizen, browser, page.url) == []
    page.get_by_role("button", name="Send the request").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Request sent"
    page.get_by_role("link", name="See your request").click()
    request_url = page.url
    code = request_url.rstrip("/").rsplit("/", 1)[1]
    page.goto(base + "/gent/my/requests")
    assert "Event permit" in page.locator("main").inner_text()
    assert check_axe(citizen, browser, page.url) == []
    page.get_by_role("button", name="Log out").click()

    officer = browser.new_context(locale="en-GB", java_script_enabled=False)
    desk = officer.new_page()
    # The population office's clerk: not theirs.
    login_officer(desk, base, "gent.clerk")
    assert desk.goto(f"{base}/gent/backoffice/requests/{code}").status == 404
    desk.get_by_role("button", name="Log out").click()

    # The events clerk asks for information.
    login_officer(desk, base, "gent.events")
    desk.get_by_role("link", name="Requests", exact=True).click()
    assert code[:4] in desk.locator("main").inner_text()
    desk.goto(f"{base}/gent/backoffice/requests/{code}")
    assert "Buurtfeest Sleepstraat" in desk.locator("main").inner_text()
    desk.screenshot(path=str(SHOTS / "service-backoffice.png"), full_page=True)
    assert check_axe(officer, browser, desk.url) == []
    desk.get_by_label("Your question to the citizen").fill(
        "Please send a sketch of where the tents will stand."
    )
    desk.get_by_role("button", name="Ask for information").click()
    assert "needs information" in desk.locator(".status").first.inner_text()
    # (The clerk stays logged in: an authenticator code serves once, and a second login
    # within its 30 seconds would be refused as a replay.)

    # The citizen answers with an attachment.
    login_citizen(page, base, gent_services["name"])
    page.goto(request_url)
    assert "sketch of where the tents" in page.locator(".timeline").inner_text()
    sketch = tmp_path / "sketch.pdf"
    sketch.write_bytes(pdf_bytes())
    page.get_by_label("Write to the municipality").fill("The sketch is attached.")
    page.get_by_label("Attach files (optional)").set_input_files(str(sketch))
    page.get_by_role("button", name="Send my answer").click()
    assert page.locator(".status").first.inner_text() == "in review"
    assert "sketch.pdf" in page.locator("main").inner_text()
    assert check_axe(citizen, browser, page.url) == []
    page.get_by_role("button", name="Log out").click()

    # The clerk opens the sketch in place and approves.
    desk.goto(f"{base}/gent/backoffice/requests/{code}")
    link = desk.get_by_role("link", name="sketch.pdf")
    opened = desk.request.get(base + link.get_attribute("href"))
    assert opened.status == 200 and opened.body().startswith(b"%PDF-")
    desk.get_by_role("button", name="Approve").click()
    assert "approved" in desk.locator(".status").first.inner_text()
    desk.get_by_role("button", name="Log out").click()
    officer.close()

    # The citizen downloads the sealed decision; /verify/ calls it authentic.
    login_citizen(page, base, gent_services["name"])
    page.goto(request_url)
    assert page.locator(".status").first.inner_text() == "approved"
    page.screenshot(path=str(SHOTS / "service-approved.png"), full_page=True)
    with page.expect_download() as download:
        page.get_by_role("link", name="Decision (PDF)").click()
    decision = tmp_path / "decision.pdf"
    download.value.save_as(decision)
    assert decision.read_bytes().startswith(b"%PDF-")
    page.goto(base + "/verify/")
    page.get_by_label("The PDF file").set_input_files(str(decision))
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("heading", name="Authentic and valid", exact=True)).to_be_visible()
    citizen.close()
