"""What follows an order's submission and issue (run by the case handler's hooks, from
the outbox, once each, after the commit; a failure is retried with back-off):

- submitted: issue at once when the certificate is instant and the register holds
  everything, else put the order in the officers' queue;
- issue: make and seal the document (inside the approving transaction, so that an order
  is never approved without its document);
- issued: deliver the document through the order's channel.
"""

import logging
from typing import Any

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from eloket.cases.delivery import delivery_channels
from eloket.cases.models import Case
from eloket.cases.services import case_transition
from eloket.certificates import messages as texts
from eloket.certificates.content import (
    certificate_content,
    document_frame,
    national_certificate_content,
)
from eloket.certificates.handler import OrderStatus
from eloket.certificates.models import CertificateKind, CertificateOrder
from eloket.certificates.selectors import order_of
from eloket.common.actors import Actor, ActorKind
from eloket.common.errors import ApplicationError
from eloket.common.permissions import Permission, authorize, same_municipality
from eloket.documents.models import IssuedDocument
from eloket.documents.render import logo_for_pdf
from eloket.documents.services import document_issue

log = logging.getLogger(__name__)


def _platform(municipality: object) -> Actor:
    return Actor.system("Eloket", municipality)  # type: ignore[arg-type]


def order_process(*, actor: Actor, municipality: Any, case: Case) -> None:
    """After submission: the instant path, or the officers' queue. `actor` is the
    platform's process that runs it (the order's hook)."""
    authorize(actor, municipality, Permission.CASE_HANDLE)
    same_municipality(municipality, case)
    case.refresh_from_db()
    if case.status != OrderStatus.SUBMITTED:
        return
    order = order_of(municipality=municipality, case=case)
    platform = actor
    if order.certificate_type.instant:
        try:
            with transaction.atomic():
                case_transition(
                    actor=platform,
                    municipality=municipality,
                    case=case,
                    action="approve",
                    message=texts.APPROVED_AUTOMATICALLY,
                )
                order_issue(actor=platform, municipality=municipality, case=case, order=order)
            return
        except ApplicationError as exc:  # e.g. the register lacks an address
            log.info("order %s goes to review: %s", case.tracking_code, exc.code)
    case_transition(
        actor=platform,
        municipality=municipality,
        case=case,
        action="take_up",
        params={"municipality": municipality.display_name()},
    )


def _requester_actor(case: Case) -> Actor:
    """The requester, as the one who reads the register for their certificate."""
    from eloket.identity.selectors import citizen_actor_of

    actor = citizen_actor_of(case.requester)
    if actor is None:
        raise ApplicationError(_("This order has no citizen behind it."), code="not_a_citizen")
    return actor


class UnconfirmedWarnings(ApplicationError):
    code = "confirm_warnings"
    status = 409


def order_issue(
    *,
    actor: Actor,
    municipality: Any,
    case: Case,
    order: CertificateOrder,
    warnings_confirmed: bool = False,
) -> IssuedDocument:
    """Make and seal the document, and record `issued` (the platform's step, once the
    order is approved by `actor`). Inside the caller's transaction.

    A document that would print a fact as unknown (a birth act naming no parent) is made
    only when an officer saw that and confirmed it (`warnings_confirmed`): the platform's
    instant path never confirms, so such an order goes to an officer's review."""
    authorize(actor, municipality, Permission.CASE_HANDLE, department=case.case_type.department)
    same_municipality(municipality, case, order)
    kind = order.certificate_type.code
    purpose = _("Certificate ordered (%(code)s): %(what)s") % {
        "code": case.display_code,
        "what": order.certificate_type.label,
    }
    if order.subject is None:
        # Someone only the national register holds: what it answered when the order was
        # placed (the signed answer is in the message log), not a copy in a register.
        content = national_certificate_content(
            kind=kind,
            municipality=municipality,
            facts=order.national_subject,
            language=order.language,
        )
    else:
        content = certificate_content(
            kind=kind,
            municipality=municipality,
            subject=order.subject,
            language=order.language,
            actor=_requester_actor(case),
            purpose=purpose,
            case_ref=f"order:{case.tracking_code}",
        )
    if content.warnings and not (warnings_confirmed and actor.kind == ActorKind.OFFICER):
        raise UnconfirmedWarnings(
            _("%(warnings)s Confirm that you checked this before the certificate is issued.")
            % {"warnings": " ".join(content.warnings)},
            details={"warnings": content.warnings},
        )
    frame = document_frame(
        municipality=municipality,
        language=order.language,
        purpose=order.purpose,
        issued_on=timezone.localdate(),
        logo=logo_for_pdf(municipality),
    )
    with translation.override(order.language):
        summary = {**content.summary, "title": str(CertificateKind(kind).label)}
    # The verification page names the document in its reader's language: from the
    # message id (the untranslated name), the title above being the document's own.
    with translation.override(None):
        summary["title_msgid"] = str(CertificateKind(kind).label)
    platform = _platform(municipality)
    document = document_issue(
        actor=platform,
        municipality=municipality,
        kind=kind,
        language=order.language,
        subject=order.subject,
        data={**frame, **content.data},
        attested=content.attested,
        summary=summary,
        case=case,
        reason=f"{order.certificate_type.label} {case.display_code}",
    )
    case_transition(
        actor=platform,
        municipality=municipality,
        case=case,
        action="issue",
        params={"document": document.display_code},
    )
    return document


def order_deliver(*, actor: Actor, municipality: Any, case: Case) -> None:
    """Hand the issued document to the order's delivery channel, which makes the
    `deliver` transition itself when it has reached the citizen."""
    authorize(actor, municipality, Permission.CASE_HANDLE)
    same_municipality(municipality, case)
    case.refresh_from_db()
    if case.status != OrderStatus.ISSUED:
        return
    order = order_of(municipality=municipality, case=case)
    delivery_channels[order.delivery].start(case)
