"""A citizen's order about a relative whom the municipality's register does not hold
(issue 14, point 5): Jan, of Gent, orders the death extract of his father, who lived and
died in Antwerpen (a municipality Eloket does not serve). Eloket asks the national
register (the real peer process) through the messaging engine; its signed answer decides
whether Jan may have it and makes the document; nothing is copied into a register; the
read is in the father's access log (the national register's consultation log, and Eloket's
wherever a register on the platform holds him). A register that is down refuses the order
in the citizen's language, with nothing written."""

import datetime as dt
import json
import urllib.request

import pytest
from django.utils import translation
from django.utils.translation import gettext

from conftest import bearer, citizen_user, officer_login_client, person_record
from eloket.cases.models import Case
from eloket.certificates.handler import OrderStatus as Status
from eloket.certificates.models import CertificateOrder
from eloket.certificates.services import OrderRequest, order_decide, order_submit
from eloket.common.errors import ApplicationError
from eloket.documents.models import IssuedDocument
from eloket.identity.selectors import citizen_actor_of, officer_actor, officer_role_in
from eloket.messaging.models import MessageLogEntry
from eloket.register.models import AccessLogEntry, Person
from test_messaging_lookup import JAN, configured, free_port, peer, pki  # noqa: F401 (fixtures)

# The peer's seed (eloket registry-peer): Jan's father died in Antwerpen, his mother lives.
FATHER = "56021198173"
MOTHER = "58060498261"
PURPOSE = "Ordering a certificate: Extract of a death certificate"


@pytest.fixture
def registry(request) -> str:
    """The peer process, and Eloket configured to ask it (test_messaging_lookup's)."""
    return str(request.getfixturevalue("configured"))


def after_commit():
    from django.test import TestCase

    return TestCase.captureOnCommitCallbacks(execute=True)


@pytest.fixture
def jan(gent, add_people):
    """Jan Peeters of Gent, under the number the national register knows (the demo's), and
    Pieter, a neighbour, no relative of Marc."""
    add_people(
        gent,
        person_record(dt.date(1985, 7, 30), 25, first="Jan", household="G1", relation="reference"),
        person_record(
            dt.date(1968, 12, 24), 37, first="Pieter", last="Wouters", household="G2",
            relation="reference",
        ),
    )  # fmt: skip
    assert Person.objects.get(first_names="Jan").national_id == JAN
    return citizen_user(Person.objects.get(first_names="Jan"))


def death_extract(municipality, user, subject: str, **extra):
    request = OrderRequest(
        certificate_type="death_extract",
        subject=subject,
        language=extra.pop("language", "nl"),
        delivery="download",
        contact_email="jan@example.org",
    )
    with after_commit():
        case, _created = order_submit(
            actor=citizen_actor_of(user), municipality=municipality, order_request=request, **extra
        )
    case.refresh_from_db()
    return case


def consultations(peer_url: str, number: str) -> list[dict]:
    request = urllib.request.Request(  # noqa: S310 (the test's peer on loopback)
        f"{peer_url}/consultations",
        data=json.dumps({"national_number": number}).encode(),
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
        return json.loads(response.read())


def control(peer_url: str, mode: str) -> None:
    request = urllib.request.Request(  # noqa: S310 (the test's peer on loopback)
        f"{peer_url}/control", data=json.dumps({"mode": mode}).encode(), method="POST"
    )
    with urllib.request.urlopen(request, timeout=5):  # noqa: S310
        pass


def pdf_text(data: bytes) -> str:
    import io

    from pypdf import PdfReader

    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def lookups() -> list[MessageLogEntry]:
    return list(MessageLogEntry.objects.filter(type__startswith="PersonLookup").order_by("pk"))


@pytest.mark.django_db
def test_the_death_extract_of_a_parent_who_died_elsewhere(
    registry, gent, jan, seals, make_officer, client
):
    people = Person.objects.count()
    before = len(consultations(registry, FATHER))
    with translation.override("en"):
        case = death_extract(gent, jan, FATHER, idempotency_key="k1")
    # Not instant: in the officers' queue, titled with the father's name from the answer.
    assert case.status == Status.IN_REVIEW
    assert case.title.endswith("Marc Peeters")
    order = CertificateOrder.objects.get(case=case)
    assert order.subject is None
    facts = order.national_subject
    assert facts["name"] == "Marc Peeters" and facts["date_of_death"] == "2025-10-03"
    assert facts["relation"] == "parent" and facts["death_act"] == "11002-2025-D-0412"
    assert FATHER not in json.dumps(facts)  # the order keeps no national number
    # Asked and answered through the engine: both signed messages in the log, tied by the
    # correlation id, no national number in them; the order used that answer.
    rows = lookups()
    assert [(r.type, r.direction, r.event) for r in rows] == [
        ("PersonLookupRequest", "out", "sent"),
        ("PersonLookupAnswer", "in", "received"),
    ]
    assert rows[1].correlation_id == rows[0].message_id
    assert facts["answer"] == rows[1].message_id
    assert all(FATHER not in f"{r.detail}{r.message_id}{r.correlation_id}" for r in rows)
    # Used, not copied into any register.
    assert Person.objects.count() == people
    assert not Person.objects.filter(national_id=FATHER).exists()
    # The national register keeps the read in the father's consultation log, with the
    # purpose (no register on the platform holds him: it is his only log).
    seen = consultations(registry, FATHER)
    assert len(seen) == before + 1 and seen[-1]["purpose"] == PURPOSE
    assert seen[-1]["message_id"] == rows[0].message_id and seen[-1]["for_relative"]

    # The same order sent again (a double click): the same case, not a second question.
    with translation.override("en"):
        again = death_extract(gent, jan, FATHER, idempotency_key="k1")
    assert again.pk == case.pk and len(lookups()) == 2

    # The clerk opens it: what the national register answered, no register data, and no
    # national number (the back office page and the API).
    clerk = make_officer("gent.clerk", gent)
    officer_login_client(client, clerk)
    desk = client.get(f"/gent/backoffice/orders/{case.tracking_code}")
    assert desk.status_code == 200
    assert "Marc Peeters" in desk.content.decode() and FATHER not in desk.content.decode()
    api = client.get(
        f"/api/v1/m/gent/backoffice/orders/{case.tracking_code}", **bearer(clerk)
    ).json()
    assert api["subject"] is None and api["national_subject"]["death_act"] == "11002-2025-D-0412"
    assert FATHER not in json.dumps(api)
    assert AccessLogEntry.objects.count() == 0  # no register data of anyone was read

    # The clerk approves: the document is made from the answer the order kept.
    with after_commit():
        order_decide(
            actor=officer_actor(officer_role_in(clerk, gent)),
            municipality=gent,
            case=case,
            decision="approve",
        )
    case.refresh_from_db()
    assert case.status == Status.DELIVERED
    document = IssuedDocument.objects.get(case=case)
    assert document.subject is None and document.summary["subject"] == "M. Peeters"
    text = pdf_text(bytes(document.pdf))
    for fact in ("Marc Peeters", "11002-2025-D-0412", "Antwerpen", "2025"):
        assert fact in text, text
    assert FATHER not in text.replace(" ", "")
    assert len(lookups()) == 2  # issuing asked nothing more
    assert Person.objects.count() == people


@pytest.mark.django_db
def test_a_register_on_the_platform_that_holds_the_parent_logs_the_read(
    registry, gent, jan, seals, make_municipality, add_people
):
    """Where Eloket keeps the father's register data (a municipality of the platform other
    than Gent), the read is a row of his access log, with the purpose, as a local read."""
    elsewhere = make_municipality("elsewhere")
    add_people(elsewhere, person_record(dt.date(1956, 2, 11), 981, first="Marc"))
    marc = Person.objects.get(national_id=FATHER)
    with translation.override("en"):
        case = death_extract(gent, jan, FATHER)
    assert CertificateOrder.objects.get(case=case).subject is None  # not Gent's register
    entry = AccessLogEntry.objects.get(person=marc)
    assert entry.purpose == PURPOSE
    assert entry.actor_kind == "citizen" and entry.municipality_id == elsewhere.pk
    assert entry.actor_label.startswith("Jan")


@pytest.mark.django_db
def test_not_a_parent_and_a_living_parent_are_refused(registry, gent, jan):
    pieter = citizen_user(Person.objects.get(first_names="Pieter"))
    with pytest.raises(ApplicationError) as refused:
        death_extract(gent, pieter, FATHER)
    # The same answer as for anyone unrelated: the register told Eloket nothing of Marc.
    assert refused.value.code == "not_allowed_for_subject"
    assert "Marc" not in str(refused.value)
    with pytest.raises(ApplicationError) as refused:
        death_extract(gent, jan, MOTHER)
    assert refused.value.code == "subject_not_deceased"
    assert "Rita Wouters" in str(refused.value)
    # Nobody by that number: the same refusal as "not a relative".
    from eloket.register.national_ids import make_belgian_number

    with pytest.raises(ApplicationError) as refused:
        death_extract(gent, jan, make_belgian_number(dt.date(1950, 1, 1), 997))
    assert refused.value.code == "not_allowed_for_subject"
    assert Case.objects.count() == 0 and CertificateOrder.objects.count() == 0
    assert AccessLogEntry.objects.count() == 0
    assert not Person.objects.filter(national_id__in=[FATHER, MOTHER]).exists()


@pytest.mark.django_db
def test_a_register_that_is_down_refuses_the_order_in_the_citizens_language(
    registry, gent, jan, settings
):
    settings.ELOKET_REGISTRY_URL = f"http://127.0.0.1:{free_port()}"  # nobody listens
    with translation.override("nl"), pytest.raises(ApplicationError) as refused:
        death_extract(gent, jan, FATHER)
    assert refused.value.code == "registry_unavailable" and refused.value.status == 503
    with translation.override("nl"):
        expected = gettext(
            "We could not ask the national register about this person just now, so "
            "nothing was ordered. Try again in a few minutes."
        )
    assert str(refused.value) == expected and "Rijksregister" in expected
    # The peer up but answering 503 to everything (its `down` mode): the same.
    settings.ELOKET_REGISTRY_URL = registry
    control(registry, "down")
    try:
        with translation.override("nl"), pytest.raises(ApplicationError) as refused:
            death_extract(gent, jan, FATHER)
    finally:
        control(registry, "normal")
    assert str(refused.value) == expected
    # Nothing half-done: no case, no order, no access log; the message log says it failed.
    assert Case.objects.count() == 0 and CertificateOrder.objects.count() == 0
    assert AccessLogEntry.objects.count() == 0
    assert [(r.type, r.event) for r in lookups()] == [
        ("PersonLookupRequest", "sent"),
        ("PersonLookupRequest", "failed"),
    ] * 2


@pytest.mark.django_db
def test_without_a_national_register_configured_nothing_is_asked(gent, jan, settings):
    settings.ELOKET_REGISTRY_URL = ""
    with pytest.raises(ApplicationError) as refused:
        death_extract(gent, jan, FATHER)
    assert refused.value.code == "not_allowed_for_subject"
    assert lookups() == []


@pytest.mark.django_db
def test_the_form_asks_by_number_in_the_body_and_shows_the_answer(registry, gent, jan, client):
    client.force_login(jan)
    form = "/gent/certificates/death_extract/order"
    page = client.get(form)
    assert page.status_code == 200, page.content[:300]
    assert 'name="subject_number"' in page.content.decode()
    review = client.post(
        form,
        {
            "subject": "other",
            "subject_number": FATHER,
            "language": "nl",
            "delivery": "download",
            "email": "jan@example.org",
            "action": "review",
        },
    )
    assert review.status_code == 200, review.content.decode()[:2000]
    assert "Marc Peeters" in review.content.decode()
    confirm = client.post(
        form,
        {
            "subject": "other",
            "subject_number": FATHER,
            "language": "nl",
            "delivery": "download",
            "email": "jan@example.org",
            "form_token": "t1",
            "action": "confirm",
        },
    )
    assert confirm.status_code == 302 and FATHER not in confirm["Location"]
    order_page = client.get(confirm["Location"])
    assert "Marc Peeters" in order_page.content.decode()
    assert FATHER not in order_page.content.decode()
