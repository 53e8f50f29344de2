"""Petitions (issue 5): co-initiators, admissibility, eligible residents sign once each
(also at once), a threshold from the register opens a case with a deadline, the answer
is published and signers are told."""

import datetime as dt
import threading

import pytest
from django.core import mail

from conftest import bearer, citizen_user, person_record
from eloket.cases.models import Case
from eloket.common.actors import Actor
from eloket.common.errors import ApplicationError
from eloket.identity.eligibility import participant_actor
from eloket.petitions import selectors, services
from eloket.petitions.models import PetitionRules, PetitionStatus, Signature, ThresholdKind
from eloket.register.models import Person


def who(user):
    return participant_actor(user)


@pytest.fixture
def people(gent, brugge, add_people):
    add_people(
        gent,
        *[
            person_record(
                dt.date(1960 + i, 5, 1),
                80 + i,
                first=f"R{i}",
                household=f"P{i}",
                relation="reference",
            )
            for i in range(10)
        ],
        person_record(dt.date(2015, 1, 1), 99, first="Kid", household="K1", relation="reference"),
    )
    add_people(brugge, person_record(dt.date(1980, 1, 1), 70, first="Outsider", street="Markt"))
    users = {p.first_names: citizen_user(p) for p in Person.objects.all()}
    for user in users.values():
        user.email = f"{user.username}@example.org"
        user.save()
    return users


@pytest.fixture
def open_petition(gent, people):
    PetitionRules.objects.update_or_create(
        municipality=gent,
        defaults={
            "min_coinitiators": 2,
            "threshold_kind": ThresholdKind.COUNT,
            "threshold_value": 3,
        },
    )
    petition = services.petition_start(
        actor=who(people["R0"]), municipality=gent, title="Meer bomen", text="Plant **bomen**."
    )
    with pytest.raises(ApplicationError) as refused:
        services.petition_submit(
            actor=who(people["R0"]), municipality=petition.municipality, petition=petition
        )
    assert refused.value.code == "coinitiators_missing"
    services.petition_join(
        actor=who(people["R1"]), municipality=petition.municipality, petition=petition
    )
    services.petition_join(
        actor=who(people["R2"]), municipality=petition.municipality, petition=petition
    )
    services.petition_submit(
        actor=who(people["R0"]), municipality=petition.municipality, petition=petition
    )
    return services.petition_admit(
        actor=Actor.for_municipality(gent),
        municipality=petition.municipality,
        petition=petition,
        admissible=True,
    )


def test_signing_period_and_threshold_from_the_rules(open_petition):
    assert open_petition.status == PetitionStatus.SIGNING
    assert open_petition.threshold == 3 and open_petition.eligible_residents == 10


def test_percentage_of_eligible_residents(gent, people):
    PetitionRules.objects.update_or_create(
        municipality=gent, defaults={"threshold_kind": ThresholdKind.PERCENT, "threshold_value": 25}
    )
    assert selectors.threshold_for(municipality=gent) == (
        3,
        10,
    )  # 25 % of the 10 residents aged 16+, rounded up


@pytest.mark.parametrize(("name", "code"), [("Outsider", "not_resident"), ("Kid", "too_young")])
def test_ineligible_cannot_sign(open_petition, people, name, code):
    with pytest.raises(ApplicationError) as refused:
        services.petition_sign(
            actor=who(people[name]), municipality=open_petition.municipality, petition=open_petition
        )
    assert refused.value.code == code
    assert Signature.objects.count() == 0


def test_a_second_signature_does_not_count(open_petition, people):
    services.petition_sign(
        actor=who(people["R3"]), municipality=open_petition.municipality, petition=open_petition
    )
    with pytest.raises(ApplicationError) as refused:
        services.petition_sign(
            actor=who(people["R3"]), municipality=open_petition.municipality, petition=open_petition
        )
    assert refused.value.code == "already_signed"
    open_petition.refresh_from_db()
    assert open_petition.signature_count == 1


def test_reaching_the_threshold_opens_a_case_and_the_answer_reaches_the_signers(
    gent, open_petition, people, make_officer, django_capture_on_commit_callbacks
):
    from eloket.identity.selectors import officer_actor, officer_role_in

    clerk = officer_actor(officer_role_in(make_officer("gent.clerk", gent), gent))
    for name in ("R3", "R4", "R5"):
        services.petition_sign(
            actor=who(people[name]), municipality=open_petition.municipality, petition=open_petition
        )
    open_petition.refresh_from_db()
    assert open_petition.status == PetitionStatus.THRESHOLD_REACHED
    case = Case.objects.get(pk=open_petition.case_id)
    assert case.kind == "petition" and case.status == "in_review"
    assert case.due_at > case.created_at + dt.timedelta(days=80)
    services.petition_sign(
        actor=who(people["R6"]), municipality=open_petition.municipality, petition=open_petition
    )  # still open for signing
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.petition_answer(
            actor=clerk,
            municipality=gent,
            petition=open_petition,
            answer="We planten 200 bomen.",
        )
    case.refresh_from_db()
    assert case.status == "answered"
    # In the signers' language: Gent's first, Dutch, as they never chose one.
    told = sorted(m.to[0] for m in mail.outbox if "beantwoordde de petitie" in m.subject)
    assert told == sorted(people[n].email for n in ("R3", "R4", "R5", "R6"))
    # The initiator follows the case like any request.
    assert any(m.to == [people["R0"].email] and case.display_code in m.subject for m in mail.outbox)


def test_inadmissible_needs_a_published_reason(gent, people):
    petition = services.petition_start(
        actor=who(people["R0"]), municipality=gent, title="X", text="Y"
    )
    for name in ("R1", "R2"):
        services.petition_join(
            actor=who(people[name]), municipality=petition.municipality, petition=petition
        )
    services.petition_submit(
        actor=who(people["R0"]), municipality=petition.municipality, petition=petition
    )
    with pytest.raises(ApplicationError):
        services.petition_admit(
            actor=Actor.system("t", petition.municipality),
            municipality=petition.municipality,
            petition=petition,
            admissible=False,
        )
    services.petition_admit(
        actor=Actor.system("t", petition.municipality),
        municipality=petition.municipality,
        petition=petition,
        admissible=False,
        reason="Not a municipal matter.",
    )
    assert petition.status == PetitionStatus.INADMISSIBLE


def test_api_lists_signing_first_and_signs(client, gent, open_petition, people):
    services.petition_start(actor=who(people["R9"]), municipality=gent, title="Draft", text="d")
    listed = client.get("/api/v1/m/gent/petitions").json()
    assert [p["title"] for p in listed["results"]] == ["Meer bomen"]  # drafts are not public
    assert listed["results"][0]["url"].endswith(f"/gent/petitions/{open_petition.pk}")
    signed = client.post(
        f"/api/v1/m/gent/petitions/{open_petition.pk}/signatures", **bearer(people["R7"])
    )
    assert signed.status_code == 201 and signed.json()["signature_count"] == 1
    again = client.post(
        f"/api/v1/m/gent/petitions/{open_petition.pk}/signatures", **bearer(people["R7"])
    )
    assert again.status_code == 400 and again.json()["code"] == "already_signed"
    outsider = client.post(
        f"/api/v1/m/gent/petitions/{open_petition.pk}/signatures", **bearer(people["Outsider"])
    )
    assert outsider.status_code == 403


@pytest.mark.skipif(
    "sqlite" in __import__("os").environ.get("DATABASE_URL", "sqlite"),
    reason="SQLite's shared in-memory test database locks whole tables; CI runs this on PostgreSQL",
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_signatures_count_once(gent, add_people):
    from django.db import connection

    add_people(
        gent, *[person_record(dt.date(1970 + i, 3, 1), 40 + i, first=f"S{i}") for i in range(4)]
    )
    users = [citizen_user(p) for p in Person.objects.order_by("pk")]
    PetitionRules.objects.update_or_create(municipality=gent, defaults={"min_coinitiators": 2})
    petition = services.petition_start(actor=who(users[0]), municipality=gent, title="T", text="t")
    for user in users[1:3]:
        services.petition_join(
            actor=who(user), municipality=petition.municipality, petition=petition
        )
    services.petition_submit(
        actor=who(users[0]), municipality=petition.municipality, petition=petition
    )
    services.petition_admit(
        actor=Actor.system("t", petition.municipality),
        municipality=petition.municipality,
        petition=petition,
        admissible=True,
    )
    barrier = threading.Barrier(4)

    def sign():
        try:
            barrier.wait(timeout=5)
            services.petition_sign(
                actor=who(users[3]), municipality=petition.municipality, petition=petition
            )
        except ApplicationError:
            pass
        finally:
            connection.close()

    threads = [threading.Thread(target=sign) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    petition.refresh_from_db()
    assert Signature.objects.count() == 1 and petition.signature_count == 1
