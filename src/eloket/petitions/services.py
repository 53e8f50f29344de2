"""Writes of petitions. Eligibility (resident, old enough) is checked against the
register at the moment of acting; signatures count once per person, also when sent at
once; reaching the threshold opens a case with an answer deadline."""

import datetime as dt
import math
from decimal import Decimal

from django.contrib.auth.models import AnonymousUser, User
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from eloket.cases import messages as texts
from eloket.cases.models import CaseKind, Status
from eloket.cases.services import case_create, case_transition
from eloket.common.actors import Actor
from eloket.common.errors import ApplicationError
from eloket.common.markup import markdown_to_html
from eloket.petitions.models import (
    CoInitiator,
    Petition,
    PetitionRules,
    PetitionStatus,
    Signature,
    ThresholdKind,
)
from eloket.register.models import Person
from eloket.register.selectors import age_district_counts, age_on
from eloket.tenants.models import Municipality


class NotEligible(ApplicationError):
    code = "not_eligible"
    status = 403


def rules_of(municipality: Municipality) -> PetitionRules:
    rules, _created = PetitionRules.objects.get_or_create(municipality=municipality)
    return rules


def eligible(municipality: Municipality, user: User | AnonymousUser) -> Person:
    from eloket.identity.selectors import citizen_person_in

    if not user.is_authenticated:
        raise NotEligible(_("Log in with your eID to take part."), code="not_authenticated")
    person = citizen_person_in(user, municipality)
    if person is None:
        raise NotEligible(
            _("Only citizens logged in with their eID take part."), code="not_a_citizen"
        )
    if not getattr(person, "resident", False):  # read alongside by citizen_person_in
        raise NotEligible(
            _("Only residents of %(municipality)s sign its petitions.")
            % {"municipality": municipality.display_name()},
            code="not_resident",
        )
    rules = rules_of(municipality)
    age = age_on(person)
    if age is None or age < rules.min_age:
        raise NotEligible(
            _("You must be %(age)d or older to sign petitions here.") % {"age": rules.min_age},
            code="too_young",
        )
    return person


def petition_start(*, municipality: Municipality, user: User, title: str, text: str) -> Petition:
    eligible(municipality, user)
    title, text = title.strip(), text.strip()
    if not title or not text:
        raise ApplicationError(_("A petition needs a title and a text."), code="invalid_petition")
    if len(title) > 200 or len(text) > 10000:
        raise ApplicationError(_("Keep the petition shorter."), code="too_long")
    return Petition.objects.create(
        municipality=municipality,
        title=title,
        text=text,
        text_html=markdown_to_html(text),
        initiator=user,
    )


def petition_join(*, petition: Petition, user: User) -> CoInitiator:
    if petition.status != PetitionStatus.DRAFT:
        raise ApplicationError(
            _("This petition no longer takes co-initiators."), code="wrong_state"
        )
    person = eligible(petition.municipality, user)
    if user.pk == petition.initiator_id:
        raise ApplicationError(_("You started this petition."), code="own_petition")
    try:
        with transaction.atomic():
            return CoInitiator.objects.create(
                municipality_id=petition.municipality_id,
                petition=petition,
                user=user,
                person_ref=person.pk,
            )
    except IntegrityError:
        raise ApplicationError(
            _("You are already a co-initiator."), code="already_joined"
        ) from None


def petition_submit(*, petition: Petition, user: User) -> Petition:
    if user.pk != petition.initiator_id:
        raise NotEligible(_("Only the initiator submits the petition."), code="not_initiator")
    if petition.status != PetitionStatus.DRAFT:
        raise ApplicationError(_("This petition was already submitted."), code="wrong_state")
    needed = rules_of(petition.municipality).min_coinitiators
    have = petition.coinitiators.count()
    if have < needed:
        raise ApplicationError(
            _("A petition needs %(needed)d co-initiators; it has %(have)d.")
            % {"needed": needed, "have": have},
            code="coinitiators_missing",
        )
    petition.status = PetitionStatus.SUBMITTED
    petition.save(update_fields=["status", "updated_at"])
    return petition


def threshold_for(municipality: Municipality) -> tuple[int, int]:
    """(signatures needed, eligible residents) from the rules and the register today."""
    rules = rules_of(municipality)
    eligible_count = sum(
        age_district_counts(municipality=municipality, min_age=rules.min_age).values()
    )
    if rules.threshold_kind == ThresholdKind.COUNT:
        return max(1, int(rules.threshold_value)), eligible_count
    needed = math.ceil(eligible_count * Decimal(rules.threshold_value) / 100)
    return max(1, needed), eligible_count


def petition_admit(
    *,
    petition: Petition,
    actor: Actor,
    admissible: bool,
    reason: str = "",
    opens_at: dt.datetime | None = None,
) -> Petition:
    """An officer's decision on admissibility; an admissible petition opens for signing."""
    if petition.status != PetitionStatus.SUBMITTED:
        raise ApplicationError(_("Only a submitted petition is checked."), code="wrong_state")
    if not admissible:
        if not reason.strip():
            raise ApplicationError(
                _("Say why it is not admissible: it is published."), code="reason_required"
            )
        petition.status = PetitionStatus.INADMISSIBLE
        petition.status_reason = reason.strip()
        petition.save(update_fields=["status", "status_reason", "updated_at"])
        return petition
    rules = rules_of(petition.municipality)
    threshold, eligible_count = threshold_for(petition.municipality)
    opens = opens_at or timezone.now()
    petition.status = PetitionStatus.SIGNING
    petition.signing_opens_at = opens
    petition.signing_closes_at = opens + dt.timedelta(days=rules.signing_days)
    petition.threshold = threshold
    petition.eligible_residents = eligible_count
    petition.save()
    return petition


def petition_sign(*, petition: Petition, user: User | AnonymousUser) -> Signature:
    now = timezone.now()
    if petition.status not in (PetitionStatus.SIGNING, PetitionStatus.THRESHOLD_REACHED) or not (
        petition.signing_opens_at
        and petition.signing_opens_at <= now < (petition.signing_closes_at or now)
    ):
        raise ApplicationError(_("This petition is not open for signatures."), code="not_signing")
    person = eligible(petition.municipality, user)
    assert isinstance(user, User)
    try:
        with transaction.atomic():
            signature = Signature.objects.create(
                municipality_id=petition.municipality_id,
                petition=petition,
                user=user,
                person_ref=person.pk,
            )
            Petition.objects.filter(pk=petition.pk).update(signature_count=F("signature_count") + 1)
            _open_case_if_reached(petition.pk)
    except IntegrityError:
        raise ApplicationError(
            _("You already signed this petition."), code="already_signed"
        ) from None
    petition.refresh_from_db()
    return signature


def _open_case_if_reached(petition_id: int) -> None:
    petition = (
        Petition.objects.select_for_update().select_related("municipality").get(pk=petition_id)
    )
    if petition.status != PetitionStatus.SIGNING or petition.threshold is None:
        return
    if petition.signature_count < petition.threshold:
        return
    rules = rules_of(petition.municipality)
    language = petition.municipality.default_language
    case = case_create(
        municipality=petition.municipality,
        kind=CaseKind.PETITION,
        requester=petition.initiator,
        language=language,
        contact_email=petition.initiator.email,
        title=petition.title,
        due_at=timezone.now() + dt.timedelta(days=rules.answer_days),
        actor=Actor.for_municipality(petition.municipality),
        what="petition",
    )
    case_transition(
        case=case,
        to_status=Status.IN_REVIEW,
        actor=Actor.for_municipality(petition.municipality),
        message=texts.PETITION_THRESHOLD,
        params={
            "title": petition.title,
            "count": petition.signature_count,
            "municipality": petition.municipality.display_name(),
        },
    )
    petition.status = PetitionStatus.THRESHOLD_REACHED
    petition.case = case
    petition.save(update_fields=["status", "case", "updated_at"])


def petition_answer(*, petition: Petition, actor: Actor, answer: str) -> Petition:
    """Publish the municipality's answer; the case closes and every signer is told."""
    if petition.status != PetitionStatus.THRESHOLD_REACHED or petition.case is None:
        raise ApplicationError(
            _("Only a petition that reached its threshold is answered."), code="wrong_state"
        )
    if not answer.strip():
        raise ApplicationError(_("Write the answer."), code="answer_required")
    with transaction.atomic():
        petition.answer = answer.strip()
        petition.answered_at = timezone.now()
        petition.status = PetitionStatus.ANSWERED
        petition.save(update_fields=["answer", "answered_at", "status", "updated_at"])
        case = petition.case
        case_transition(
            case=case, to_status=Status.ANSWERED, actor=actor, message=texts.PETITION_ANSWERED
        )
        transaction.on_commit(lambda: notify_signers(petition.pk))
    return petition


def petitions_expire(now: dt.datetime | None = None) -> int:
    now = now or timezone.now()
    return Petition.objects.filter(
        status=PetitionStatus.SIGNING, signing_closes_at__lte=now
    ).update(status=PetitionStatus.EXPIRED)


def notify_signers(petition_id: int) -> None:
    from eloket.petitions.notify import send_answer

    try:
        send_answer.enqueue(petition_id)
    except Exception:
        import logging

        logging.getLogger(__name__).exception("could not queue the petition e-mails")
