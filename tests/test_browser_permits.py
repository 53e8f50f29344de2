"""Issue 13 in Chromium, as people would: a neighbour reads the building permit's public
notice and objects (a sealed receipt); after the period (the test clock) the planning
clerk closes the inquiry, answers the objection and grants; the head of urban planning
returns the draft once with a comment, the clerk grants again, the head and an
administrator approve; the decision is published with the answer, and /verify/ shows the
clerk's and two officers' signatures and the seal, each unchanged since, on the downloaded PDF. Every
page on the way passes axe-core."""

import datetime as dt
import re

from playwright.sync_api import expect

from test_browser import (  # noqa: F401 (fixtures)
    axe_serious,
    browser,
    gent_demo,
    login_citizen,
    login_officer,
    pytestmark,
)

pytestmark = pytestmark  # the same skips as the other browser tests


def _pdf_of(page, link_name):
    with page.expect_download() as download:
        page.get_by_role("link", name=link_name).click()
    return download.value.path().read_bytes()


def _upload_to_verify(page, base, pdf):
    """Check a downloaded PDF as anyone would, on /verify/ (pyHanko cannot run inside
    Playwright's event loop in this process)."""
    page.goto(base + "/verify/")
    page.get_by_label("The PDF file").set_input_files(
        files=[{"name": "document.pdf", "mimeType": "application/pdf", "buffer": pdf}]
    )
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("heading", name="Authentic and valid")).to_be_visible()


def test_a_permit_with_its_inquiry_as_people_would(
    gent_demo,  # noqa: F811
    demo_idp,
    browser,  # noqa: F811
    monkeypatch,
):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # the browser fixture's loop runs
    from django.utils import timezone

    from eloket.demo.services import demo_citizens
    from eloket.inquiries.models import PublicInquiry

    base = demo_idp
    inquiry = PublicInquiry.objects.select_related("case").get(ends_at__gt=timezone.now())
    code = inquiry.case.tracking_code
    _number, sofie = demo_citizens("gent")["sofie"]

    # A neighbour finds the notice from the home page and objects.
    neighbour = browser.new_context(locale="en-GB", bypass_csp=True).new_page()
    login_citizen(neighbour, base, sofie)
    neighbour.goto(base + "/gent/")
    neighbour.get_by_role("link", name="Public inquiries", exact=True).click()
    assert axe_serious(neighbour) == []
    neighbour.get_by_role("link", name=re.compile("Building permit")).click()
    expect(neighbour.get_by_role("heading", name="How to object")).to_be_visible()
    assert axe_serious(neighbour) == []
    neighbour.get_by_label("Your objection").fill("The veranda takes the evening sun of my garden.")
    neighbour.get_by_label("Yes, with my name").check()
    neighbour.get_by_role("button", name="Send my objection").click()
    expect(neighbour.get_by_text("Your objection is registered.")).to_be_visible()
    assert axe_serious(neighbour) == []
    receipt = _pdf_of(neighbour, "Download the receipt (PDF)")
    _upload_to_verify(neighbour, base, receipt)

    # The test clock: the thirty days are over.
    PublicInquiry.objects.filter(pk=inquiry.pk).update(
        starts_at=timezone.now() - dt.timedelta(days=31),
        ends_at=timezone.now() - dt.timedelta(minutes=1),
    )

    clerk = browser.new_context(locale="en-GB", bypass_csp=True).new_page()
    login_officer(clerk, base, "gent.planning")
    clerk.goto(f"{base}/gent/backoffice/requests/{code}")
    expect(clerk.get_by_text("The veranda takes the evening sun of my garden.")).to_be_visible()
    assert axe_serious(clerk) == []
    clerk.get_by_role("button", name="Close the inquiry: advice and decision").click()
    expect(clerk.get_by_text("Done: the citizen is told.")).to_be_visible()
    clerk.get_by_label("The municipality's answer (published with the decision)").fill(
        "The veranda is 2.5 m high and 4 m from the boundary: the garden keeps its sun."
    )
    clerk.get_by_role("button", name="Answer", exact=True).click()
    expect(clerk.get_by_text("The answer is kept")).to_be_visible()
    clerk.get_by_role("button", name="Grant").click()
    expect(clerk.get_by_text("The draft decision went up the approval chain.")).to_be_visible()
    assert axe_serious(clerk) == []

    # The head of urban planning reads it, returns it once, then approves it.
    head = browser.new_context(locale="en-GB", bypass_csp=True).new_page()
    login_officer(head, base, "gent.planning_head")
    head.goto(f"{base}/gent/backoffice/approvals/")
    assert axe_serious(head) == []
    # Shown in the browser's PDF viewer (inline): fetched with the head's session.
    link = head.get_by_role("link", name="Read the decision as it will be signed (PDF)")
    draft = head.request.get(base + link.get_attribute("href"))
    assert draft.ok and draft.body().startswith(b"%PDF")
    head.get_by_label(re.compile("Comment")).fill("Mention the height in the decision text.")
    head.get_by_role("button", name="Return to the previous step").click()
    expect(head.get_by_text("Nothing waits for your approval.")).to_be_visible()
    clerk.reload()
    expect(clerk.locator("#approval")).to_contain_text("was returned for changes")
    clerk.get_by_label("A word to the citizen (optional)").fill(
        "Granted: a veranda of 2.5 m high at the back."
    )
    clerk.get_by_role("button", name="Grant").click()
    expect(clerk.get_by_text("The draft decision went up the approval chain.")).to_be_visible()
    head.goto(f"{base}/gent/backoffice/approvals/")
    head.get_by_role("button", name="Approve", exact=True).click()
    expect(head.get_by_text("Nothing waits for your approval.")).to_be_visible()

    admin = browser.new_context(locale="en-GB", bypass_csp=True).new_page()
    login_officer(admin, base, "gent.alderman")
    admin.goto(f"{base}/gent/backoffice/approvals/")
    admin.get_by_role("button", name="Approve", exact=True).click()
    expect(admin.get_by_text("Nothing waits for your approval.")).to_be_visible()

    # Published: anyone reads the decision and checks its signatures.
    visitor = browser.new_context(locale="en-GB", bypass_csp=True).new_page()
    visitor.goto(base + "/gent/decisions/")
    assert axe_serious(visitor) == []
    decision = _pdf_of(visitor, re.compile(f"{inquiry.case.display_code}"))
    _upload_to_verify(visitor, base, decision)
    table = visitor.locator("table.signatures")
    expect(table).to_contain_text("Pieter Claeys")  # the clerk who prepared it
    expect(table).to_contain_text("Karel Vandenberghe")
    expect(table).to_contain_text("Astrid Vermeire")
    expect(table).to_contain_text("Seal of the municipality")
    expect(table.get_by_text("Valid; nothing changed since")).to_have_count(4)
    assert axe_serious(visitor) == []


def _address_of(key):
    """A demo citizen's current address in Gent's register (street, number)."""
    from eloket.demo.services import demo_citizens
    from eloket.register.models import Address

    number, _name = demo_citizens("gent")[key]
    address = Address.objects.filter(
        person__national_id=number, valid_to__isnull=True, lat__isnull=False
    ).first()
    return address.street, address.house_number


def test_done_when_a_permit_from_application_to_verified_decision(
    gent_demo,  # noqa: F811
    demo_idp,
    browser,  # noqa: F811
    monkeypatch,
    tmp_path,
):
    """Issue 13's "Done when": a resident applies for a building permit; the clerk marks
    it complete and the inquiry opens; a neighbour (told of it) objects and downloads a
    receipt; after the period (the test clock) the clerk drafts a decision answering the
    objection; the head returns it once with a comment, then approves; the alderman's
    delegate approves; the applicant and the objector are told; /verify/ shows the
    signatures and the seal, all valid, and finds a one-byte change."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from django.contrib.auth.models import User
    from django.utils import timezone

    from eloket.demo.services import demo_citizens
    from eloket.inquiries.models import NeighbourNotice, PublicInquiry
    from eloket.outbox.models import OutboxMessage
    from test_attachments import pdf_bytes
    from test_attacks_uploads import one_byte_changed

    base = demo_idp
    _n, tom = demo_citizens("gent")["tom"]
    _n, sofie = demo_citizens("gent")["sofie"]
    street, number = _address_of("sofie")
    works_at = str(int("".join(c for c in number if c.isdigit())) + 2)  # next door
    plans = tmp_path / "plans.pdf"
    plans.write_bytes(pdf_bytes())

    # A resident applies for a building permit next door to Sofie.
    applicant = browser.new_context(locale="en-GB", bypass_csp=True).new_page()
    login_citizen(applicant, base, tom)
    applicant.goto(base + "/gent/services/")
    applicant.get_by_role("link", name="Building permit", exact=True).click()
    applicant.get_by_role("button", name="Start now").click()
    if applicant.get_by_role("heading", name="For whom do you fill in this form?").count():
        applicant.get_by_label("For myself").check()
        applicant.get_by_role("button", name="Continue").click()
    applicant.get_by_label("An extension").check()
    applicant.get_by_label("Describe the works").fill("A veranda of 12 m² at the back.")
    applicant.locator("#q-architect_involved-0").check()
    applicant.get_by_role("button", name="Continue").click()
    applicant.get_by_label("Street").fill(street)
    applicant.get_by_label("Number", exact=True).fill(works_at)
    applicant.get_by_label("Postcode").fill("9000")
    applicant.get_by_label("Municipality or city").fill("Gent")
    applicant.locator("#q-heritage-1").check()
    applicant.get_by_role("button", name="Continue").click()
    applicant.get_by_label(re.compile("^Plans")).set_input_files(str(plans))
    applicant.get_by_label("Name of the architect").fill("Els Architect")
    applicant.get_by_role("button", name="Continue").click()
    applicant.get_by_label("Name of the applicant").fill("Tom Vermeulen")
    applicant.get_by_label("Phone number").fill("+32 9 123 45 67")
    applicant.get_by_label("I declare that these answers are true and complete.").check()
    applicant.get_by_role("button", name="Continue").click()
    applicant.locator("#email").fill("tom@example.org")
    applicant.get_by_role("button", name="Send the request").click()
    expect(applicant.get_by_role("heading", name="Request sent")).to_be_visible()
    applicant.get_by_role("link", name="See your request").click()
    code = applicant.url.rstrip("/").rsplit("/", 1)[1]

    # The clerk checks completeness, finds it complete: the inquiry opens and the
    # neighbours are told.
    clerk = browser.new_context(locale="en-GB", bypass_csp=True, accept_downloads=True).new_page()
    login_officer(clerk, base, "gent.planning")
    clerk.goto(f"{base}/gent/backoffice/requests/{code}")
    clerk.get_by_role("button", name="Check completeness").click()
    expect(clerk.get_by_text("Done: the citizen is told.")).to_be_visible()
    clerk.get_by_label("What is applied for, as the public notice says it").fill(
        "A veranda of 12 m² at the back of the house."
    )
    clerk.get_by_role("button", name="Complete: open the public inquiry").click()
    expect(clerk.locator("#neighbours")).to_contain_text("Neighbours told when it opened")
    assert axe_serious(clerk) == []
    inquiry = PublicInquiry.objects.select_related("case").get(case__tracking_code=code)
    told = NeighbourNotice.objects.filter(inquiry=inquiry)
    assert sofie in {n.name for n in told}
    letters = _pdf_of(clerk, "The letters for the post (PDF)")
    assert letters.startswith(b"%PDF")

    # Sofie, told, objects and downloads her receipt.
    neighbour = browser.new_context(locale="en-GB", bypass_csp=True).new_page()
    login_citizen(neighbour, base, sofie)
    # Her account has an e-mail address: the decision reaches her there.
    User.objects.filter(first_name="Sofie", last_name="Claes", citizen__isnull=False).update(
        email="sofie@example.org"
    )
    neighbour.goto(f"{base}/gent/inquiries/{inquiry.pk}")
    neighbour.get_by_label("Your objection").fill("The veranda takes the evening sun of my garden.")
    neighbour.get_by_role("button", name="Send my objection").click()
    expect(neighbour.get_by_text("Your objection is registered.")).to_be_visible()
    receipt = _pdf_of(neighbour, "Download the receipt (PDF)")
    assert receipt.startswith(b"%PDF")

    # The test clock: the thirty days are over.
    PublicInquiry.objects.filter(pk=inquiry.pk).update(
        starts_at=timezone.now() - dt.timedelta(days=31),
        ends_at=timezone.now() - dt.timedelta(minutes=1),
    )
    clerk.goto(f"{base}/gent/backoffice/requests/{code}")
    clerk.get_by_role("button", name="Close the inquiry: advice and decision").click()
    expect(clerk.get_by_text("Done: the citizen is told.")).to_be_visible()
    clerk.get_by_label("The municipality's answer (published with the decision)").fill(
        "The veranda is 2.5 m high and 4 m from the boundary: the garden keeps its sun."
    )
    clerk.get_by_role("button", name="Answer", exact=True).click()
    expect(clerk.get_by_text("The answer is kept")).to_be_visible()
    # The fire brigade's advice, before the decision.
    clerk.get_by_label("Who advises (a department or an outside body)").fill("Fire brigade Gent")
    clerk.get_by_label("Their advice").select_option("conditional")
    clerk.get_by_label("What they advise").fill("Keep the side path free.")
    clerk.get_by_role("button", name="Record the advice").click()
    expect(clerk.get_by_text("The advice is recorded.")).to_be_visible()
    expect(clerk.locator("#advice")).to_contain_text("favourable on conditions")
    assert axe_serious(clerk) == []
    clerk.get_by_role("button", name="Grant").click()
    expect(clerk.get_by_text("The draft decision went up the approval chain.")).to_be_visible()

    # The head returns it once with a comment, then approves.
    head = browser.new_context(locale="en-GB", bypass_csp=True).new_page()
    login_officer(head, base, "gent.planning_head")
    head.goto(f"{base}/gent/backoffice/approvals/")
    head.get_by_label(re.compile("Comment")).fill("Mention the height in the decision text.")
    head.get_by_role("button", name="Return to the previous step").click()
    expect(head.get_by_text("Nothing waits for your approval.")).to_be_visible()
    clerk.reload()
    expect(clerk.locator("#approval")).to_contain_text("was returned for changes")
    clerk.get_by_label("A word to the citizen (optional)").fill(
        "Granted: a veranda of 2.5 m high at the back."
    )
    clerk.get_by_role("button", name="Grant").click()
    expect(clerk.get_by_text("The draft decision went up the approval chain.")).to_be_visible()
    head.goto(f"{base}/gent/backoffice/approvals/")
    head.get_by_role("button", name="Approve", exact=True).click()
    expect(head.get_by_text("Nothing waits for your approval.")).to_be_visible()

    # The alderman, away, delegates to the administrator, who approves for her.
    alderman = browser.new_context(locale="en-GB", bypass_csp=True).new_page()
    login_officer(alderman, base, "gent.alderman")
    alderman.goto(f"{base}/gent/backoffice/approvals/")
    today = timezone.localdate()
    alderman.get_by_label("Colleague (username)").fill("gent.admin")
    alderman.get_by_label("From (YYYY-MM-DD)").fill(today.isoformat())
    alderman.get_by_label("Until (YYYY-MM-DD, included)").fill(
        (today + dt.timedelta(days=7)).isoformat()
    )
    alderman.get_by_role("button", name="Delegate").click()
    expect(alderman.locator("main")).to_contain_text("Astrid Vermeire → Ilse Martens")
    delegate = browser.new_context(locale="en-GB", bypass_csp=True).new_page()
    login_officer(delegate, base, "gent.admin")
    delegate.goto(f"{base}/gent/backoffice/approvals/")
    delegate.get_by_role("button", name="Approve", exact=True).click()
    expect(delegate.get_by_text("Nothing waits for your approval.")).to_be_visible()

    # The applicant and the objector are told.
    case = inquiry.case
    case.refresh_from_db()
    assert case.status == "approved"
    mails = OutboxMessage.objects.filter(kind="email")
    assert mails.filter(ref=f"inquiry:{inquiry.pk}:decided").count() == 1
    assert any(
        "tom@example.org" in m.payload.get("to", []) for m in mails.filter(ref=f"case:{code}")
    )

    # Published: anyone checks the decision; a one-byte change is found.
    visitor = browser.new_context(locale="en-GB", bypass_csp=True).new_page()
    visitor.goto(base + "/gent/decisions/")
    expect(visitor.locator(".appeal").first).to_contain_text("An appeal may be lodged until")
    decision = _pdf_of(visitor, re.compile(case.display_code))
    _upload_to_verify(visitor, base, decision)
    table = visitor.locator("table.signatures")
    # Three officers' signatures (the clerk who prepared it, the head, the alderman's
    # delegate) and the seal.
    expect(table).to_contain_text("Pieter Claeys")
    expect(table).to_contain_text("Karel Vandenberghe")
    expect(table).to_contain_text("Ilse Martens")
    expect(table).to_contain_text("Astrid Vermeire")
    expect(table).to_contain_text("Seal of the municipality")
    expect(table.get_by_text("Valid; nothing changed since")).to_have_count(4)
    assert axe_serious(visitor) == []
    visitor.goto(base + "/verify/")
    visitor.get_by_label("The PDF file").set_input_files(
        files=[
            {
                "name": "changed.pdf",
                "mimeType": "application/pdf",
                "buffer": one_byte_changed(decision),
            }
        ]
    )
    visitor.get_by_role("button", name="Check the file").click()
    expect(visitor.locator("main")).to_contain_text("changed")
    expect(visitor.get_by_role("heading", name="Authentic and valid")).to_have_count(0)
