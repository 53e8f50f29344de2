"""Issue 11, 5 and 6, as people would, in Chromium: the access log reads well (an officer
who opens an order three times is one line, naming the order in words, with a link to
it), and orders tell the truth ("Handled by" names the clerk who approved; one e-mail
per outcome, and for an instant certificate by e-mail only the e-mail with the document;
a birth extract whose act names no parent asks the officer to confirm)."""

from playwright.sync_api import expect

from test_browser import (  # noqa: F401 (fixtures)
    axe_serious,
    browser,
    gent_demo,
    login_citizen,
    login_officer,
    order_certificate,
    pytestmark,
)

pytestmark = pytestmark  # the same skips as the other browser tests


def display(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


def test_the_access_log_groups_an_officers_reads_and_links_the_order(
    gent_demo,  # noqa: F811 (the fixtures imported above)
    demo_idp,
    browser,  # noqa: F811
):
    base = demo_idp
    context = browser.new_context(locale="en-GB", bypass_csp=True)
    page = context.new_page()
    login_citizen(page, base, gent_demo["name"])
    code = order_certificate(page, base, "Extract of a birth certificate")
    page.get_by_role("button", name="Log out").click()

    # The clerk opens the order, and opens it again twice (back to it, a reload).
    login_officer(page, base, "gent.clerk")
    page.goto(f"{base}/gent/backoffice/orders/")
    page.get_by_role("link", name=display(code)).click()
    page.reload()
    page.goto(f"{base}/gent/backoffice/orders/{code}")
    assert (
        page.get_by_role("heading", level=1)
        .inner_text()
        .startswith("Extract of a birth certificate")
    )
    page.get_by_role("button", name="Log out").click()

    login_citizen(page, base, gent_demo["name"])
    page.get_by_role("link", name="Who consulted my data").click()
    rows = page.locator("main table tbody tr")
    assert rows.count() == 1
    row = rows.first.inner_text()
    assert "Nele Verhaeghe" in row and "3 times" in row
    assert f"order:{code}" not in page.content()
    assert axe_serious(page) == []
    rows.first.get_by_role(
        "link", name=f"Extract of a birth certificate, order {display(code)}"
    ).click()
    assert page.url.endswith(f"/gent/orders/{code}")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    context.close()


def test_orders_tell_the_truth_handler_one_e_mail_and_unknown_parents(
    gent_demo,  # noqa: F811 (the fixtures imported above)
    demo_idp,
    browser,  # noqa: F811
):
    from django.core import mail

    base = demo_idp
    context = browser.new_context(locale="en-GB", bypass_csp=True)
    page = context.new_page()
    login_citizen(page, base, gent_demo["name"])

    # An instant certificate delivered by e-mail: exactly one e-mail, with the document.
    mail.outbox.clear()
    page.goto(base + "/gent/services/")
    page.get_by_role("link", name="Certificate of residence", exact=True).click()
    page.get_by_label("e-mail", exact=True).check()
    page.get_by_label("Your e-mail address").fill("jan@example.org")
    page.get_by_role("button", name="Next: check your order").click()
    page.get_by_role("button", name="Confirm the order").click()
    # The order's page loaded before it is asked again (a reload while the confirmation's
    # navigation is still under way fails with "not attached to an active page").
    page.wait_for_url("**/gent/orders/*")
    page.wait_for_load_state("load")
    residence = page.url.rsplit("/", 1)[-1]
    page.reload()
    assert page.locator(".status").first.inner_text() == "delivered"
    about_residence = [m for m in mail.outbox if display(residence) in m.subject]
    assert len(about_residence) == 1 and about_residence[0].attachments

    # Jan's birth act names no parent (the demo's act of a parent born in Gent).
    birth = order_certificate(page, base, "Extract of a birth certificate")
    assert page.locator(".status").first.inner_text() == "in review"
    page.get_by_role("button", name="Log out").click()

    login_officer(page, base, "gent.clerk")
    page.goto(f"{base}/gent/backoffice/orders/{birth}")
    warning = page.locator("#review-warnings")
    assert "names neither parent" in warning.inner_text()
    assert axe_serious(page) == []
    # Approving without saying one checked it changes nothing, and says why.
    page.get_by_role("button", name="Approve and issue").click()
    assert page.locator(".status").first.inner_text() == "in review"
    assert "Confirm that you checked this" in page.locator(".notice.error").first.inner_text()
    page.get_by_label("I checked the register: issue the certificate as it stands").check()
    page.get_by_role("button", name="Approve and issue").click()
    assert page.locator(".status").first.inner_text() == "delivered"
    handled = page.locator("dt", has_text="Handled by").locator("xpath=following-sibling::dd[1]")
    assert handled.inner_text() == "Nele Verhaeghe"
    page.get_by_role("button", name="Log out").click()

    # One e-mail for the outcome of the review, with the link to the timeline.
    about_birth = [m for m in mail.outbox if display(birth) in m.subject]
    assert [m.subject.rsplit("— ", 1)[-1] for m in about_birth] == ["delivered"]
    assert f"/gent/orders/{birth}" in about_birth[0].body
    context.close()
