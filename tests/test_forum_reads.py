"""The topic page's reads are written out in SQL for speed (forum/selectors.py,
identity/selectors.py, register.selectors.resident_sql): here they are held to the ORM
queries they stand for, case by case."""

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from conftest import citizen_user, person_record
from eloket.common.actors import Actor
from eloket.common.errors import NotFound
from eloket.forum import selectors, services
from eloket.forum.display import display_name
from eloket.forum.models import Attachment, ExpertOpinion, Opinion, OpinionState, Phase
from eloket.forum.services import participation
from eloket.identity.eligibility import participant_actor
from eloket.identity.models import OfficerRole
from eloket.identity.selectors import citizen_person_in, officer_role_in
from eloket.register.models import Address, Person
from eloket.register.selectors import is_resident


@pytest.fixture
def people(gent, brugge, add_people):
    records = [
        person_record(
            dt.date(1970 + i, 3, 1),
            40 + i,
            first=f"Gent{i}",
            household=f"F{i}",
            relation="reference",
        )
        for i in range(8)
    ]
    add_people(gent, *records)
    add_people(brugge, person_record(dt.date(1980, 1, 1), 70, first="Brugge0", street="Markt"))
    today = timezone.localdate()
    by_name = {p.first_names: p for p in Person.objects.all()}
    # Gent1 moved out last year; Gent2's address starts next month; Gent3 died yesterday;
    # Gent4 dies today (no longer a resident today); Gent5 only has a second residence;
    # Gent6 moved within Gent (an old address closed, a new one open).
    Address.objects.filter(person=by_name["Gent1"]).update(valid_to=today - dt.timedelta(days=365))
    Address.objects.filter(person=by_name["Gent2"]).update(valid_from=today + dt.timedelta(days=30))
    Person.objects.filter(pk=by_name["Gent3"].pk).update(date_of_death=today - dt.timedelta(days=1))
    Person.objects.filter(pk=by_name["Gent4"].pk).update(date_of_death=today)
    Address.objects.filter(person=by_name["Gent5"]).update(is_main_residence=False)
    old = Address.objects.get(person=by_name["Gent6"])
    Address.objects.filter(pk=old.pk).update(valid_to=today - dt.timedelta(days=10))
    old.pk = None
    old.street, old.valid_from, old.valid_to = "Kouter", today - dt.timedelta(days=9), None
    old.save()
    return {name: Person.objects.get(pk=p.pk) for name, p in by_name.items()}


def test_residence_in_sql_agrees_with_the_register(gent, brugge, people):
    seen = {}
    for name, person in people.items():
        user = citizen_user(person)
        for municipality in (gent, brugge):
            found = citizen_person_in(user, municipality)
            assert found is not None and found.pk == person.pk
            assert found.resident == is_resident(person=person, municipality=municipality)
            seen[(name, municipality.slug)] = found.resident
    assert seen[("Gent0", "gent")] and seen[("Gent6", "gent")] and seen[("Brugge0", "brugge")]
    for name in ("Gent1", "Gent2", "Gent3", "Gent4", "Gent5"):
        assert not seen[(name, "gent")], name
    assert not seen[("Gent0", "brugge")] and not seen[("Brugge0", "gent")]


def test_no_person_for_anonymous_or_officers(gent, make_officer):
    assert citizen_person_in(AnonymousUser(), gent) is None
    assert citizen_person_in(make_officer("clerk", gent), gent) is None


def test_officer_role(gent, brugge, make_officer):
    clerk = make_officer("clerk", gent)
    role = officer_role_in(clerk, gent)
    assert role is not None and role.role == "clerk" and role.municipality == gent
    assert officer_role_in(clerk, brugge) is None
    clerk.is_active = False
    clerk.save()
    assert officer_role_in(clerk, gent) is None
    assert officer_role_in(AnonymousUser(), gent) is None
    assert OfficerRole.objects.count() == 1


@pytest.fixture
def topic(gent):
    return services.topic_create(
        actor=Actor.system("test", gent),
        municipality=gent,
        title={"nl": "Plein"},
        phase=Phase.OPEN,
        min_age=16,
    )


def test_topic_for_the_page(gent, brugge, topic, people):
    user = citizen_user(people["Gent0"])
    page = selectors.topic_for_page(
        municipality=gent, topic_id=topic.pk, viewer=user, moderator=False
    )
    assert (page.pk, page.title, page.phase) == (topic.pk, {"nl": "Plein"}, "open")
    assert isinstance(page.opens_at, dt.datetime) or page.opens_at is None
    assert (page.has_attachments, page.has_experts, page.following) == (False, False, False)
    services.follow(
        actor=participant_actor(user), municipality=gent, topic=topic, email="gent0@example.org"
    )
    Attachment.objects.create(
        municipality=gent,
        topic=topic,
        title="Plan",
        filename="plan.pdf",
        content_type="application/pdf",
        size=3,
        data=b"%PD",
    )
    ExpertOpinion.objects.create(
        municipality=gent, topic=topic, name="Prof", role="Architect", statement={"nl": "Ja"}
    )
    page = selectors.topic_for_page(
        municipality=gent, topic_id=topic.pk, viewer=user, moderator=False
    )
    assert (page.has_attachments, page.has_experts, page.following) == (True, True, True)
    anonymous = selectors.topic_for_page(
        municipality=gent, topic_id=topic.pk, viewer=AnonymousUser(), moderator=False
    )
    assert anonymous.following is False
    # Another municipality's topic, and a draft for anyone but a moderator: not found.
    with pytest.raises(NotFound):
        selectors.topic_for_page(
            municipality=brugge, topic_id=topic.pk, viewer=user, moderator=False
        )
    services.topic_set_phase(
        actor=Actor.system("test", gent), municipality=gent, topic=topic, phase=Phase.DRAFT
    )
    with pytest.raises(NotFound):
        selectors.topic_for_page(municipality=gent, topic_id=topic.pk, viewer=user, moderator=False)
    assert (
        selectors.topic_for_page(
            municipality=gent, topic_id=topic.pk, viewer=user, moderator=True
        ).phase
        == Phase.DRAFT
    )


def orm_page(topic, *, order, page, moderator=False, parent=None):
    qs = Opinion.objects.filter(topic=topic, parent=parent)
    if not moderator:
        qs = qs.filter(state=OpinionState.PUBLISHED)
    start = (page - 1) * selectors.PAGE_SIZE
    return list(
        qs.order_by(*selectors.ORDERS[order]).values_list("pk", flat=True)[
            start : start + selectors.PAGE_SIZE
        ]
    )


def test_opinions_page_agrees_with_the_orm(gent, topic, people, monkeypatch):
    monkeypatch.setattr(participation, "OPINIONS_PER_10_MINUTES", 1000)
    authors = [citizen_user(people[name]) for name in ("Gent0", "Gent6")]
    opinions = []
    for i in range(45):
        opinions.append(
            services.opinion_post(
                actor=participant_actor(authors[i % 2]),
                municipality=gent,
                topic=topic,
                text=f"Mening nummer {i}",
            )
        )
    # Spread the times and supports so that both orders differ; hide two, reply to one.
    for i, opinion in enumerate(opinions):
        Opinion.objects.filter(pk=opinion.pk).update(
            created_at=timezone.now() - dt.timedelta(minutes=7 * i % 45), agree=(i * 13) % 17
        )
    moderator = Actor(kind="officer", label="Moderator", municipality=gent, role="clerk")
    for opinion in opinions[3:5]:
        services.opinion_moderate(
            actor=moderator, municipality=gent, opinion=opinion, action="hide", reason="Spam"
        )
    reply = services.opinion_post(
        actor=participant_actor(authors[1]),
        municipality=gent,
        topic=topic,
        text="Een antwoord",
        parent=opinions[0],
    )
    viewer = authors[1]
    as_viewer = participant_actor(viewer)
    for opinion, value in ((opinions[0], 1), (opinions[2], -1), (opinions[6], 0)):
        services.vote_cast(actor=as_viewer, municipality=gent, opinion=opinion, value=value)
    votes = {opinions[0].pk: 1, opinions[2].pk: -1, opinions[6].pk: 0}
    for order in ("new", "top"):
        for moderating in (False, True):
            for page in (1, 2, 3):
                rows, more = selectors.opinions_page(
                    municipality=gent,
                    topic=topic,
                    viewer=viewer,
                    order=order,
                    page=page,
                    moderator=moderating,
                )
                expected = orm_page(topic, order=order, page=page, moderator=moderating)
                assert [r.opinion.pk for r in rows] == expected, (order, moderating, page)
                total = 45 if moderating else 43
                assert more == (page * selectors.PAGE_SIZE < total)
                for row in rows:
                    assert row.my_vote == votes.get(row.opinion.pk)
                    assert row.own == (row.opinion.participant.user_id == viewer.pk)
                    assert row.name == display_name(row.opinion.participant, topic)
                    assert isinstance(row.opinion.created_at, dt.datetime)
    anonymous, _more = selectors.opinions_page(
        municipality=gent, topic=topic, viewer=AnonymousUser()
    )
    assert all(r.my_vote is None and not r.own for r in anonymous)
    replies, _more = selectors.opinions_page(
        municipality=gent, topic=topic, viewer=viewer, parent=opinions[0]
    )
    assert [r.opinion.pk for r in replies] == [reply.pk]
    # Fields not read by the page still load on use.
    assert rows[0].opinion.participant.created_at is not None


def test_topic_page_takes_any_page_number(client, topic):
    """Garbage, negative and huge page numbers give a page (past the end: empty), not a 500."""
    for query in ("?page=99999999999999999999999", "?page=-5", "?page=abc&order=zzz"):
        answer = client.get(f"/gent/forum/{topic.pk}{query}")
        assert answer.status_code == 200, query
