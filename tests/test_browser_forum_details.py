"""Issue 11, point 9: the forum's and petitions' details, as a person meets them in
Chromium (no JavaScript needed anywhere)."""

import pytest
from playwright.sync_api import expect

from test_browser import axe_serious, login_citizen, login_officer
from test_browser import pytestmark as browser_marks

pytestmark = browser_marks


import test_browser  # noqa: E402
from demo_snapshot import demo_load_once  # noqa: E402

browser = test_browser.browser  # the same Chromium fixture


GENT_TOPIC = "Een autovrije Korenmarkt en Veldstraat?"


@pytest.fixture
def gent_people(demo_idp, transactional_db):
    """Gent's demo data; Jan (an adult) and Lotte (a minor) on the demo provider's page."""
    from eloket.demo.services import demo_citizens

    demo_load_once(["gent"])
    people = demo_citizens("gent")
    return {"jan": people["jan"][1], "lotte": people["lotte"][1]}


def test_a_reply_is_no_opinion_and_comes_back_to_its_thread(gent_people, demo_idp, browser):
    base = demo_idp
    context = browser.new_context(locale="en-GB", bypass_csp=True)
    page = context.new_page()
    login_citizen(page, base, gent_people["jan"])
    page.goto(base + "/gent/forum/")
    assert "24 opinions" in page.locator("li.card").filter(has_text=GENT_TOPIC).inner_text()
    page.get_by_role("link", name=GENT_TOPIC).click()
    topic_url = page.url
    assert "24 opinions" in page.locator("dl.facts").inner_text()

    first = page.locator("li.opinion").first
    text = first.locator("p.message").inner_text()
    first.get_by_role("link", name="Replies and more").click()
    opinion_url = page.url
    # Its text once, and no link to the page one is on.
    assert page.get_by_text(text, exact=True).count() == 1
    assert page.get_by_role("link", name="Replies and more").count() == 0
    assert axe_serious(page) == []

    reply = "Eens, maar denk ook aan de bewoners van de Kraanlei."
    page.get_by_label("Your reply").fill(reply)
    page.get_by_role("button", name="Reply", exact=True).click()
    # Back on the thread, at the new reply, not on the topic.
    assert page.url.split("#")[0] == opinion_url
    assert "#r" in page.url
    anchor = page.url.split("#", 1)[1]
    assert page.locator(f"#{anchor}").inner_text().endswith(reply)
    expect(page.get_by_text("Your reply is published.")).to_be_visible()

    # A reply is not an opinion: the counts stay.
    page.goto(topic_url)
    assert "24 opinions" in page.locator("dl.facts").inner_text()
    page.goto(base + "/gent/forum/")
    assert "24 opinions" in page.locator("li.card").filter(has_text=GENT_TOPIC).inner_text()
    context.close()


def test_a_long_pasted_opinion_is_not_cut_but_refused_with_the_text_kept(
    gent_people, demo_idp, browser
):
    base = demo_idp
    context = browser.new_context(locale="en-GB", bypass_csp=True)
    page = context.new_page()
    login_citizen(page, base, gent_people["jan"])
    page.goto(base + "/gent/forum/")
    page.get_by_role("link", name=GENT_TOPIC).click()
    field = page.get_by_label("Your opinion")
    # The limit is said next to the field, before anyone types.
    hint = page.locator("#" + field.get_attribute("aria-describedby").split()[0])
    assert hint.inner_text() == "Up to 2,000 characters."
    long_text = "De Veldstraat verdient meer groen. " * 70  # 2,450 characters, pasted
    field.fill(long_text)
    assert field.input_value() == long_text  # nothing silently cut
    page.get_by_role("button", name="Post my opinion").click()
    error = page.locator(".notice.error, [role=alert]").first
    assert "2,000" in error.inner_text() or "2000" in error.inner_text()
    assert str(len(long_text.strip())) in error.inner_text().replace(",", "")
    assert page.get_by_label("Your opinion").input_value() == long_text  # as pasted
    assert axe_serious(page) == []
    context.close()


def test_a_minor_is_told_why_before_any_sign_button(gent_people, demo_idp, browser):
    base = demo_idp
    context = browser.new_context(locale="en-GB", bypass_csp=True)
    page = context.new_page()
    login_citizen(page, base, gent_people["lotte"])
    page.goto(base + "/gent/petitions/")
    page.locator("li.card h2 a").first.click()
    assert page.get_by_role("button", name="Sign with my eID").count() == 0
    expect(page.get_by_text("You must be 16 or older to sign petitions here.")).to_be_visible()
    assert axe_serious(page) == []
    page.get_by_role("button", name="Log out").click()

    # An adult still signs.
    login_citizen(page, base, gent_people["jan"])
    page.goto(base + "/gent/petitions/")
    page.locator("li.card h2 a").first.click()
    page.get_by_role("button", name="Sign with my eID").click()
    expect(page.get_by_text("You signed the petition.")).to_be_visible()
    context.close()


@pytest.fixture
def seoul_demo(demo_idp, transactional_db):
    demo_load_once(["seoul"])


def test_the_seoul_opinion_groups_chart_names_its_groups(seoul_demo, demo_idp, browser):
    base = demo_idp
    context = browser.new_context(locale="en-GB", bypass_csp=True)
    page = context.new_page()
    login_officer(page, base, "seoul.clerk")
    page.goto(base + "/seoul/backoffice/forum/")
    page.get_by_role("link", name="Constructing an open square in front of City Hall").click()
    page.get_by_role("link", name="Analysis").click()
    chart = page.locator("svg.chart").nth(1)
    labels = chart.locator("g.legend text").all_text_contents()
    groups = page.locator("section.group h3").all_inner_texts()
    assert len(groups) >= 2
    # One legend entry per group, in words, with the group's marker.
    assert labels == [g.split(":")[0] for g in groups]
    assert chart.locator("g.legend [data-group]").count() == len(groups)
    assert axe_serious(page) == []
    context.close()
