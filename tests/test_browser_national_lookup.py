"""Issue 14, point 5, as a citizen would, in Chromium: Jan Peeters of
Gent orders the death extract of his father, who lived and died in Antwerpen (no register
on the platform holds him). Eloket asks the national register peer (its own process);
the review shows the father as the register describes him; the order is placed and waits
for a clerk. His living mother: refused, in words. The national number is typed into the
form and never appears in an address."""

import pytest
from playwright.sync_api import expect

from test_browser import (  # noqa: F401 (fixtures)
    axe_serious,
    browser,
    gent_demo,
    login_citizen,
    pytestmark,
)
from test_messaging_lookup import peer, pki  # noqa: F401 (fixtures)

pytestmark = pytestmark  # the same skips as the other browser tests

FATHER = "56021198173"  # the peer's seed: Marc Peeters, died in Antwerpen
MOTHER = "58060498261"  # Rita Wouters, alive


@pytest.fixture
def registry(pki, peer, settings):  # noqa: F811
    settings.ELOKET_MESSAGING_DIR = str(pki)
    settings.ELOKET_REGISTRY_URL = peer
    settings.ELOKET_REGISTRY_TIMEOUT = 5
    return peer


def test_a_citizen_orders_the_death_extract_of_a_parent_who_died_elsewhere(
    gent_demo,  # noqa: F811 (the fixtures imported above)
    demo_idp,
    browser,  # noqa: F811
    registry,
    monkeypatch,
):
    from eloket.certificates.models import CertificateOrder
    from eloket.register.models import Person

    base = demo_idp
    context = browser.new_context(locale="en-GB", bypass_csp=True)
    page = context.new_page()
    visited: list[str] = []
    page.on("request", lambda request: visited.append(request.url))
    login_citizen(page, base, gent_demo["name"])
    page.goto(base + "/gent/services/")
    page.get_by_role("link", name="Extract of a death certificate", exact=True).click()

    # His living mother first: refused, saying why.
    page.get_by_label("A parent, child, brother or sister whom the register").check()
    page.get_by_label("Their national number").fill(MOTHER)
    page.get_by_role("button", name="Next: check your order").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "The national register does not record Rita Wouters as deceased."
    )

    # His father: the review shows him as the national register describes him.
    page.get_by_label("A parent, child, brother or sister whom the register").check()
    page.get_by_label("Their national number").fill(FATHER)
    page.get_by_label("Your e-mail address").fill("jan@example.org")
    page.get_by_role("button", name="Next: check your order").click()
    expect(page.get_by_role("heading", name="Check your order")).to_be_visible()
    expect(page.locator("dl.facts")).to_contain_text("Marc Peeters")
    expect(page.locator("dl.facts")).to_contain_text("as the national register describes them")
    assert axe_serious(page) == []
    page.get_by_role("button", name="Confirm the order").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Marc Peeters")
    assert "/gent/orders/" in page.url
    expect(page.locator(".status").first).to_have_text("in review")
    context.close()

    assert all(FATHER not in url and MOTHER not in url for url in visited)
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # the browser fixture's loop runs
    order = CertificateOrder.objects.get(national_subject__name="Marc Peeters")
    assert order.subject is None
    assert not Person.objects.filter(national_id__in=[FATHER, MOTHER]).exists()
