"""Services on the case engine: the `service` handler, which every municipality's
service (a case type whose form, documents and fee are its options) uses, and the default
workflow a definition file gets when it states none."""

from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_noop

from eloket.cases.handlers import CaseHandler, case_handlers
from eloket.services import messages as texts
from eloket.services.definition import as_form, form_problems, options_schema

if TYPE_CHECKING:
    from eloket.cases.models import Case, StatusChange
    from eloket.services.form import Form


def _msg(msgid: str) -> dict[str, str]:
    return {"msgid": msgid}


SUBMITTED, IN_REVIEW, NEEDS_INFORMATION = "submitted", "in_review", "needs_information"
APPROVED, REJECTED, WITHDRAWN = "approved", "rejected", "withdrawn"
OPEN = [SUBMITTED, IN_REVIEW, NEEDS_INFORMATION]
# The officer's three decisions of the API (`POST .../decision`), as actions.
DECISIONS = ("approve", "reject", "request_info")
# The decisions an inquiry holds back (see inquiries/services.py), and the actions that
# open and end it in a workflow that has one.
DECISIONS_TAKEN = ("approve", "reject")
OPEN_INQUIRY, END_INQUIRY = "open_inquiry", "end_inquiry"
# An incomplete application past its day to complete by (inquiries/services.py).
CLOSE_INADMISSIBLE = "close_inadmissible"

DEFAULT_WORKFLOW: dict[str, Any] = {
    "statuses": [
        {"code": SUBMITTED, "names": _msg(gettext_noop("submitted")), "initial": True},
        {"code": IN_REVIEW, "names": _msg(gettext_noop("in review"))},
        {
            "code": NEEDS_INFORMATION,
            "names": _msg(gettext_noop("needs information")),
            "waiting_for": "requester",
        },
        {"code": APPROVED, "names": _msg(gettext_noop("approved")), "final": True},
        {"code": REJECTED, "names": _msg(gettext_noop("rejected")), "final": True},
        {"code": WITHDRAWN, "names": _msg(gettext_noop("withdrawn")), "final": True},
    ],
    "transitions": [
        {
            "action": "take_up",
            "from": [SUBMITTED],
            "to": IN_REVIEW,
            "by": ["clerk"],
            "names": _msg(gettext_noop("Start working on it")),
            "texts": _msg(texts.IN_REVIEW),
        },
        {
            "action": "request_info",
            "from": [SUBMITTED, IN_REVIEW],
            "to": NEEDS_INFORMATION,
            "by": ["clerk"],
            "names": _msg(gettext_noop("Ask for information")),
            "texts": _msg(texts.NEEDS_INFORMATION),
            "reason_required": True,
        },
        {
            "action": "reply",
            "from": [NEEDS_INFORMATION],
            "to": IN_REVIEW,
            "by": ["requester"],
            "names": _msg(gettext_noop("Send my answer")),
            "texts": _msg(texts.INFORMATION_RECEIVED),
        },
        {
            "action": "approve",
            "from": [SUBMITTED, IN_REVIEW],
            "to": APPROVED,
            "by": ["clerk"],
            "names": _msg(gettext_noop("Approve")),
            "texts": _msg(texts.APPROVED),
        },
        {
            "action": "reject",
            "from": [SUBMITTED, IN_REVIEW, NEEDS_INFORMATION],
            "to": REJECTED,
            "by": ["clerk"],
            "names": _msg(gettext_noop("Reject")),
            "texts": _msg(texts.REJECTED),
            "reason_required": True,
        },
        {
            "action": "withdraw",
            "from": OPEN,
            "to": WITHDRAWN,
            "by": ["requester"],
            "names": _msg(gettext_noop("Withdraw this request")),
            "texts": _msg(texts.WITHDRAWN),
        },
    ],
}


@case_handlers.register("service")
class ServiceHandler(CaseHandler):
    """A request made with a service's form. The definition's workflow is the case type's;
    the form, help texts, fee and documents are this handler's options."""

    verbose_name = "service with a form"
    # The decision API maps onto these; a workflow of one's own must keep them.
    required_actions = DECISIONS
    hooks = frozenset({SUBMITTED, APPROVED, REJECTED})
    # Typst and the seal take longer than the rest of a submission: the receipt and the
    # decision are made by the task worker, the citizen's answer does not wait for them.
    background_hooks = hooks
    options_schema = options_schema()

    def check_options(self, options: dict[str, Any]) -> None:
        from eloket.common.registry import InvalidOptions

        problems = form_problems(options["form"])
        if problems:
            where, problem = problems[0]
            raise InvalidOptions(f"{where}: {problem}", details={"path": where})

    def catalogue_entry(self, case_type: Any) -> Any:
        from django.utils.translation import gettext as _

        from eloket.cases.texts import localized
        from eloket.services.display import fee_label
        from eloket.tenants.catalogue import CatalogueEntry

        # The help's first paragraph: the municipality's own summary of the service.
        first_line = localized(case_type.options.get("help", {})).split("\n")[0]
        days = _("Answered within %(n)d days.") % {"n": case_type.processing_days}
        return CatalogueEntry(
            title=case_type.name(),
            description=f"{first_line} {days}".strip(),
            url=f"services/{case_type.code}",
            fee=fee_label(case_type),
        )

    def citizen_path(self, case: "Case") -> str:
        return f"requests/{case.tracking_code}"

    def title(self, case: "Case") -> str:
        return case.case_type.name() or case.title

    def form(self, case: "Case") -> "Form":
        return form_of(case.case_type)

    def file_rules(self, case: "Case", question: str) -> Any:
        from eloket.common.files import FileRules

        if not question:
            return super().file_rules(case, question)
        f = form_of(case.case_type).fields.get(question)
        if f is None or not f.is_file:
            return None
        return FileRules(
            accept=f.accept, max_bytes=f.max_size_mb * 1024 * 1024, max_files=f.max_files
        )

    def makes_document_on(self, case: "Case", status: str) -> bool:
        from eloket.services.documents import ROLE_ON_ENTERING

        role = ROLE_ON_ENTERING.get(status)
        return bool(role and (case.case_type.options.get("documents") or {}).get(role))

    def decision_document(
        self,
        case: "Case",
        *,
        granted: bool,
        text: str,
        prepared_at: Any,
        approvals: list[dict[str, Any]],
    ) -> Any:
        from eloket.services.documents import decision_draft_document

        return decision_draft_document(
            case, granted=granted, text=text, prepared_at=prepared_at, approvals=approvals
        )

    def facts(self, case: "Case") -> list[tuple[str, str]]:
        from django.utils.translation import gettext as _

        from eloket.common.money import format_fee
        from eloket.services.models import Channel, FeeStatus, Ground
        from eloket.services.selectors import service_request_of

        record = service_request_of(municipality=case.municipality, case=case)
        if record is None:
            return []
        cents = round(record.fee_amount * 100)
        fee = format_fee(cents, record.fee_currency or "EUR")
        if cents:
            fee = f"{fee} ({FeeStatus(record.fee_status).label})"
        facts = [(_("Fee"), fee)]
        if record.channel != Channel.ONLINE:
            facts.append((_("Filed"), str(Channel(record.channel).label)))
        if record.on_behalf_ground:
            ground = Ground(record.on_behalf_ground).label
            facts.append((_("Filed for"), f"{record.on_behalf_name} ({ground})"))
        return facts

    def sections(self, case: "Case") -> list[dict[str, Any]]:
        from django.utils.translation import get_language

        from eloket.services.display import answers_summary
        from eloket.services.selectors import service_request_of

        record = service_request_of(municipality=case.municipality, case=case)
        if record is None:
            return []
        # The form of the version the request was made with, not the current one.
        return answers_summary(
            form=form_of(case.case_type),
            answers=record.answers,
            labels=record.labels,
            language=get_language(),
        )

    def drafts(self, *, municipality: Any, user: Any) -> list[dict[str, Any]]:
        from eloket.services.selectors import drafts_of

        return [
            {
                "title": draft.case_type.name(),
                "path": f"services/{draft.case_type.code}/d/{draft.token}",
                "delete_path": f"services/{draft.case_type.code}/d/{draft.token}/delete-draft",
                "updated_at": draft.updated_at,
                "expires_at": draft.expires_at,
            }
            for draft in drafts_of(municipality=municipality, user=user)
        ]

    def condition_values(self, case: "Case") -> dict[str, Any]:
        from eloket.services.selectors import service_request_of

        record = service_request_of(municipality=case.municipality, case=case)
        if record is None:
            return {}
        return {**record.answers, "fee": float(record.fee_amount)}

    def act(
        self, *, actor: Any, municipality: Any, case: "Case", action: str, reason: str = ""
    ) -> "Case":
        """`approve` on a service with an approval chain (for this request) drafts a
        grant and submits it up the chain; without one it decides at once."""
        from eloket.approvals.selectors import chain_steps_of
        from eloket.cases.services import WrongState
        from eloket.common.actors import ActorKind

        if action in DECISIONS_TAKEN and (blocker := self.decision_blockers(case)):
            raise WrongState(blocker)
        if action == "approve" and case.case_type.options.get("register_change") == "move":
            return self._confirm_move(actor, municipality, case, action, reason)
        if action == OPEN_INQUIRY:
            return self._open_inquiry(actor, municipality, case, action, reason)
        if action == "request_info" and (case.case_type.options or {}).get("public_inquiry"):
            # A permit's completeness check: what is missing, and a day to complete by.
            from eloket.inquiries.services import completeness_incomplete

            completeness_incomplete(
                actor=actor, municipality=municipality, case=case, missing=reason
            )
            case.refresh_from_db()
            return case
        if action == CLOSE_INADMISSIBLE:
            from eloket.inquiries.selectors import completeness_may_close

            completeness_may_close(municipality=municipality, case=case)
        if action == END_INQUIRY:
            from eloket.inquiries.selectors import inquiry_may_end

            inquiry_may_end(municipality=municipality, case=case)
        if (
            action == "approve"
            and actor.kind == ActorKind.OFFICER
            and chain_steps_of(municipality=municipality, case=case)
        ):
            from eloket.approvals.services import approval_submit

            approval_submit(
                actor=actor, municipality=municipality, case=case, outcome="grant", text=reason
            )
            case.refresh_from_db()
            return case
        return super().act(
            actor=actor, municipality=municipality, case=case, action=action, reason=reason
        )

    def decision_blockers(self, case: "Case") -> str:
        from eloket.inquiries.selectors import decision_blockers

        return decision_blockers(municipality=case.municipality, case=case)

    def _confirm_move(
        self, actor: Any, municipality: Any, case: "Case", action: str, reason: str
    ) -> "Case":
        """A move declaration's confirmed residence check: the step (checked first: the
        officer's right, the status), the register's change and the signed mutation to
        the national register commit together or not at all (services/moves.py)."""
        from django.db import transaction

        from eloket.services.moves import move_confirm

        with transaction.atomic():
            case = super().act(
                actor=actor, municipality=municipality, case=case, action=action, reason=reason
            )
            move_confirm(actor=actor, municipality=municipality, case=case)
            return case

    def _open_inquiry(
        self, actor: Any, municipality: Any, case: "Case", action: str, reason: str
    ) -> "Case":
        """The request is complete: its public inquiry opens with the notice the officer
        wrote (`reason`: what is applied for, in the officer's words; the location from
        the answers), and the case enters the inquiry's status."""
        from django.db import transaction

        from eloket.inquiries.services import inquiry_open
        from eloket.services.selectors import service_request_of

        record = service_request_of(municipality=municipality, case=case)
        answers = record.answers if record else {}
        with transaction.atomic():
            inquiry_open(
                actor=actor,
                municipality=municipality,
                case=case,
                title=f"{case.case_type.name(municipality.default_language)} {case.display_code}",
                location=_location_words(answers),
                description=reason,
                place=_location_answer(answers),
            )
            return super().act(
                actor=actor, municipality=municipality, case=case, action=action, reason=reason
            )

    def on_enter(self, case: "Case", change: "StatusChange") -> None:
        from eloket.inquiries.notify import objectors_tell_decision
        from eloket.services.documents import service_document_for

        service_document_for(case, change)
        if change.to_status in (APPROVED, REJECTED):
            # After the document: the e-mail links to it.
            objectors_tell_decision(case, granted=change.to_status == APPROVED)


def _location_answer(answers: dict[str, Any]) -> dict[str, Any] | None:
    """The first location answer (an address, perhaps with coordinates)."""
    for value in answers.values():
        if isinstance(value, dict) and isinstance(value.get("address"), dict):
            return value
    return None


def _location_words(answers: dict[str, Any]) -> str:
    """Where, for a public notice: the first location answer as an address line, else
    the parcel."""
    for value in answers.values():
        if isinstance(value, dict) and isinstance(value.get("address"), dict):
            a = value["address"]
            street = " ".join(str(a.get(k, "")) for k in ("street", "number") if a.get(k))
            place = " ".join(str(a.get(k, "")) for k in ("postcode", "city") if a.get(k))
            return ", ".join(part for part in (street, place) if part)
    return str(answers.get("parcel", ""))


def form_of(case_type: Any) -> "Form":
    """The form of a case type version, parsed once per loaded case type."""
    form = getattr(case_type, "_service_form", None)
    if form is None:
        form = as_form(case_type.options)
        case_type._service_form = form
    return form
