"""Petitions (issue 5): co-initiators, admissibility, eligible residents sign once each
(also at once), a threshold from the register opens a case with a deadline, the answer
is published and signers are told."""

import datetime as dt
import threading

import pytest
from django.core import mail

from conftest import bearer, citizen_user, person_record
from eloket.cases.models import Case, Status
from eloket.common.actors import Actor
from eloket.common.errors import ApplicationError
from eloket.petitions import services
from eloket.petitions.models import PetitionRules, PetitionStatus, Signature, ThresholdKind
from eloket.register.models import Person


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
        municipality=gent, user=people["R0"], title="Meer bomen", text="Plant **bomen**."
    )
    with pytest.raises(ApplicationError) as refused:
        services.petition_submit(petition=petition, user=people["R0"])
    assert refused.value.code == "coinitiators_missing"
    services.petition_join(petition=petition, user=people["R1"])
    services.petition_join(petition=petition, user=people["R2"])
    services.petition_submit(petition=petition, user=people["R0"])
    return services.petition_admit(
        petition=petition, actor=Actor.for_municipality(gent), admissible=True
    )


def test_signing_period_and_threshold_from_the_rules(open_petition):
    assert open_petition.status == PetitionStatus.SIGNING
    assert open_petition.threshold == 3 and open_petition.eligible_residents == 10


def test_percentage_of_eligible_residents(gent, people):
    PetitionRules.objects.update_or_create(
        municipality=gent, defaults={"threshold_kind": ThresholdKind.PERCENT, "threshold_value": 25}
    )
    assert services.threshold_for(gent) == (3, 10)  # 25 % of the 10 residents aged 16+, rounded up


@pytest.mark.parametrize(("who", "code"), [("Outsider", "not_resident"), ("Kid", "too_young")])
def test_ineligible_cannot_sign(open_petition, people, who, code):
    with pytest.raises(ApplicationError) as refused:
        services.petition_sign(petition=open_petition, user=people[who])
    assert refused.value.code == code
    assert Signature.objects.count() == 0


def test_a_second_signature_does_not_count(open_petition, people):
    services.petition_sign(petition=open_petition, user=people["R3"])
    with pytest.raises(ApplicationError) as refused:
        services.petition_sign(petition=open_petition, user=people["R3"])
    assert refused.value.code == "already_signed"
    open_petition.refresh_from_db()
    assert open_petition.signature_count == 1


def test_reaching_the_threshold_opens_a_case_and_the_answer_reaches_the_signers(
    gent, open_petition, people, django_capture_on_commit_callbacks
):
    for name in ("R3", "R4", "R5"):
        services.petition_sign(petition=open_petition, user=people[name])
    open_petition.refresh_from_db()
    assert open_petition.status == PetitionStatus.THRESHOLD_REACHED
    case = Case.objects.get(pk=open_petition.case_id)
    assert case.kind == "petition" and case.status == Status.IN_REVIEW
    assert case.due_at > case.created_at + dt.timedelta(days=80)
    services.petition_sign(petition=open_petition, user=people["R6"])  # still open for signing
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.petition_answer(
            petition=open_petition,
            actor=Actor.for_municipality(gent),
            answer="We planten 200 bomen.",
        )
    case.refresh_from_db()
    assert case.status == Status.ANSWERED
    # In the signers' language: Gent's first, Dutch, as they never chose one.
    told = sorted(m.to[0] for m in mail.outbox if "beantwoordde de petitie" in m.subject)
    assert told == sorted(people[n].email for n in ("R3", "R4", "R5", "R6"))
    # The initiator follows the case like any request.
    assert any(m.to == [people["R0"].email] and case.display_code in m.subject for m in mail.outbox)


def test_inadmissible_needs_a_published_reason(gent, people):
    petition = services.petition_start(municipality=gent, user=people["R0"], title="X", text="Y")
    for name in ("R1", "R2"):
        services.petition_join(petition=petition, user=people[name])
    services.petition_submit(petition=petition, user=people["R0"])
    with pytest.raises(ApplicationError):
        services.petition_admit(petition=petition, actor=Actor.system("t"), admissible=False)
    services.petition_admit(
        petition=petition,
        actor=Actor.system("t"),
        admissible=False,
        reason="Not a municipal matter.",
    )
    assert petition.status == PetitionStatus.INADMISSIBLE


def test_api_lists_signing_first_and_signs(client, gent, open_petition, people):
    services.petition_start(municipality=gent, user=people["R9"], title="Draft", text="d")
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
    petition = services.petition_start(municipality=gent, user=users[0], title="T", text="t")
    for user in users[1:3]:
        services.petition_join(petition=petition, user=user)
    services.petition_submit(petition=petition, user=users[0])
    services.petition_admit(petition=petition, actor=Actor.system("t"), admissible=True)
    barrier = threading.Barrier(4)

    def sign():
        try:
            barrier.wait(timeout=5)
            services.petition_sign(petition=petition, user=users[3])
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
