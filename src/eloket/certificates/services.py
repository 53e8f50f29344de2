"""Ordering certificates and carrying orders through review, issue and delivery.

Submission commits the order first; instant issue and every later step run in their own
transactions, so a crash at any step loses no submitted order (a sweep,
`eloket certificates process`, picks up orders left behind).
"""

import datetime as dt
import hashlib
import json
import logging
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from eloket.cases import messages as texts
from eloket.cases.models import OPEN_STATUSES, Case, CaseKind, IdempotencyRecord, Status
from eloket.cases.services import (
    Author,
    WrongState,
    case_assign,
    case_create,
    case_message_add,
    case_transition,
)
from eloket.certificates.content import certificate_content, document_frame
from eloket.certificates.defaults import ALL_CHANNELS, DEFAULTS
from eloket.certificates.eligibility import NotAllowed, check_may_order, requester_labels
from eloket.certificates.models import (
    DOCUMENT_LANGUAGES,
    CertificateKind,
    CertificateOrder,
    CertificateType,
    Delivery,
)
from eloket.common.actors import Actor
from eloket.common.errors import ApplicationError, Conflict, NotFound
from eloket.documents.models import IssuedDocument
from eloket.documents.services import document_issue, logo_for_pdf
from eloket.register.models import Person
from eloket.register.selectors import person_for_identifier
from eloket.tenants.models import Module, Municipality

log = logging.getLogger(__name__)

CURRENCY = {"BE": "EUR", "KR": "KRW"}


class UnknownType(ApplicationError):
    code = "unknown_certificate_type"


# --- Configuration


def certificate_types_ensure(municipality: Municipality) -> list[CertificateType]:
    """The municipality's certificate types, created with the defaults when missing."""
    existing = {t.code: t for t in CertificateType.objects.filter(municipality=municipality)}
    languages = [code for code in municipality.languages if code in DOCUMENT_LANGUAGES] or ["en"]
    for code, defaults in DEFAULTS.items():
        if code not in existing:
            existing[code] = CertificateType.objects.create(
                municipality=municipality,
                code=code,
                languages=languages,
                delivery_channels=list(ALL_CHANNELS),
                currency=CURRENCY.get(municipality.country, "EUR"),
                **{k: list(v) if isinstance(v, list) else v for k, v in defaults.items()},
            )
    return [existing[code] for code in DEFAULTS]


def certificate_types_offered(municipality: Municipality) -> list[CertificateType]:
    if Module.CERTIFICATES not in municipality.modules:
        return []
    types = list(CertificateType.objects.filter(municipality=municipality, enabled=True))
    if not types and not CertificateType.objects.filter(municipality=municipality).exists():
        types = certificate_types_ensure(municipality)
    order = list(DEFAULTS)
    return sorted(types, key=lambda t: order.index(t.code) if t.code in order else 99)


def certificate_type_get(municipality: Municipality, code: str) -> CertificateType:
    for certificate_type in certificate_types_offered(municipality):
        if certificate_type.code == code:
            return certificate_type
    raise UnknownType(
        _("%(name)s does not issue a certificate “%(code)s” online.")
        % {"name": municipality.display_name(), "code": code[:40]}
    )


# --- Ordering


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


def _requester_person(user: User) -> Person:
    from eloket.identity.selectors import citizen_person

    person = citizen_person(user)
    if person is None:
        raise NotAllowed(
            _("Certificates are ordered by citizens logged in with their eID."),
            code="not_a_citizen",
        )
    return person


def _citizen_actor(user: User) -> Actor:
    from eloket.identity.selectors import citizen_actor, citizen_of

    citizen = citizen_of(user)
    assert citizen is not None
    return citizen_actor(user, citizen)


def _validate(
    municipality: Municipality, request: OrderRequest, requester: Person
) -> tuple[CertificateType, Person]:
    certificate_type = certificate_type_get(municipality, request.certificate_type)
    if request.language not in certificate_type.languages:
        raise ApplicationError(
            _("This certificate is made in: %(languages)s.")
            % {"languages": ", ".join(certificate_type.languages)},
            code="invalid_language",
        )
    if request.delivery not in certificate_type.delivery_channels:
        raise ApplicationError(
            _("Choose a delivery among: %(channels)s.")
            % {
                "channels": ", ".join(
                    str(Delivery(c).label) for c in certificate_type.delivery_channels
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
    subject = person_for_identifier(national_id=request.subject)
    if subject is None or subject.municipality_id != municipality.pk:
        # Whether a number exists is nobody's business: the same answer as "not allowed".
        raise NotAllowed(
            _(
                "You may not order this certificate about this person here. It is ordered "
                "from the municipality where the person is registered, by: %(who)s."
            )
            % {"who": requester_labels(certificate_type)},
            code="not_allowed_for_subject",
        )
    check_may_order(certificate_type=certificate_type, requester=requester, subject=subject)
    return certificate_type, subject


def check_order(
    *, municipality: Municipality, user: User, request: OrderRequest
) -> tuple[CertificateType, Person]:
    """Everything order_submit checks, without writing (the review step of the form)."""
    return _validate(municipality, request, _requester_person(user))


def order_submit(
    *,
    municipality: Municipality,
    user: User,
    request: OrderRequest,
    idempotency_key: str = "",
) -> tuple[Case, bool]:
    """Place an order (or return the one already placed with the same idempotency key).
    Returns the case and whether it is new. Nothing is written when input is refused."""
    key = idempotency_key.strip()[:100]
    if key:
        previous = _previous(user, key, request)
        if previous is not None:
            return previous, False
    requester = _requester_person(user)
    certificate_type, subject = _validate(municipality, request, requester)
    actor = _citizen_actor(user)
    title = certificate_type.label
    if subject.pk != requester.pk:
        title = f"{title} — {subject.full_name}"
    try:
        with transaction.atomic():
            case = case_create(
                municipality=municipality,
                kind=CaseKind.CERTIFICATE_ORDER,
                requester=user,
                language=translation.get_language() or municipality.default_language,
                contact_email=request.contact_email,
                title=title,
                due_at=timezone.now() + dt.timedelta(days=certificate_type.processing_days),
                actor=actor,
                what=certificate_type.code,
            )
            CertificateOrder.objects.create(
                municipality=municipality,
                case=case,
                certificate_type=certificate_type,
                subject=subject,
                language=request.language,
                delivery=request.delivery,
                purpose=request.purpose.strip(),
                fee_cents=certificate_type.fee_cents,
                currency=certificate_type.currency,
            )
            if key:
                IdempotencyRecord.objects.create(
                    user=user, key=key, fingerprint=request.fingerprint(), case=case
                )
    except IntegrityError:
        # The same key sent twice at once: the other request made the order.
        previous = _previous(user, key, request) if key else None
        if previous is None:
            raise
        return previous, False
    transaction.on_commit(lambda: order_process(case))
    return case, True


def _previous(user: User, key: str, request: OrderRequest) -> Case | None:
    record = IdempotencyRecord.objects.select_related("case").filter(user=user, key=key).first()
    if record is None:
        return None
    if record.fingerprint != request.fingerprint():
        raise Conflict(
            _("This Idempotency-Key was already used for a different order."),
            code="idempotency_key_reused",
        )
    return record.case


# --- Processing


def _system(municipality: Municipality) -> Actor:
    return Actor.system("Eloket", municipality)


def order_process(case: Case) -> None:
    """After submission: issue at once when the type allows and the register holds
    everything; otherwise put the order in the officers' queue. Never raises: an order
    left in `submitted` is picked up again by the sweep."""
    try:
        case.refresh_from_db()
        if case.status != Status.SUBMITTED:
            return
        order = CertificateOrder.objects.select_related("certificate_type", "subject").get(
            case=case
        )
        municipality = case.municipality
        if order.certificate_type.instant:
            try:
                with transaction.atomic():
                    case_transition(
                        case=case,
                        to_status=Status.APPROVED,
                        actor=_system(municipality),
                        message=texts.APPROVED_AUTOMATICALLY,
                    )
                    _issue(case, order)
                _deliver(case, order)
                return
            except ApplicationError as exc:  # e.g. the register lacks an address
                log.info("order %s goes to review: %s", case.tracking_code, exc)
        case_transition(
            case=case,
            to_status=Status.IN_REVIEW,
            actor=_system(municipality),
            message=texts.IN_REVIEW,
            params={"municipality": municipality.display_name()},
        )
    except Exception:  # a crash here must not lose the order: it stays submitted
        log.exception("processing order %s failed; the sweep will retry", case.tracking_code)


def _issue(case: Case, order: CertificateOrder) -> IssuedDocument:
    """Make and seal the document, and record `issued`. Inside the caller's transaction."""
    municipality = case.municipality
    actor = _citizen_actor(case.requester)
    kind = order.certificate_type.code
    purpose = _("Certificate ordered (%(code)s): %(what)s") % {
        "code": case.display_code,
        "what": order.certificate_type.label,
    }
    content = certificate_content(
        kind=kind,
        municipality=municipality,
        subject=order.subject,
        language=order.language,
        actor=actor,
        purpose=purpose,
        case_ref=f"order:{case.tracking_code}",
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
    document = document_issue(
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
        case=case,
        to_status=Status.ISSUED,
        actor=_system(municipality),
        message=texts.ISSUED,
        params={"document": document.display_code},
    )
    return document


def _deliver(case: Case, order: CertificateOrder) -> None:
    """Download: ready at once. E-mail: sent after commit, then delivered. Post: waits
    for the back office's print batch."""
    municipality = case.municipality
    if order.delivery == Delivery.DOWNLOAD:
        case_transition(
            case=case,
            to_status=Status.DELIVERED,
            actor=_system(municipality),
            message=texts.DELIVERED_DOWNLOAD,
        )
    elif order.delivery == Delivery.EMAIL:
        from eloket.notifications.services import send_document_email

        transaction.on_commit(lambda: send_document_email(case_id=case.pk))


def order_document(case: Case) -> IssuedDocument | None:
    return IssuedDocument.objects.filter(case=case).order_by("-issued_at").first()


def order_mark_emailed(case: Case) -> None:
    case_transition(
        case=case,
        to_status=Status.DELIVERED,
        actor=_system(case.municipality),
        message=texts.DELIVERED_EMAIL,
        params={"email": case.contact_email},
    )


# --- Decisions and messages


class Decision:
    APPROVE = "approve"
    REJECT = "reject"
    REQUEST_INFO = "request_info"
    ALL = (APPROVE, REJECT, REQUEST_INFO)


def order_decide(*, case: Case, actor: Actor, decision: str, reason: str = "") -> Case:
    """An officer's decision. Approving issues the document in the same transaction: if
    it cannot be made (the register lacks data), nothing changes and the officer is told."""
    reason = reason.strip()
    if decision not in Decision.ALL:
        raise ApplicationError(
            _("Decide approve, reject or request_info."), code="invalid_decision"
        )
    if decision in (Decision.REJECT, Decision.REQUEST_INFO) and not reason:
        raise ApplicationError(_("Say why: the citizen reads it."), code="reason_required")
    order = CertificateOrder.objects.select_related("certificate_type", "subject").get(case=case)
    if decision == Decision.APPROVE:
        if case.status not in (Status.SUBMITTED, Status.IN_REVIEW):
            raise WrongState(
                _("Only an order that waits for review can be approved; this one is %(status)s.")
                % {"status": Status(case.status).label}
            )
        with transaction.atomic():
            case_transition(
                case=case, to_status=Status.APPROVED, actor=actor, message=texts.APPROVED
            )
            _issue(case, order)
        _deliver(case, order)
    elif decision == Decision.REJECT:
        case_transition(
            case=case, to_status=Status.REJECTED, actor=actor, message=texts.REJECTED, reason=reason
        )
    else:
        with transaction.atomic():
            case_transition(
                case=case,
                to_status=Status.NEEDS_INFORMATION,
                actor=actor,
                message=texts.NEEDS_INFORMATION,
                reason=reason,
            )
            case_message_add(case=case, author=Author.OFFICER, actor=actor, text=reason)
    case.refresh_from_db()
    return case


def order_reply(*, case: Case, user: User, text: str) -> Case:
    """The citizen writes to the municipality; an answer to a question resumes the review."""
    actor = _citizen_actor(user)
    if case.status not in OPEN_STATUSES:
        raise WrongState(_("This request is closed; you can no longer write about it."))
    with transaction.atomic():
        case_message_add(case=case, author=Author.CITIZEN, actor=actor, text=text)
        if case.status == Status.NEEDS_INFORMATION:
            case_transition(
                case=case,
                to_status=Status.IN_REVIEW,
                actor=actor,
                message=texts.INFORMATION_RECEIVED,
            )
    return case


def order_officer_message(*, case: Case, actor: Actor, text: str) -> None:
    if case.status not in OPEN_STATUSES:
        raise WrongState(_("This request is closed."))
    case_message_add(case=case, author=Author.OFFICER, actor=actor, text=text)


def order_cancel(*, case: Case, user: User) -> Case:
    actor = _citizen_actor(user)
    if case.status not in OPEN_STATUSES:
        raise WrongState(
            _("This request is %(status)s: it can no longer be cancelled.")
            % {"status": Status(case.status).label}
        )
    case_transition(case=case, to_status=Status.CANCELLED, actor=actor, message=texts.CANCELLED)
    return case


def order_claim(*, case: Case, officer: User, assignee: User | None = None) -> Case:
    """Take an order (or, for a head of department, give it to a colleague)."""
    from eloket.identity.selectors import officer_role_in, role_at_least

    target = assignee or officer
    if assignee is not None and assignee != officer:
        role = officer_role_in(officer, case.municipality)
        if role is None or not role_at_least(role.role, "head"):
            raise NotAllowed(_("Only a head of department assigns orders to others."))
    if officer_role_in(target, case.municipality) is None:
        raise NotFound(_("This officer does not work for this municipality."))
    return case_assign(case=case, officer=target)


# --- Sweep


def orders_process_pending(older_than: dt.timedelta = dt.timedelta(minutes=1)) -> int:
    """Pick up orders left in `submitted` (a crash between commit and processing) and
    orders approved but not issued."""
    stale = Case.objects.filter(
        kind=CaseKind.CERTIFICATE_ORDER,
        status=Status.SUBMITTED,
        created_at__lte=timezone.now() - older_than,
    )
    count = 0
    for case in stale:
        order_process(case)
        count += 1
    return count
