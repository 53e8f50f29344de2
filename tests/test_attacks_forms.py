"""Attacks on the pages' forms and query strings (issue 10, point 8), each found by the page
fuzzer (tests/test_fuzz_pages.py) and written down here as the request that failed.

Ids, numbers and dates typed into a form are read by `eloket.common.forms` (`id_of`,
`page_of`, `whole_number`) and the forum's date reader: a bad value finds nothing or gets a
clear error in the user's language, and changes nothing."""

import datetime as dt

import pytest

from conftest import citizen_user, officer_login_client, person_record
from eloket.common.actors import Actor
from eloket.forum import services
from eloket.forum.models import Phase, Topic
from eloket.identity.models import ApiToken
from eloket.outbox.models import OutboxMessage

HUGE = "9" * 30  # beyond every database's integer column
NOT_IDS = [" ", "abc", "-1", "1e3", HUGE, "\uff11\uff12", "2147483648"]


@pytest.fixture
def topic(gent):
    return services.topic_create(
        actor=Actor.system("moderation", gent),
        municipality=gent,
        title={"nl": "Een plein"},
        summary={"nl": "Wat vindt u ervan?"},
        phase=Phase.OPEN,
    )


@pytest.fixture
def clerk(client, gent, make_officer):
    client.cookies["eloket_language"] = "en"
    return officer_login_client(client, make_officer("clerk", gent))


@pytest.mark.parametrize("value", NOT_IDS)
def test_moderating_an_opinion_named_by_anything_but_an_id(clerk, topic, value):
    """The moderation form's opinion field was passed to the database as it came: a space
    answered 500 ("Field 'id' expected a number"), a 30-digit number overflowed."""
    for action, field in [("hide", "opinion"), ("select", "opinion"), ("block", "participant")]:
        response = clerk.post(
            f"/gent/backoffice/forum/{topic.pk}/act", {"action": action, field: value}
        )
        assert response.status_code == 302
    for page, field in [
        ("/gent/backoffice/petitions/", "petition"),
        ("/gent/backoffice/outbox/", "message"),
        ("/gent/backoffice/forum/", "suggestion"),
    ]:
        response = clerk.post(page, {"action": "adopt", field: value}, follow=True)
        assert response.status_code == 200
        assert "No such" in response.content.decode()
    assert not OutboxMessage.objects.exists()


def test_a_topic_whose_dates_do_not_exist(clerk, gent):
    """30 February was a ValueError shown as Python's English text; a date in year 1 or a
    word was taken as "no date"."""
    for closes in ["2027-02-30", "0001-01-01", "tomorrow"]:
        response = clerk.post(
            "/gent/backoffice/forum/",
            {"title_nl": "Een plein", "summary_nl": "Wat?", "closes_at": closes},
            follow=True,
        )
        assert "Give a date like 2027-03-01." in response.content.decode()
    assert not Topic.objects.exists()


def test_a_minimum_age_that_is_not_a_number(clerk, gent):
    response = clerk.post(
        "/gent/backoffice/forum/",
        {"title_nl": "Een plein", "summary_nl": "Wat?", "min_age": HUGE * 200},
        follow=True,
    )
    assert "Give a whole number." in response.content.decode()
    assert not Topic.objects.exists()


def test_a_page_number_beyond_the_database(client, topic):
    """?page=10**30 made an OFFSET no database takes."""
    for page in [HUGE, "-5", "x", "0"]:
        assert client.get(f"/gent/forum/{topic.pk}", {"page": page}).status_code == 200


def test_a_token_that_lives_for_ever(client, gent, add_people):
    """A citizen's token for 10**30 days, or 5,000 digits of days (beyond Python's
    int() limit), or a token to revoke named by text."""
    add_people(gent, person_record(dt.date(1980, 1, 1), 11))
    from eloket.register.models import Person

    client.force_login(citizen_user(Person.objects.get()))
    client.cookies["eloket_language"] = "en"
    for days in [HUGE, "9" * 5000, "1.5", "abc"]:
        response = client.post(
            "/gent/my/security", {"action": "create", "name": "x", "days": days}, follow=True
        )
        assert response.status_code == 200
        text = response.content.decode()
        assert "Give a whole number." in text or "from 1 to 365 days" in text
    assert not ApiToken.objects.exists()
    for token in NOT_IDS:
        response = client.post("/gent/my/security", {"action": "revoke", "token": token})
        assert response.status_code in (200, 302)
