"""Case handlers: what gives a kind of request its behaviour, registered under an id
(`case_handlers`) and named by each case type.

A handler gives a case its links (the citizen's page, the officer's page), its summary,
the words its timeline parameters stand for, and hooks on entering a status (issue a
document, deliver it, ...), which the engine runs after the commit through the outbox.
It may take over an action (`act`) that needs more than a status change, such as
approving a certificate order, which issues the document in the same transaction.
A kind of request that needs nothing of its own uses the `generic` handler: a case type
in the database is then all it takes.
"""

import datetime as dt
from typing import TYPE_CHECKING, Any, ClassVar

from django.utils import formats
from django.utils.translation import get_language

from eloket.common.actors import Actor
from eloket.common.files import MESSAGE_FILE_RULES, FileRules
from eloket.common.registry import Plugin, Registry

if TYPE_CHECKING:
    from eloket.cases.definitions import Definition
    from eloket.cases.models import Case, StatusChange


class CaseHandler(Plugin):
    # The built-in case type this handler brings (created for a municipality on first
    # use), and the actions its code relies on (a new version must keep them).
    builtin_code: ClassVar[str] = ""
    required_actions: ClassVar[tuple[str, ...]] = ()
    # Statuses whose entering runs `on_enter` after the commit: in the process that made
    # the step, before it answers (what the person waits for, like an instant
    # certificate), or for those also in `background_hooks`, by the task worker.
    hooks: ClassVar[frozenset[str]] = frozenset()
    background_hooks: ClassVar[frozenset[str]] = frozenset()
    # Whether citizens start its requests on the generic "ask" page (certificates have
    # their own order form; a petition's answer is opened by the platform).
    started_by_citizens: ClassVar[bool] = False

    def builtin(self) -> dict[str, Any] | None:
        """{"names", "definition", "processing_days", "department"} of the built-in type."""
        return None

    def catalogue_entry(self, case_type: Any) -> Any:
        """The municipality's catalogue entry for a current, offered case type of this
        handler (a `tenants.catalogue.CatalogueEntry`), or None for kinds citizens do not
        start from the catalogue. One query lists every kind for all handlers."""
        return None

    def citizen_path(self, case: "Case") -> str:
        """The requester's page, relative to the municipality's home."""
        return f"requests/{case.tracking_code}"

    def officer_path(self, case: "Case") -> str:
        return f"backoffice/requests/{case.tracking_code}"

    def links(self, case: "Case") -> list[tuple[str, str]]:
        """More (label, relative path) links shown on the generic request page."""
        return []

    def facts(self, case: "Case") -> list[tuple[str, str]]:
        """More (label, value) facts about the request on its requester's page (a fee,
        for whom it was filed), in the reader's language."""
        return []

    def sections(self, case: "Case") -> list[dict[str, Any]]:
        """What was asked, read-only, as [{"title", "rows": [{"label", "value"}]}]."""
        return []

    def drafts(self, *, municipality: Any, user: Any) -> list[dict[str, Any]]:
        """Requests of this kind the user began and did not send yet, for "My requests":
        [{"title", "path" (to continue, relative to the municipality's home),
        "delete_path", "updated_at", "expires_at"}]."""
        return []

    def summary(self, case: "Case", language: str | None = None) -> str:
        return case.title

    def title(self, case: "Case") -> str:
        """What the request is about, as its pages and lists name it, in the reader's
        language. The title stored on the case is in the language the request was made
        in; kinds whose title is a name of the platform's or the municipality's (a
        certificate, a kind of request) give it again from that name when read."""
        return case.title

    def timeline_params(self, case: "Case", params: dict[str, Any]) -> dict[str, Any]:
        """Parameters of a timeline text in the reader's language: the kind of request in
        words, the municipality's name in the reader's language."""
        params = dict(params)
        if "what" in params:
            params["what"] = in_sentence(self.what_label(case, str(params["what"])))
        if "municipality" in params:
            params["municipality"] = case.municipality.display_name(get_language())
        if "deadline" in params:  # a day to act by (ISO), in the reader's words
            try:
                day = dt.date.fromisoformat(str(params["deadline"]))
            except ValueError:
                pass
            else:
                params["deadline"] = formats.date_format(day, "DATE_FORMAT")
        if "role_code" in params:  # an officer's role (an approval), in the reader's words
            from eloket.identity.selectors import role_label

            role = str(role_label(str(params["role_code"])))
            department = params.get("department")
            params["role"] = f"{role}, {department}" if department else role
        return params

    def what_label(self, case: "Case", value: str) -> str:
        """What was asked, from the code kept in the timeline's first step."""
        return case.case_type.name()

    def act(
        self, *, actor: Actor, municipality: Any, case: "Case", action: str, reason: str = ""
    ) -> "Case":
        """Carry out `action` (from a page, the API or a task). The default makes the
        transition the definition names; handlers override actions that do more."""
        from eloket.cases.services import case_transition

        case_transition(
            actor=actor, municipality=municipality, case=case, action=action, reason=reason
        )
        case.refresh_from_db()
        return case

    def condition_values(self, case: "Case") -> dict[str, Any]:
        """What an approval chain's conditions read (a service's answers and fee)."""
        return {}

    def on_enter(self, case: "Case", change: "StatusChange") -> None:
        """Work that follows entering a status in `hooks`; runs once, after the commit,
        in its own transaction (retried by the outbox when it fails)."""

    def makes_document_on(self, case: "Case", status: str) -> bool:
        """Whether entering `status` makes a document the requester downloads from the
        request's page (the status e-mail says so; the document follows the commit)."""
        return False

    def decision_blockers(self, case: "Case") -> str:
        """Why the request cannot be decided yet ("" when it can), e.g. a public inquiry
        that still runs or an objection without an answer. Checked before a decision at
        once and before a draft goes up an approval chain."""
        return ""

    def decision_document(
        self,
        case: "Case",
        *,
        granted: bool,
        text: str,
        prepared_at: Any,
        approvals: list[dict[str, Any]],
    ) -> Any:
        """The decision document a draft decision becomes, rendered and not yet signed
        (a `documents.services.PreparedDocument`), for approvers to sign; None when
        the kind of request makes no decision document."""
        return None

    def deliverables(self, case: "Case") -> list[tuple[str, str]]:
        """What a delivery sends: (attachment source, reference) pairs."""
        return []

    def file_rules(self, case: "Case", question: str) -> FileRules | None:
        """What files `question` of the case's form takes (types, size, count), or None
        when its form asks no such file question. The question "" is a message of the
        case's thread: PDFs and images by default."""
        if question:
            return None
        return MESSAGE_FILE_RULES

    def missing_actions(self, definition: "Definition") -> list[str]:
        return [a for a in self.required_actions if not definition.has_action(a)]


def in_sentence(label: str) -> str:
    """A name as it reads inside a sentence: "Certificate of residence" becomes
    "certificate of residence"; German nouns keep their capital."""
    if (get_language() or "").startswith("de"):
        return label
    return label[:1].lower() + label[1:]


case_handlers: Registry[CaseHandler] = Registry("case_handlers", description="case handler")


@case_handlers.register("generic")
class GenericHandler(CaseHandler):
    """A kind of request defined by data alone: the definition's transitions, the
    generic pages, nothing else."""

    verbose_name = "generic request"
    started_by_citizens = True

    def catalogue_entry(self, case_type: Any) -> Any:
        from django.utils.translation import gettext as _

        from eloket.tenants.catalogue import CatalogueEntry

        days = {"n": case_type.processing_days}
        return CatalogueEntry(
            title=case_type.name(),
            description=_("Answered within %(n)d days.") % days
            if case_type.audience == "anyone"
            else _("For residents; answered within %(n)d days.") % days,
            url=f"ask/{case_type.code}",
        )

    def title(self, case: "Case") -> str:
        # Started on the "ask" page, such a request is titled with its kind's name (the
        # citizen's own words are its first message).
        return case.case_type.name() or case.title
