"""Certificate orders on the case engine: the built-in case type `certificate_order`,
its handler (links, hooks on entering `submitted` and `issued`, the officer's decisions)
and its definition."""

from typing import Any

from django.utils.translation import gettext_noop

from eloket.cases.handlers import CaseHandler, case_handlers
from eloket.cases.models import Case, StatusChange
from eloket.certificates import messages as texts
from eloket.common.actors import Actor


class OrderStatus:
    SUBMITTED = "submitted"
    IN_REVIEW = "in_review"
    NEEDS_INFORMATION = "needs_information"
    APPROVED = "approved"
    ISSUED = "issued"
    DELIVERED = "delivered"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


S = OrderStatus
OFFICER_DECISIONS = ("approve", "reject", "request_info")


def _msg(msgid: str) -> dict[str, str]:
    return {"msgid": msgid}


DEFINITION: dict[str, Any] = {
    "statuses": [
        {"code": S.SUBMITTED, "names": _msg(gettext_noop("submitted")), "initial": True},
        {"code": S.IN_REVIEW, "names": _msg(gettext_noop("in review"))},
        {
            "code": S.NEEDS_INFORMATION,
            "names": _msg(gettext_noop("needs information")),
            "waiting_for": "requester",
        },
        {"code": S.APPROVED, "names": _msg(gettext_noop("approved"))},
        {"code": S.ISSUED, "names": _msg(gettext_noop("issued"))},
        {"code": S.DELIVERED, "names": _msg(gettext_noop("delivered")), "final": True},
        {"code": S.REJECTED, "names": _msg(gettext_noop("rejected")), "final": True},
        {"code": S.CANCELLED, "names": _msg(gettext_noop("cancelled")), "final": True},
    ],
    "transitions": [
        {
            "action": "take_up",
            "from": [S.SUBMITTED],
            "to": S.IN_REVIEW,
            "by": ["system", "clerk"],
            "texts": _msg(texts.IN_REVIEW),
        },
        {
            "action": "approve",
            "from": [S.SUBMITTED, S.IN_REVIEW],
            "to": S.APPROVED,
            "by": ["clerk", "system"],
            "names": _msg(gettext_noop("Approve and issue")),
            "texts": _msg(texts.APPROVED),
        },
        {
            "action": "reject",
            "from": [S.SUBMITTED, S.IN_REVIEW, S.NEEDS_INFORMATION],
            "to": S.REJECTED,
            "by": ["clerk"],
            "names": _msg(gettext_noop("Reject")),
            "texts": _msg(texts.REJECTED),
            "reason_required": True,
        },
        {
            "action": "request_info",
            "from": [S.IN_REVIEW],
            "to": S.NEEDS_INFORMATION,
            "by": ["clerk"],
            "names": _msg(gettext_noop("Ask for information")),
            "texts": _msg(texts.NEEDS_INFORMATION),
            "reason_required": True,
        },
        {
            "action": "resume",
            "from": [S.NEEDS_INFORMATION],
            "to": S.IN_REVIEW,
            "by": ["requester", "clerk"],
            "texts": _msg(texts.INFORMATION_RECEIVED),
        },
        {
            "action": "issue",
            "from": [S.APPROVED],
            "to": S.ISSUED,
            "by": ["system"],
            "texts": _msg(texts.ISSUED),
        },
        {"action": "deliver", "from": [S.ISSUED], "to": S.DELIVERED, "by": ["system", "clerk"]},
        {
            "action": "cancel",
            "from": [S.SUBMITTED, S.IN_REVIEW, S.NEEDS_INFORMATION],
            "to": S.CANCELLED,
            "by": ["requester"],
            "names": _msg(gettext_noop("Cancel this request")),
            "texts": _msg(texts.CANCELLED),
        },
    ],
}


# Between a certificate's name and its subject's, in an order's title.
TITLE_SEPARATOR = " — "


@case_handlers.register("certificates.order")
class CertificateOrderHandler(CaseHandler):
    verbose_name = "certificate order"
    builtin_code = "certificate_order"
    required_actions = (
        "take_up",
        "approve",
        "reject",
        "request_info",
        "resume",
        "issue",
        "deliver",
        "cancel",
    )
    hooks = frozenset({S.SUBMITTED, S.ISSUED})

    def builtin(self) -> dict[str, Any]:
        return {
            "names": _msg(gettext_noop("certificate order")),
            "definition": DEFINITION,
            "processing_days": 5,
            # Who may order what is the certificate's own rule (the subject's register
            # entry here, a relative's right): someone born here orders a birth extract.
            "audience": "anyone",
        }

    def citizen_path(self, case: Case) -> str:
        return f"orders/{case.tracking_code}"

    def officer_path(self, case: Case) -> str:
        return f"backoffice/orders/{case.tracking_code}"

    def title(self, case: Case) -> str:
        """The certificate's name in the reader's language, and whom it is about when
        that is not the requester ("Extract of a birth certificate — Lotte Peeters"), as
        `order_submit` titled it in the language of the order. That title names a subject
        only when it is someone else, so lists need no look-up of the requester."""
        from eloket.certificates.models import CertificateOrder

        order: CertificateOrder | None
        if type(case).order.is_cached(case):  # `order_of` linked it: no second query
            order = getattr(case, "order", None)  # None when cached as absent
        else:
            order = (
                CertificateOrder.objects.select_related("certificate_type", "subject")
                .filter(case_id=case.pk)
                .first()
            )
        if order is None:
            return case.title
        if TITLE_SEPARATOR in case.title:
            return f"{order.certificate_type.label}{TITLE_SEPARATOR}{order.subject_name}"
        return order.certificate_type.label

    def what_label(self, case: Case, value: str) -> str:
        from eloket.certificates.models import CertificateKind

        try:
            return str(CertificateKind(value).label)
        except ValueError:
            return case.case_type.name()

    def act(
        self, *, actor: Actor, municipality: Any, case: Case, action: str, reason: str = ""
    ) -> Case:
        from eloket.certificates.services.decisions import order_decide

        if action in OFFICER_DECISIONS:
            return order_decide(
                actor=actor, municipality=municipality, case=case, decision=action, reason=reason
            )
        return super().act(
            actor=actor, municipality=municipality, case=case, action=action, reason=reason
        )

    def on_enter(self, case: Case, change: StatusChange) -> None:
        from eloket.certificates.services.processing import order_deliver, order_process

        platform = Actor.system("Eloket", case.municipality)
        if change.to_status == S.SUBMITTED:
            order_process(actor=platform, municipality=case.municipality, case=case)
        elif change.to_status == S.ISSUED:
            order_deliver(actor=platform, municipality=case.municipality, case=case)

    def deliverables(self, case: Case) -> list[tuple[str, str]]:
        from eloket.certificates.selectors import document_of

        document = document_of(municipality=case.municipality, case=case)
        return [("document", document.code)] if document is not None else []
