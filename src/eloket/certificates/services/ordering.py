"""Placing a certificate order: checked against the certificate's rules and the register
at the moment of ordering, made once per idempotency key, committed with its first
timeline step and the outbox row that takes it further.

A relative whom the municipality's register does not hold (the death extract of a parent
who lived and died elsewhere) is asked of the national register through the messaging
engine (`messaging.services.national_relative_lookup`), before anything is written: its
answer decides whether the requester may have the certificate, and what the order keeps of
it makes the document. When the register cannot be asked, the order is refused with a
message saying so and nothing is written (docs/certificates.md says why)."""

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext as _

from eloket.cases.models import Case, IdempotencyRecord
from eloket.cases.services import case_create
from eloket.certificates.content import national_facts
from eloket.certificates.eligibility import (
    NotAllowed,
    asks_national_register,
    check_may_order,
    check_may_order_national,
    not_allowed_for_subject,
)
from eloket.certificates.handler import TITLE_SEPARATOR
from eloket.certificates.models import CertificateOrder, CertificateType, Delivery
from eloket.certificates.selectors import KIND, certificate_type_get, offered_channels
from eloket.common.actors import Actor, ActorKind
from eloket.common.errors import ApplicationError, Conflict
from eloket.common.permissions import Permission, authorize
from eloket.common.text import refuse_hidden_characters
from eloket.messaging.lookup import NationalPerson, RegistryUnavailable, relative_lookup_count
from eloket.messaging.services import national_relative_lookup
from eloket.register.models import Person
from eloket.register.selectors import person_for_identifier
from eloket.tenants.models import Module
from eloket.tenants.modules import module_check


@dataclass(frozen=True)
class OrderRequest:
    certificate_type: str
    subject: str  # national number
    language: str
    delivery: str
    purpose: str = ""
    contact_email: str = ""

    def fingerprint(self) -> str:
        return hashlib.sha256(json.dumps(self.__dict__, sort_keys=True).encode()).hexdigest()


def _requester_person(actor: Actor) -> Person:
    person = (
        person_for_identifier(national_id=actor.national_id, country=actor.country)
        if actor.kind == ActorKind.CITIZEN
        else None
    )
    if person is None:
        raise NotAllowed(
            _("Certificates are ordered by citizens logged in with their eID."),
            code="not_a_citizen",
        )
    return person


Subject = Person | NationalPerson


def _validate(
    municipality: Any, request: OrderRequest, requester: Person, actor: Actor
) -> tuple[CertificateType, Subject]:
    refuse_hidden_characters(request.purpose, request.contact_email)
    certificate_type = certificate_type_get(
        municipality=municipality, code=request.certificate_type
    )
    if request.language not in certificate_type.languages:
        raise ApplicationError(
            _("This certificate is made in: %(languages)s.")
            % {"languages": ", ".join(certificate_type.languages)},
            code="invalid_language",
        )
    if request.delivery not in offered_channels(
        municipality=municipality, certificate_type=certificate_type
    ):
        raise ApplicationError(
            _("Choose a delivery among: %(channels)s.")
            % {
                "channels": ", ".join(
                    str(Delivery(c).label)
                    for c in offered_channels(
                        municipality=municipality, certificate_type=certificate_type
                    )
                )
            },
            code="invalid_delivery",
        )
    if request.delivery == Delivery.EMAIL and not request.contact_email:
        raise ApplicationError(
            _("Give the e-mail address to send the certificate to."), code="email_required"
        )
    if len(request.purpose) > 200:
        raise ApplicationError(_("Keep the purpose under 200 characters."), code="purpose_too_long")
    subject = person_for_identifier(national_id=request.subject, municipality=municipality)
    held_other = subject is not None and subject.pk != requester.pk
    if held_other and asks_national_register(certificate_type):
        # Someone held here counts as one asked of the national register (which counts in
        # `national_relative_lookup`): the budget does not tell a resident apart.
        relative_lookup_count(actor.user_pk)
    if subject is None:
        if not asks_national_register(certificate_type):
            # Whether a number exists is nobody's business: the same answer as "not allowed".
            raise not_allowed_for_subject(certificate_type)
        return certificate_type, _national_subject(municipality, request, certificate_type, actor)
    check_may_order(certificate_type=certificate_type, requester=requester, subject=subject)
    return certificate_type, subject


def _national_subject(
    municipality: Any, request: OrderRequest, certificate_type: CertificateType, actor: Actor
) -> NationalPerson:
    """The subject as the national register describes them to the requester, if they may
    have this certificate about them (else NotAllowed; RegistryUnavailable, in words for a
    citizen, when the register cannot be asked: nothing is ordered then)."""
    purpose = _("Ordering a certificate: %(what)s") % {"what": certificate_type.label}
    try:
        national = national_relative_lookup(
            actor=actor, municipality=municipality, national_id=request.subject, purpose=purpose
        )
    except RegistryUnavailable as exc:
        raise RegistryUnavailable(
            _(
                "We could not ask the national register about this person just now, so "
                "nothing was ordered. Try again in a few minutes."
            )
        ) from exc
    check_may_order_national(certificate_type=certificate_type, national=national)
    assert national is not None  # checked above
    return national


def check_order(
    *, actor: Actor, municipality: Any, order_request: OrderRequest
) -> tuple[CertificateType, Subject]:
    """Everything order_submit checks, without writing an order (the review step of the
    form; a subject only the national register holds is asked of it, as on submission)."""
    authorize(actor, municipality, Permission.REQUEST)
    return _validate(municipality, order_request, _requester_person(actor), actor)


def order_submit(
    *, actor: Actor, municipality: Any, order_request: OrderRequest, idempotency_key: str = ""
) -> tuple[Case, bool]:
    """Place an order (or return the one already placed with the same idempotency key).
    Returns the case and whether it is new. Nothing is written when input is refused."""
    module_check(municipality, Module.CERTIFICATES)
    authorize(actor, municipality, Permission.REQUEST)
    request = order_request
    user_id = actor.user_id
    assert user_id is not None
    key = idempotency_key.strip()[:100]
    if key:
        previous = _previous(municipality, user_id, key, request)
        if previous is not None:
            return previous, False
    requester = _requester_person(actor)
    certificate_type, subject = _validate(municipality, request, requester, actor)
    title = certificate_type.label
    local = subject if isinstance(subject, Person) else None
    if local is None or local.pk != requester.pk:
        title = f"{title}{TITLE_SEPARATOR}{subject.full_name}"
    try:
        with transaction.atomic():
            case = case_create(
                actor=actor,
                municipality=municipality,
                case_type=KIND,
                requester_id=user_id,
                language=translation.get_language() or municipality.default_language,
                contact_email=request.contact_email,
                title=title,
                due_in_days=certificate_type.processing_days,
                params={"what": certificate_type.code},
            )
            CertificateOrder.objects.create(
                municipality=municipality,
                case=case,
                certificate_type=certificate_type,
                subject=local,
                national_subject=national_facts(subject) if local is None else {},
                language=request.language,
                delivery=request.delivery,
                purpose=request.purpose.strip(),
                fee_cents=certificate_type.fee_cents,
                currency=certificate_type.currency,
            )
            if key:
                IdempotencyRecord.objects.create(
                    municipality=municipality,
                    user_id=user_id,
                    key=key,
                    fingerprint=request.fingerprint(),
                    case=case,
                )
    except IntegrityError:
        # The same key sent twice at once: the other request made the order.
        previous = _previous(municipality, user_id, key, request) if key else None
        if previous is None:
            raise
        return previous, False
    return case, True


def _previous(municipality: Any, user_id: int, key: str, request: OrderRequest) -> Case | None:
    # Keys are the client's, per municipality: the same key sent to another municipality
    # is another request, and must not answer with (or collide with) this one's order.
    record = (
        IdempotencyRecord.objects.select_related("case")
        .filter(municipality=municipality, user_id=user_id, key=key)
        .first()
    )
    if record is None:
        return None
    if record.fingerprint != request.fingerprint():
        raise Conflict(
            _("This Idempotency-Key was already used for a different order."),
            code="idempotency_key_reused",
        )
    return record.case
