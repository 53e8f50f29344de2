"""Demo requests for the README's personas, one of every kind, made through the same
services as a real citizen would: Jan Peeters's order of Lotte's birth extract waits for
an officer; Sofie Claes's petition for a play street passed its threshold, and its
answer case waits for the municipality; Jan's street party waits in the events
department's queue. Idempotent."""

from typing import Any

from django.contrib.auth.models import User
from django.utils import translation

from eloket.common.actors import Actor
from eloket.tenants.models import Municipality

PLAY_STREET = "Een speelstraat in de Sleepstraat, elke woensdagnamiddag"


def _persona_account(municipality: Municipality, key: str) -> User | None:
    from eloket.demo.services import demo_citizens
    from eloket.identity.services import citizen_account
    from eloket.register.selectors import person_for_identifier

    number, _name = demo_citizens(municipality.slug)[key]
    person = person_for_identifier(national_id=number, municipality=municipality)
    return citizen_account(person=person, method="oidc") if person else None


def certificate_order_in_review(municipality: Municipality) -> Any:
    from eloket.cases.models import Case
    from eloket.demo.services import demo_citizens

    jan = _persona_account(municipality, "jan")
    if jan is None or Case.objects.filter(requester=jan, kind="certificate_order").exists():
        return None
    lotte, _name = demo_citizens(municipality.slug)["lotte"]
    # As Jan would, on Gent's pages in Dutch: the order's title is in his language.
    with translation.override(municipality.default_language):
        return _order(municipality, jan, lotte)


def _order(municipality: Municipality, jan: User, lotte: str) -> Any:
    from eloket.certificates.services import OrderRequest, order_submit
    from eloket.identity.selectors import citizen_actor_of

    case, _new = order_submit(
        actor=citizen_actor_of(jan),  # type: ignore[arg-type]
        municipality=municipality,
        order_request=OrderRequest(
            certificate_type="birth_extract",
            subject=lotte,
            language="nl",
            delivery="download",
            purpose="Inschrijving in de muziekschool",
        ),
        idempotency_key="demo:jan:birth_extract",
    )
    return case


def petition_with_answer_case(municipality: Municipality) -> Any:
    from eloket.demo.participation import _adults, on_the_demo_page
    from eloket.identity.selectors import citizen_actor_of
    from eloket.identity.services import citizen_account
    from eloket.petitions.models import Petition, Signature
    from eloket.petitions.services import (
        petition_admit,
        petition_join,
        petition_sign,
        petition_start,
        petition_submit,
    )

    if Petition.objects.filter(municipality=municipality, title=PLAY_STREET).exists():
        return None
    sofie = _persona_account(municipality, "sofie")
    if sofie is None:
        return None
    initiator = citizen_actor_of(sofie)
    assert initiator is not None
    petition = petition_start(
        actor=initiator,
        municipality=municipality,
        title=PLAY_STREET,
        text=(
            "Wij vragen de stad om de **Sleepstraat** elke woensdagnamiddag af te sluiten "
            "voor doorgaand verkeer, zodat de kinderen van de buurt er veilig kunnen spelen."
        ),
    )
    shown = on_the_demo_page(municipality)
    people = [p for p in _adults(municipality, 16, 400) if p.national_id not in shown]
    accounts = [citizen_account(person=p, method="oidc") for p in people[40:]]
    for account in accounts[:2]:
        petition_join(
            actor=citizen_actor_of(account),  # type: ignore[arg-type]
            municipality=municipality,
            petition=petition,
        )
    petition_submit(actor=initiator, municipality=municipality, petition=petition)
    petition = petition_admit(
        actor=Actor.for_municipality(municipality),
        municipality=municipality,
        petition=petition,
        admissible=True,
    )
    needed = petition.threshold or 1
    signers = list(zip(accounts, people[40:], strict=True))[:needed]
    # The signatures before the last are written at once (as if signed over the weeks);
    # the last goes through the service, which opens the answer case on the engine.
    Signature.objects.bulk_create(
        Signature(municipality=municipality, petition=petition, user=user, person_ref=person.pk)
        for user, person in signers[:-1]
    )
    Petition.objects.filter(pk=petition.pk).update(signature_count=len(signers) - 1)
    last_user, _person = signers[-1]
    petition_sign(
        actor=citizen_actor_of(last_user),  # type: ignore[arg-type]
        municipality=municipality,
        petition=petition,
    )
    return petition


# Jan's street party: a service request (issue 12) in the events department's queue, for
# `gent.events` to take up (and not for the population office's `gent.clerk`).
STREET_PARTY = {
    "event_name": "Buurtfeest Sleepstraat",
    "event_kind": "street_party",
    "event_date": "2027-06-19",
    "visitors": 150,
    "location": {
        "address": {"street": "Sleepstraat", "number": "12", "postcode": "9000", "city": "Gent"}
    },
    "road_closure": True,
    "alcohol": False,
    "closed_streets": "Sleepstraat tussen de Tolhuislaan en de Gasmeterlaan, 14 tot 23 uur.",
    "organiser": "Buurtcomité Sleepstraat",
    "phone": "+32 9 210 10 10",
    "truthful": True,
}


def event_permit_request(municipality: Municipality) -> Any:
    from eloket.cases.models import CaseType
    from eloket.identity.selectors import citizen_actor_of
    from eloket.services.services import service_request_submit

    offered = CaseType.objects.filter(
        municipality=municipality, code="event_permit", handler="service", current=True
    ).first()
    jan = _persona_account(municipality, "jan")
    if offered is None or not offered.active or jan is None:
        return None
    with translation.override(municipality.default_language):
        case, _new = service_request_submit(
            actor=citizen_actor_of(jan),  # type: ignore[arg-type]
            municipality=municipality,
            code="event_permit",
            answers=STREET_PARTY,
            idempotency_key="demo:jan:event_permit",
        )
    return case


# An De Smet's neighbourhood festival: more than 5,000 visitors, so the event permit's
# chain asks the head of events and then an administrator. The demo walks it, so that
# /verify/ shows a decision with two officers' signatures and the seal (issue 13).
FESTIVAL = {
    **STREET_PARTY,
    "event_name": "Feest in het Patershol",
    "event_kind": "concert",
    "event_date": "2027-07-17",
    "visitors": 8000,
    "location": {
        "address": {"street": "Kraanlei", "number": "1", "postcode": "9000", "city": "Gent"}
    },
    "closed_streets": "Kraanlei en Oudburg, 10 tot 24 uur.",
    "organiser": "Vzw Patersholfeesten",
}


def event_permit_decided_by_chain(municipality: Municipality) -> Any:
    from eloket.approvals.models import DraftDecision
    from eloket.approvals.services import approval_act
    from eloket.cases.models import CaseType
    from eloket.cases.services import case_act
    from eloket.identity.models import OfficerRole
    from eloket.identity.selectors import citizen_actor_of, officer_actor
    from eloket.services.services import service_request_submit

    offered = CaseType.objects.filter(
        municipality=municipality, code="event_permit", handler="service", current=True
    ).first()
    an = _persona_account(municipality, "an")
    if offered is None or not offered.active or an is None:
        return None

    def officer(suffix: str) -> Any:
        role = (
            OfficerRole.objects.filter(
                municipality=municipality, user__username=f"{municipality.slug}.{suffix}"
            )
            .select_related("user", "municipality")
            .first()
        )
        return officer_actor(role) if role is not None else None

    clerk, head, admin = officer("events"), officer("events_head"), officer("admin")
    if clerk is None or head is None or admin is None:
        return None
    with translation.override(municipality.default_language):
        case, _new = service_request_submit(
            actor=citizen_actor_of(an),  # type: ignore[arg-type]
            municipality=municipality,
            code="event_permit",
            answers=FESTIVAL,
            idempotency_key="demo:an:event_permit",
        )
        if DraftDecision.objects.filter(case=case).exists() or case.status != "submitted":
            return case
        case_act(
            actor=clerk,
            municipality=municipality,
            case=case,
            action="approve",
            reason="Toegestaan; de Kraanlei blijft vrij voor hulpdiensten.",
        )
        for approver in (head, admin):
            approval_act(actor=approver, municipality=municipality, case=case, action="approve")
    return case


# Ahmed El Amrani's veranda: a building permit whose public inquiry is open now, so that
# anyone may try objecting (issue 13). The planning clerk found it complete.
VERANDA = {
    "works_kind": "extension",
    "description": "Een veranda van 12 m² achteraan de woning, 2,5 m hoog, in glas en hout.",
    "architect_involved": False,
    "location": {
        "address": {
            "street": "Sint-Pietersnieuwstraat",
            "number": "41",
            "postcode": "9000",
            "city": "Gent",
        }
    },
    "parcel": "44021A0411/02B",
    "heritage": False,
    "applicant": "Ahmed El Amrani",
    "phone": "+32 9 210 10 20",
    "truthful": True,
}


def building_permit_under_inquiry(municipality: Municipality) -> Any:
    from eloket.cases.models import CaseType
    from eloket.cases.services import case_act
    from eloket.identity.models import OfficerRole
    from eloket.identity.selectors import citizen_actor_of, officer_actor
    from eloket.inquiries.models import PublicInquiry
    from eloket.services.services import service_request_submit

    offered = CaseType.objects.filter(
        municipality=municipality, code="building_permit", handler="service", current=True
    ).first()
    ahmed = _persona_account(municipality, "ahmed")
    role = (
        OfficerRole.objects.filter(
            municipality=municipality, user__username=f"{municipality.slug}.planning"
        )
        .select_related("user", "municipality")
        .first()
    )
    if offered is None or not offered.active or ahmed is None or role is None:
        return None
    with translation.override(municipality.default_language):
        case, _new = service_request_submit(
            actor=citizen_actor_of(ahmed),  # type: ignore[arg-type]
            municipality=municipality,
            code="building_permit",
            answers=VERANDA,
            idempotency_key="demo:ahmed:building_permit",
        )
        if not PublicInquiry.objects.filter(case=case).exists() and case.status == "submitted":
            case_act(
                actor=officer_actor(role),
                municipality=municipality,
                case=case,
                action="open_inquiry",
                reason="Bouwen van een veranda van 12 m² achteraan een rijwoning.",
            )
    return case


# Tom Vermeulen's carport: a building permit decided after its inquiry (which ended ten
# days ago), with a neighbour's objection answered, approved by the head of urban
# planning and an administrator: a published decision with two signatures and the seal.
CARPORT = {
    **VERANDA,
    "works_kind": "new_building",
    "description": "Een open carport in hout van 18 m² naast de woning.",
    "location": {
        "address": {"street": "Tolhuislaan", "number": "86", "postcode": "9000", "city": "Gent"}
    },
    "parcel": "44021B0866/00C",
    "applicant": "Tom Vermeulen",
}


def building_permit_decided(municipality: Municipality) -> Any:
    import datetime as dt

    from django.utils import timezone

    from eloket.approvals.services import approval_act
    from eloket.cases.models import CaseType
    from eloket.cases.services import case_act
    from eloket.identity.models import OfficerRole
    from eloket.identity.selectors import citizen_actor_of, officer_actor
    from eloket.inquiries.models import PublicInquiry
    from eloket.inquiries.services import objection_answer, objection_submit
    from eloket.services.services import service_request_submit

    offered = CaseType.objects.filter(
        municipality=municipality, code="building_permit", handler="service", current=True
    ).first()
    tom, yasmine = _persona_account(municipality, "tom"), _persona_account(municipality, "yasmine")
    roles = {
        r.user.username.split(".", 1)[1]: officer_actor(r)
        for r in OfficerRole.objects.filter(
            municipality=municipality,
            user__username__in=[
                f"{municipality.slug}.{s}" for s in ("planning", "planning_head", "alderman")
            ],
        ).select_related("user", "municipality")
    }
    if offered is None or not offered.active or tom is None or yasmine is None or len(roles) < 3:
        return None
    with translation.override(municipality.default_language):
        case, _new = service_request_submit(
            actor=citizen_actor_of(tom),  # type: ignore[arg-type]
            municipality=municipality,
            code="building_permit",
            answers=CARPORT,
            idempotency_key="demo:tom:building_permit",
        )
        if case.status != "submitted" or PublicInquiry.objects.filter(case=case).exists():
            return case
        clerk = roles["planning"]
        case_act(
            actor=clerk,
            municipality=municipality,
            case=case,
            action="open_inquiry",
            reason="Bouwen van een open carport van 18 m² naast een rijwoning.",
        )
        # The demo's clock: the inquiry ran from forty to ten days ago.
        now = timezone.now()
        PublicInquiry.objects.filter(case=case).update(
            starts_at=now - dt.timedelta(days=40), ends_at=now - dt.timedelta(days=10)
        )
        inquiry = PublicInquiry.objects.get(case=case)
        objection = objection_submit(
            actor=citizen_actor_of(yasmine),  # type: ignore[arg-type]
            municipality=municipality,
            inquiry=inquiry,
            text="De carport neemt het zicht vanuit mijn keuken op de straat weg.",
            named=False,
            now=now - dt.timedelta(days=25),
        )
        case_act(actor=clerk, municipality=municipality, case=case, action="end_inquiry")
        objection_answer(
            actor=clerk,
            municipality=municipality,
            objection=objection,
            answer="De carport is open en 2,4 m hoog; het zicht op de straat blijft vrij.",
        )
        case_act(
            actor=clerk,
            municipality=municipality,
            case=case,
            action="approve",
            reason="Verleend onder de gewone voorwaarden.",
        )
        for approver in (roles["planning_head"], roles["alderman"]):
            approval_act(actor=approver, municipality=municipality, case=case, action="approve")
    return case


def demo_cases_ensure(municipality: Municipality) -> None:
    if municipality.slug == "gent":
        certificate_order_in_review(municipality)
        petition_with_answer_case(municipality)
        event_permit_request(municipality)
        event_permit_decided_by_chain(municipality)
        building_permit_under_inquiry(municipality)
        building_permit_decided(municipality)
