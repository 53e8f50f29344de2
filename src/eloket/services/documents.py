"""The documents a service produces: a receipt at submission and a decision at the end,
each rendered from a shipped typst template (documents/typst/services/) and sealed like
certificates.

A definition asks for them under `documents`: `receipt` (made on entering `submitted`)
and `decision` (on entering `approved` or `rejected`), each naming its `template`
(`receipt`, `decision` or `information_sheet`) and a decision its wording per outcome
(`texts.approve`, `texts.reject`, per language). The case handler's hook runs
`service_document_for` once, after the commit, from the outbox; a retry makes no second
document (one document of each kind per case).

Stored kinds and the kinds the API and the pages name:

    IssuedDocument.kind   what it is        API `kind`
    service_receipt       the receipt       receipt
    service_decision      the decision      decision  (whichever template it was made from)

(`documents.models.SERVICE_KINDS`, `IssuedDocument.api_kind`.)

The stored kinds are distinct from certificate type codes. A service's document has no
`subject`: it attests no register data, so a change in the register never supersedes it.
"""

from typing import Any

from django.db import transaction
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from eloket.approvals.signing import signed_decision_of
from eloket.cases.models import Case, StatusChange
from eloket.certificates.content import document_frame
from eloket.common.actors import Actor
from eloket.common.money import format_fee
from eloket.documents.models import IssuedDocument
from eloket.documents.prepare import PreparedDocument, document_prepare
from eloket.documents.render import logo_for_pdf
from eloket.documents.services import document_issue, document_seal_and_store
from eloket.services.display import answers_summary
from eloket.services.handler import APPROVED, REJECTED, SUBMITTED, form_of
from eloket.services.models import Ground, ServiceRequest

RECEIPT, DECISION = "service_receipt", "service_decision"
# Which document entering a status calls for, by its role in the definition.
ROLE_ON_ENTERING = {SUBMITTED: "receipt", APPROVED: "decision", REJECTED: "decision"}
KIND_OF_ROLE = {"receipt": RECEIPT, "decision": DECISION}
# The languages the documents' wording exists in (documents/typst/lang/).
DOCUMENT_LANGUAGES = ("nl", "fr", "de", "en", "ko")
TITLES = {
    "receipt": gettext_noop("Acknowledgement of receipt"),
    "decision": gettext_noop("Decision"),
}


def document_language(case: Case) -> str:
    """The case's language when the documents speak it, else the municipality's."""
    for code in (case.language, case.municipality.default_language, "en"):
        if code in DOCUMENT_LANGUAGES:
            return code
    return "en"


def _texts(texts: dict[str, str], language: str) -> str:
    """A definition's text in `language`, else in English, else in any language."""
    if not texts:
        return ""
    return texts.get(language) or texts.get("en") or next(iter(texts.values()))


def _date(value: Any) -> str:
    return str(formats.date_format(timezone.localdate(value), "DATE_FORMAT"))


def _on_behalf(record: ServiceRequest | None) -> str:
    if record is None or not record.on_behalf_name:
        return ""
    if record.on_behalf_ground:
        return f"{record.on_behalf_name} ({Ground(record.on_behalf_ground).label})"
    return record.on_behalf_name


def _fee(record: ServiceRequest | None) -> str:
    if record is None:
        return format_fee(0, "EUR")
    return format_fee(round(record.fee_amount * 100), record.fee_currency or "EUR")


# What a published decision leaves out of the answers.
CONTACT_TYPES = ("phone", "email")


def _had_inquiry(case: Case) -> bool:
    from eloket.inquiries.selectors import inquiry_of_case

    return inquiry_of_case(municipality=case.municipality, case=case) is not None


def _objections_answered(case: Case) -> list[dict[str, str]]:
    """The public inquiry's standing objections with the municipality's answers, as the
    decision publishes them: an objector by name only when they agreed."""
    from eloket.inquiries.selectors import inquiry_of_case, standing_objections

    inquiry = inquiry_of_case(municipality=case.municipality, case=case)
    if inquiry is None:
        return []
    return [
        {
            "by": o.objector_name if o.named else str(_("An objector")),
            "text": o.text,
            "answer": o.answer,
        }
        for o in standing_objections(municipality=case.municipality, inquiry=inquiry)
    ]


def _advice_given(case: Case) -> list[dict[str, str]]:
    """The advice recorded before the decision, in the document's language."""
    from eloket.inquiries.selectors import advice_of

    return [
        {
            "by": a.adviser,
            "outcome": str(a.get_outcome_display()),
            "on": str(formats.date_format(a.given_on, "DATE_FORMAT")),
            "text": a.text,
        }
        for a in advice_of(municipality=case.municipality, case=case)
    ]


def service_document_data(case: Case, change: StatusChange, role: str) -> dict[str, Any]:
    """What the template lays out, in the document's language (`document_language`)."""
    municipality = case.municipality
    language = document_language(case)
    record = ServiceRequest.objects.filter(case=case).first()
    spec = case.case_type.options["documents"][role]
    frame = document_frame(
        municipality=municipality,
        language=language,
        purpose="",
        issued_on=timezone.localdate(),
        logo=logo_for_pdf(municipality),
    )
    # A decision after a public inquiry is published for anyone to read: it leaves out
    # the applicant's phone number and e-mail address.
    published = role == "decision" and _had_inquiry(case)
    with translation.override(language):
        summary = answers_summary(
            form=form_of(case.case_type),
            answers=record.answers if record else {},
            labels=record.labels if record else {},
            language=language,
        )
        data: dict[str, Any] = {
            **frame,
            "service": {
                "name": case.case_type.name(language),
                "processing_days": case.case_type.processing_days,
            },
            "request": {
                "code": case.display_code,
                "requester": case.requester.get_full_name() or case.requester.username,
                "on_behalf": _on_behalf(record),
                "submitted_on": _date(case.created_at),
                "fee": _fee(record),
            },
            "answers": [
                {
                    "title": step["title"],
                    "rows": [
                        {"label": r["label"], "value": r["value"]}
                        for r in step["rows"]
                        if not (published and r.get("type") in CONTACT_TYPES)
                    ],
                }
                for step in summary
            ],
        }
        if role == "decision":
            data["objections"] = _objections_answered(case)
            data["advice"] = _advice_given(case)
            outcome = "approve" if change.to_status == APPROVED else "reject"
            data["decision"] = {
                "outcome": change.to_status,
                "text": _texts((spec.get("texts") or {}).get(outcome, {}), language),
                "reason": change.reason,
                "decided_on": _date(change.at),
            }
    return data


def decision_draft_document(
    case: Case,
    *,
    granted: bool,
    text: str,
    prepared_at: Any,
    approvals: list[dict[str, Any]],
) -> PreparedDocument | None:
    """A draft decision rendered as the decision document the approval chain signs:
    what the decision will say, the chain's steps, and no date of decision (the last
    signature dates it). None when the definition asks for no decision document."""
    spec = (case.case_type.options.get("documents") or {}).get("decision")
    if not spec:
        return None
    change = StatusChange(to_status=APPROVED if granted else REJECTED, reason=text, at=prepared_at)
    data = service_document_data(case, change, "decision")
    language = data["language"]
    data["decision"]["signed_chain"] = True
    data["decision"]["approvals"] = [
        str(
            (step.get("title") or {}).get(language)
            or (step.get("title") or {}).get("en")
            or step["name"]
        )
        for step in approvals
    ]
    return document_prepare(
        municipality=case.municipality,
        kind=DECISION,
        data=data,
        template=f"services/{spec['template']}",
    )


def _signatures_in(pdf: bytes) -> list[Any]:
    import io

    from pyhanko.pdf_utils.reader import PdfFileReader

    return list(PdfFileReader(io.BytesIO(pdf), strict=False).embedded_signatures)


def service_document_for(case: Case, change: StatusChange) -> IssuedDocument | None:
    """Issue the document that entering `change.to_status` calls for, if the definition
    asks for one; once per case and kind (an outbox retry finds the first one)."""
    role = ROLE_ON_ENTERING.get(change.to_status)
    spec = (case.case_type.options.get("documents") or {}).get(role or "")
    if role is None or not spec:
        return None
    kind = KIND_OF_ROLE[role]
    municipality = case.municipality
    with transaction.atomic():
        # Two deliveries of the same hook at once wait here for each other.
        Case.objects.select_for_update().filter(pk=case.pk).values_list("pk").get()
        existing = IssuedDocument.objects.filter(case=case, kind=kind).defer("pdf").first()
        if existing is not None:
            return existing
        data = service_document_data(case, change, role)
        language = data["language"]
        with translation.override(language):
            title = _(TITLES[role])
        # The verification page names the document in its reader's language from the
        # message id; what it is about is the service and the request, never the person.
        summary = {
            "title": f"{title}: {data['service']['name']}",
            "title_msgid": TITLES[role],
            "subject": f"{data['service']['name']} · {data['request']['code']}",
            "municipality": data["municipality"]["name"],
        }
        reason = f"{title}: {data['service']['name']} {case.display_code}"
        signed = signed_decision_of(case) if role == "decision" else None
        if signed is not None:
            # Decided by an approval chain: the document its approvers signed, sealed.
            # (How many signed: verification lists them; the summary's values are text.)
            assert signed.pdf is not None  # signed_decision_of leaves out drafts without one
            summary["approvals"] = str(len(_signatures_in(bytes(signed.pdf))))
            return document_seal_and_store(
                actor=Actor.system("Eloket", municipality),
                municipality=municipality,
                prepared=PreparedDocument(code=signed.document_code, pdf=bytes(signed.pdf)),
                kind=kind,
                language=language,
                subject=None,
                attested={"case": case.tracking_code, "kind": kind, "status": change.to_status},
                summary=summary,
                case=case,
                reason=reason,
                location=data["municipality"].get("place", municipality.display_name()),
            )
        return document_issue(
            actor=Actor.system("Eloket", municipality),
            municipality=municipality,
            kind=kind,
            template=f"services/{spec['template']}",
            language=language,
            subject=None,
            data=data,
            attested={"case": case.tracking_code, "kind": kind, "status": change.to_status},
            summary=summary,
            case=case,
            reason=reason,
        )
