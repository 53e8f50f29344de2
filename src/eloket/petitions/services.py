"""Writes of petitions. Eligibility (resident, old enough) is checked against the
register at the moment of acting; signatures count once per person, also when sent at
once; reaching the threshold opens a case on the engine with an answer deadline. Every
change of a petition's status is a history row; decisions are audit events."""

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from eloket.audit.services import audit_record
from eloket.cases.services import case_create, case_transition
from eloket.common.actors import Actor
from eloket.common.errors import ApplicationError
from eloket.common.markup import markdown_to_html
from eloket.common.permissions import Permission, authorize, same_municipality
from eloket.common.text import refuse_hidden_characters
from eloket.identity.eligibility import NotEligible
from eloket.outbox.queue import outbox_put
from eloket.petitions import messages as texts
from eloket.petitions.eligibility import petition_eligibility
from eloket.petitions.handler import KIND
from eloket.petitions.models import (
    CoInitiator,
    Petition,
    PetitionStatus,
    PetitionStatusChange,
    Signature,
)
from eloket.petitions.selectors import petitions_changed, rules_of, threshold_for
from eloket.tenants.models import Module, Municipality
from eloket.tenants.modules import module_check


def _set_status(
    petition: Petition, *, actor: Actor, to_status: str, reason: str = "", fields: tuple = ()
) -> None:
    """Change the status and write its history row (inside the caller's transaction)."""
    PetitionStatusChange.objects.create(
        municipality_id=petition.municipality_id,
        petition=petition,
        at=timezone.now(),
        from_status=petition.status,
        to_status=to_status,
        **PetitionStatusChange.by(actor),
        reason=reason,
    )
    petition.status = to_status
    petition.save(update_fields=["status", "updated_at", *fields])


def petition_start(*, actor: Actor, municipality: Municipality, title: str, text: str) -> Petition:
    module_check(municipality, Module.PETITIONS)
    petition_eligibility(actor, municipality)
    title, text = title.strip(), text.strip()
    refuse_hidden_characters(title, text)
    if not title or not text:
        raise ApplicationError(_("A petition needs a title and a text."), code="invalid_petition")
    if len(title) > 200 or len(text) > 10000:
        raise ApplicationError(_("Keep the petition shorter."), code="too_long")
    with transaction.atomic():
        petition = Petition.objects.create(
            municipality=municipality,
            title=title,
            text=text,
            text_html=markdown_to_html(text),
            initiator_id=actor.user_pk,
        )
        PetitionStatusChange.objects.create(
            municipality=municipality,
            petition=petition,
            at=timezone.now(),
            from_status="",
            to_status=PetitionStatus.DRAFT,
            **PetitionStatusChange.by(actor),
        )
    return petition


def petition_join(*, actor: Actor, municipality: Municipality, petition: Petition) -> CoInitiator:
    module_check(municipality, Module.PETITIONS)
    same_municipality(municipality, petition)
    if petition.status != PetitionStatus.DRAFT:
        raise ApplicationError(
            _("This petition no longer takes co-initiators."), code="wrong_state"
        )
    person = petition_eligibility(actor, municipality)
    if actor.user_id == petition.initiator_id:
        raise ApplicationError(_("You started this petition."), code="own_petition")
    try:
        with transaction.atomic():
            return CoInitiator.objects.create(
                municipality_id=petition.municipality_id,
                petition=petition,
                user_id=actor.user_pk,
                person_ref=person.pk,
            )
    except IntegrityError:
        raise ApplicationError(
            _("You are already a co-initiator."), code="already_joined"
        ) from None


def petition_submit(*, actor: Actor, municipality: Municipality, petition: Petition) -> Petition:
    module_check(municipality, Module.PETITIONS)
    same_municipality(municipality, petition)
    authorize(actor, municipality, Permission.PARTICIPATE)
    if actor.user_id != petition.initiator_id:
        raise NotEligible(_("Only the initiator submits the petition."), code="not_initiator")
    if petition.status != PetitionStatus.DRAFT:
        raise ApplicationError(_("This petition was already submitted."), code="wrong_state")
    needed = rules_of(municipality=municipality).min_coinitiators
    have = petition.coinitiators.count()
    if have < needed:
        raise ApplicationError(
            _("A petition needs %(needed)d co-initiators; it has %(have)d.")
            % {"needed": needed, "have": have},
            code="coinitiators_missing",
        )
    with transaction.atomic():
        _set_status(petition, actor=actor, to_status=PetitionStatus.SUBMITTED)
    return petition


def petition_admit(
    *,
    actor: Actor,
    municipality: Municipality,
    petition: Petition,
    admissible: bool,
    reason: str = "",
    opens_at: dt.datetime | None = None,
) -> Petition:
    """An officer's decision on admissibility; an admissible petition opens for signing."""
    module_check(municipality, Module.PETITIONS)
    authorize(actor, municipality, Permission.PETITION_DECIDE)
    same_municipality(municipality, petition)
    if petition.status != PetitionStatus.SUBMITTED:
        raise ApplicationError(_("Only a submitted petition is checked."), code="wrong_state")
    reason = reason.strip()
    refuse_hidden_characters(reason)
    with transaction.atomic():
        if not admissible:
            if not reason:
                raise ApplicationError(
                    _("Say why it is not admissible: it is published."), code="reason_required"
                )
            petition.status_reason = reason
            _set_status(
                petition,
                actor=actor,
                to_status=PetitionStatus.INADMISSIBLE,
                reason=reason,
                fields=("status_reason",),
            )
        else:
            rules = rules_of(municipality=municipality)
            threshold, eligible_count = threshold_for(municipality=municipality)
            opens = opens_at or timezone.now()
            petition.signing_opens_at = opens
            petition.signing_closes_at = opens + dt.timedelta(days=rules.signing_days)
            petition.threshold = threshold
            petition.eligible_residents = eligible_count
            _set_status(
                petition,
                actor=actor,
                to_status=PetitionStatus.SIGNING,
                reason=reason,
                fields=(
                    "signing_opens_at",
                    "signing_closes_at",
                    "threshold",
                    "eligible_residents",
                ),
            )
        audit_record(
            actor=actor,
            municipality=municipality,
            action="petition.admit" if admissible else "petition.refuse",
            object_type="petition",
            object_ref=str(petition.pk),
            reason=reason,
            data={"threshold": petition.threshold},
        )
    return petition


def petition_sign(*, actor: Actor, municipality: Municipality, petition: Petition) -> Signature:
    module_check(municipality, Module.PETITIONS)
    same_municipality(municipality, petition)
    now = timezone.now()
    if petition.status not in (PetitionStatus.SIGNING, PetitionStatus.THRESHOLD_REACHED) or not (
        petition.signing_opens_at
        and petition.signing_opens_at <= now < (petition.signing_closes_at or now)
    ):
        raise ApplicationError(_("This petition is not open for signatures."), code="not_signing")
    person = petition_eligibility(actor, municipality)
    try:
        with transaction.atomic():
            signature = Signature.objects.create(
                municipality_id=petition.municipality_id,
                petition=petition,
                user_id=actor.user_pk,
                person_ref=person.pk,
            )
            Petition.objects.filter(pk=petition.pk).update(signature_count=F("signature_count") + 1)
            petitions_changed(petition.municipality_id)  # the list shows the count
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
    municipality = petition.municipality
    rules = rules_of(municipality=municipality)
    the_municipality = Actor.for_municipality(municipality)
    initiator = petition.initiator
    case = case_create(
        actor=the_municipality,
        municipality=municipality,
        case_type=KIND,
        requester_id=initiator.pk,
        language=municipality.default_language,
        contact_email=initiator.email,
        title=petition.title,
        due_in_days=rules.answer_days,
        params={"title": petition.title},
        message=texts.PETITION_RECEIVED,
    )
    case_transition(
        actor=the_municipality,
        municipality=municipality,
        case=case,
        action="take_up",
        message=texts.PETITION_THRESHOLD,
        params={
            "title": petition.title,
            "count": petition.signature_count,
            "municipality": municipality.display_name(),
        },
    )
    petition.case = case
    _set_status(
        petition,
        actor=the_municipality,
        to_status=PetitionStatus.THRESHOLD_REACHED,
        fields=("case",),
    )


def petition_answer(
    *, actor: Actor, municipality: Municipality, petition: Petition, answer: str
) -> Petition:
    """Publish the municipality's answer; the case closes and every signer is told."""
    module_check(municipality, Module.PETITIONS)
    authorize(actor, municipality, Permission.PETITION_DECIDE)
    same_municipality(municipality, petition)
    if petition.status != PetitionStatus.THRESHOLD_REACHED or petition.case is None:
        raise ApplicationError(
            _("Only a petition that reached its threshold is answered."), code="wrong_state"
        )
    answer = answer.strip()
    refuse_hidden_characters(answer)
    if not answer:
        raise ApplicationError(_("Write the answer."), code="answer_required")
    with transaction.atomic():
        petition.answer = answer
        petition.answered_at = timezone.now()
        _set_status(
            petition,
            actor=actor,
            to_status=PetitionStatus.ANSWERED,
            fields=("answer", "answered_at"),
        )
        case_transition(
            actor=actor,
            municipality=municipality,
            case=petition.case,
            action="answer",
            reason=answer,
            message=texts.PETITION_ANSWERED,
        )
        outbox_put(
            municipality=municipality,
            kind="petitions.answered",
            ref=f"petition:{petition.pk}",
            payload={"petition": petition.pk},
        )
    return petition


def petitions_expire(
    *, actor: Actor, municipality: Municipality, now: dt.datetime | None = None
) -> int:
    """Close the petitions whose signing period ended without reaching the threshold."""
    authorize(actor, municipality, Permission.PETITION_DECIDE)
    now = now or timezone.now()
    count = 0
    with transaction.atomic():
        for petition in Petition.objects.select_for_update().filter(
            municipality=municipality, status=PetitionStatus.SIGNING, signing_closes_at__lte=now
        ):
            _set_status(petition, actor=actor, to_status=PetitionStatus.EXPIRED)
            count += 1
    return count
