"""The verification page as a stranger uses it, in Debian's Chromium (issue 11, point 7):
a damaged file first, then a changed copy, then the genuine PDF — each outcome in plain
words, the issuer's branding once the document is identified — and the page's own
language switch, with JavaScript off."""

import pytest
from playwright.sync_api import expect

from test_browser import AXE, CHROMIUM, axe_serious

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM or not AXE.exists(), reason="chromium or axe-core missing"),
]


import test_browser  # noqa: E402

browser = test_browser.browser  # the same Chromium fixture


@pytest.fixture
def files(transactional_db, live_server, gent, family, seals, tmp_path):
    """Gent's sealed residence certificate, a copy with one byte changed and a damaged
    one (made before the browser starts: Playwright's sync API runs an event loop)."""
    from eloket.documents.models import IssuedDocument
    from test_attacks_uploads import one_byte_changed, sealed_pdf

    pdf = sealed_pdf(gent, family)
    paths = {"genuine": pdf, "changed": one_byte_changed(pdf), "damaged": pdf[: len(pdf) // 2]}
    for name, data in paths.items():
        (tmp_path / f"{name}.pdf").write_bytes(data)
    code = IssuedDocument.objects.get().display_code
    return {name: str(tmp_path / f"{name}.pdf") for name in paths} | {"code": code}


def check(page, path):
    page.get_by_label("The PDF file").set_input_files(path)
    page.get_by_role("button", name="Check the file").click()


def header_colour(page) -> str:
    return page.eval_on_selector("header.site", "e => getComputedStyle(e).backgroundColor")


def test_damaged_then_changed_then_genuine_then_another_language(live_server, files, browser):
    base = live_server.url
    context = browser.new_context(locale="en-GB", bypass_csp=True)
    page = context.new_page()
    page.goto(base + "/verify/")
    platform_colour = header_colour(page)

    # A damaged download: said plainly, never an exception's name; no one identified yet.
    check(page, files["damaged"])
    expect(page.get_by_role("heading", name="The file cannot be read")).to_be_visible()
    assert "damaged or incomplete" in page.locator(".verdict").inner_text()
    assert "PdfReadError" not in page.content()
    assert page.locator("header .brand").inner_text() == "Eloket"
    assert axe_serious(page) == []

    # A copy changed after sealing: who sealed it, that it was changed, what to do; in
    # Gent's colours, with Gent's contact.
    check(page, files["changed"])
    expect(page.get_by_role("heading", name="Changed after it was sealed")).to_be_visible()
    verdict = page.locator(".verdict").inner_text()
    assert "City of Ghent sealed this document, but the file was changed afterwards" in verdict
    assert "Do not trust this file" in verdict and "info@gent.example" in verdict
    assert "trusted certificate" not in verdict
    assert page.locator("header .brand").inner_text() == "City of Ghent"
    # Waited for, not read once: on a busy machine the theme's stylesheet can come after
    # the heading (PostgreSQL's CI run saw the platform's colour).
    expect(page.locator("header.site")).to_have_css("background-color", "rgb(11, 92, 142)")
    assert header_colour(page) != platform_colour
    assert axe_serious(page) == []

    # The genuine file: authentic and valid, branded, every check passed.
    check(page, files["genuine"])
    expect(page.get_by_role("heading", name="Authentic and valid")).to_be_visible()
    assert page.locator(".checks .failed").count() == 0
    assert page.locator(".checks .passed").count() == 7
    assert page.locator("header .brand").inner_text() == "City of Ghent"
    assert axe_serious(page) == []
    context.close()

    # By its code, with JavaScript off: the language switch is a link.
    context = browser.new_context(locale="en-GB", java_script_enabled=False)
    page = context.new_page()
    page.goto(base + "/verify/" + files["code"])
    expect(page.get_by_role("heading", name="Valid", exact=True)).to_be_visible()
    page.get_by_role("link", name="Nederlands").click()
    assert page.url.endswith("/verify/" + files["code"])
    assert page.locator("html").get_attribute("lang") == "nl"
    assert page.get_by_role("heading", level=1).inner_text() == "Een document controleren"
    assert page.locator("header .brand").inner_text() == "Stad Gent"
    assert (
        "Stad Gent reikte onder deze code een document uit" in page.locator(".verdict").inner_text()
    )
    context.close()
