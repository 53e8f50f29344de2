"""Administration without JSON, as the people who do it (issue 11, point 8): the platform
operator adds a municipality with its names and colours typed into boxes and picked, with
JavaScript off; Gent's administrator uploads a register file with a bad line, reads the
report, then a sound one; a clerk who opens /admin/ is told it is not for them."""

import datetime as dt

import pytest
from playwright.sync_api import expect

import test_browser
from demo_snapshot import demo_load_once
from test_browser import axe_serious, login_officer
from test_register_import import HEADER

pytestmark = test_browser.pytestmark
browser = test_browser.browser  # the same Chromium fixture


@pytest.fixture
def gent_admin_site(transactional_db, live_server):
    """Gent's demo data and officers, and the operator (before the browser starts)."""
    from eloket.register.national_ids import make_belgian_number
    from eloket.tenants.models import Municipality

    demo_load_once(["gent"])
    gent = Municipality.objects.get(slug="gent")
    # People the demo register does not hold yet: born in 1931, numbers 902 (a woman) and 903 (a man).
    new = [make_belgian_number(dt.date(1931, 2, 3), n) for n in (902, 903)]
    row = "{},{},Vermeulen,{},1931-02-03,Gent,BE,single,,Kouter,{},,9000,Gent,,2001-01-01,,"
    good = [row.format(new[0], "Maria", "F", 1), row.format(new[1], "Karel", "M", 2)]
    bad = [good[0], row.format(new[1][:-2] + "00", "Karel", "M", 2)]
    return {
        "base": live_server.url,
        "gent": gent,
        "numbers": new,
        "bad": "\n".join([HEADER, *bad]).encode(),
        "good": "\n".join([HEADER, *good]).encode(),
    }


def test_the_operator_adds_a_municipality_without_json_and_without_javascript(
    gent_admin_site, browser
):
    base = gent_admin_site["base"]
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    login_officer(page, base, "operator")
    page.goto(base + "/admin/tenants/municipality/add/")
    assert "{'nl'" not in page.content()
    page.get_by_label("Slug").fill("aalst")
    page.get_by_role("textbox", name="Nederlands (nl)").fill("Stad Aalst")
    page.get_by_role("textbox", name="Français (fr)").fill("Alost")
    page.get_by_label("Country").select_option("BE")
    page.get_by_label("Statistical code").fill("41002")
    page.get_by_label("Default language").select_option("nl")
    page.get_by_role("checkbox", name="Français (fr)").check()
    page.get_by_role("checkbox", name="Participation").check()
    page.get_by_role("checkbox", name="Permits").uncheck()
    # The browser's own picker; what it sends is #rrggbb.
    assert page.get_by_label("Main colour").get_attribute("type") == "color"
    page.get_by_label("Main colour").fill("#8a1538")
    page.get_by_label("Panel colour").fill("#fdf6f0")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("was added successfully")).to_be_visible()
    # What was saved, as the change page shows it again and as citizens see it.
    page.get_by_role("link", name="Stad Aalst").click()
    assert page.get_by_role("textbox", name="Français (fr)").input_value() == "Alost"
    assert page.get_by_role("textbox", name="English (en)").input_value() == ""
    assert page.get_by_role("checkbox", name="Français (fr)").is_checked()
    assert not page.get_by_role("checkbox", name="English (en)").is_checked()
    assert page.get_by_role("checkbox", name="Participation").is_checked()
    assert not page.get_by_role("checkbox", name="Permits").is_checked()
    assert page.get_by_label("Main colour").input_value() == "#8a1538"
    public = context.new_page()
    public.goto(base + "/aalst/")
    assert "Stad Aalst" in public.locator("header").inner_text()
    theme = public.locator('link[rel="stylesheet"]').nth(1).get_attribute("href")
    assert "#8a1538" in (public.request.get(base + theme).text())
    context.close()


def test_an_administrator_uploads_the_register_and_reads_the_report(gent_admin_site, browser):
    base, gent = gent_admin_site["base"], gent_admin_site["gent"]
    context = browser.new_context()
    page = context.new_page()
    login_officer(page, base, "gent.admin")
    page.goto(f"{base}/admin/tenants/municipality/{gent.pk}/change/")
    page.get_by_role("link", name="Import the population register").click()
    held = page.get_by_text("The register holds").inner_text()
    files = page.get_by_label("Register file")
    files.set_input_files(
        {"name": "gent.csv", "mimeType": "text/csv", "buffer": gent_admin_site["bad"]}
    )
    page.get_by_role("button", name="Import").click()
    assert "nothing was imported" in page.get_by_role("alert").inner_text().lower()
    report = page.locator("#register-report")
    assert report.locator("td").first.inner_text() == "3"
    assert "check digits" in report.inner_text()
    assert page.get_by_text("The register holds").inner_text() == held  # nothing imported
    page.get_by_label("Register file").set_input_files(
        {"name": "gent.csv", "mimeType": "text/csv", "buffer": gent_admin_site["good"]}
    )
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_text("Imported 2 persons, 2 addresses, 0 households")).to_be_visible()
    persons_before = int(held.split()[3])
    assert (
        f"holds {persons_before + 2} persons" in page.get_by_text("The register holds").inner_text()
    )
    context.close()


def test_a_clerk_who_opens_the_admin_is_told_and_shown_the_back_office(gent_admin_site, browser):
    base = gent_admin_site["base"]
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    login_officer(page, base, "gent.clerk")
    # The clerk reads Dutch: the page that refuses them speaks it.
    context.set_extra_http_headers({"Accept-Language": "nl-BE,nl;q=0.9"})
    answer = page.goto(base + "/admin/")
    assert answer is not None and answer.status == 403
    assert "/auth/officer/login" not in page.url
    assert page.get_by_role("heading", level=1).inner_text() == "Niet toegestaan"
    assert axe_serious(page) == []
    page.get_by_role("link", name="Backoffice van Stad Gent").click()
    assert page.url.endswith("/gent/backoffice/")
    context.close()


def test_gents_administrator_enables_imports_and_edits_services_without_javascript(
    gent_admin_site, browser
):
    """Issue 12, point 2: the library's one click, an import with its problems listed by
    path, the edit page publishing the next version; no serious axe-core violation."""
    base = gent_admin_site["base"]
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    login_officer(page, base, "gent.admin")
    page.goto(base + "/admin/services/service/")
    expect(page.get_by_role("link", name="event_permit")).to_be_visible()  # the demo's six
    page.get_by_role("link", name="Library of services").click()
    # Gent offers six; the seventh, Seoul's civil complaint, is one click away.
    page.get_by_role("button", name="Enable Civil complaint").click()
    expect(page.get_by_text("is published and offered in")).to_be_visible()
    row = page.get_by_role("row").filter(has_text="civil_complaint")
    assert "Offered (version 1)" in row.inner_text()
    page.goto(base + "/admin/services/service/import/")
    page.get_by_label("Or the definition itself").fill(
        '{"code": "pothole", "names": {"en": "Pothole"}, "processing_days": 0, "form": {}}'
    )
    page.get_by_role("button", name="Publish").click()
    problems = page.locator("#definition-problems").inner_text()
    assert "/processing_days" in problems and "/form" in problems
    # Editing: the definition as JSON; publishing it makes version 2.
    page.goto(base + "/admin/services/service/")
    page.get_by_role("link", name="bulky_waste_pickup").click()
    box = page.get_by_label("Definition")
    box.fill(box.input_value().replace('"processing_days": 14', '"processing_days": 10'))
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("Version 2 of bulky_waste_pickup is published")).to_be_visible()
    assert '"processing_days": 10' in page.get_by_label("Definition").input_value()
    context.close()
