"""Delivering what a case produced, and the work that follows a status change.

Delivery channels (`delivery_channels`: download, e-mail, post; later a digital mailbox)
are plugins. A channel starts inside the transaction that made the document and makes
the case's `deliver` transition itself once the document has reached the citizen:
download at once, e-mail when the mail server took it (the `case.deliver_email` outbox
kind, retried with back-off; a final failure shows in the back office), post when an
officer marks the printed batch as posted. Notifications only listen.

`case.hook`: the outbox kind that runs a handler's hook on entering a status, once, after
the commit (inline: the citizen who waits sees its result at once).
"""

import logging
from typing import Any, ClassVar

from django.conf import settings
from django.db.models import Value
from django.db.models.functions import Concat
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from eloket.cases import messages as texts
from eloket.cases.handlers import case_handlers
from eloket.cases.models import Case, StatusChange
from eloket.common.actors import Actor
from eloket.common.permissions import Permission, authorize
from eloket.common.registry import Plugin, Registry
from eloket.outbox.email import send_email, smtp_refused_for_good
from eloket.outbox.kinds import OutboxKind, RefScope, outbox_kinds, ref_scopes
from eloket.outbox.models import OutboxMessage
from eloket.outbox.queue import outbox_put
from eloket.tenants.selectors import plugin_options

log = logging.getLogger(__name__)

DELIVER = "deliver"


def platform_actor(municipality: object, process: str = "Eloket") -> Actor:
    return Actor.system(process, municipality)  # type: ignore[arg-type]


class DeliveryChannel(Plugin):
    def start(self, case: Case) -> None:
        """Begin delivering `case`'s documents (inside the caller's transaction)."""
        raise NotImplementedError

    def options(self, municipality: Any) -> dict[str, Any] | None:
        """The municipality's options, or None when it switched the channel off."""
        return plugin_options(
            municipality=municipality, registry="delivery_channels", plugin=self.id
        )

    def available(self, municipality: Any) -> bool:
        return self.options(municipality) is not None


delivery_channels: Registry[DeliveryChannel] = Registry(
    "delivery_channels", description="delivery channel", configurable=True
)


@delivery_channels.register("download")
class Download(DeliveryChannel):
    verbose_name = _("download")

    def start(self, case: Case) -> None:
        from eloket.cases.services import case_transition

        case_transition(
            actor=platform_actor(case.municipality),
            municipality=case.municipality,
            case=case,
            action=DELIVER,
            message=texts.DELIVERED_DOWNLOAD,
        )


@delivery_channels.register("email")
class ByEmail(DeliveryChannel):
    verbose_name = _("e-mail")
    # Where citizens' answers to the document e-mail go (the municipality's desk).
    options_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {"reply_to": {"type": "string", "pattern": "^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$"}},
    }

    def start(self, case: Case) -> None:
        outbox_put(
            municipality=case.municipality,
            kind="case.deliver_email",
            ref=f"case:{case.tracking_code}",
            payload={"case": case.pk},
        )


@delivery_channels.register("post")
class ByPost(DeliveryChannel):
    """Waits for the back office's print batch (certificates/postal.py)."""

    verbose_name = _("post to the address in the register")

    def start(self, case: Case) -> None:
        return None


@outbox_kinds.register("case.deliver_email")
class DeliverByEmail(OutboxKind):
    verbose_name = "document by e-mail"
    max_attempts = 8

    def deliver(self, message: OutboxMessage) -> None:
        from eloket.cases.display import case_url
        from eloket.cases.services import case_transition

        case = Case.objects.select_related("municipality", "case_type").get(
            pk=message.payload["case"]
        )
        if case.case_type.spec.transition(DELIVER, case.status) is None:
            return  # delivered another way meanwhile, or cancelled: nothing to send
        handler = case_handlers[case.case_type.handler]
        attachments = handler.deliverables(case)
        municipality = case.municipality.display_name(case.language)
        with translation.override(case.language):
            subject = _("%(municipality)s: your document for request %(code)s") % {
                "municipality": municipality,
                "code": case.display_code,
            }
            body = render_to_string(
                "cases/document_email.txt",
                {
                    "case": case,
                    "url": case_url(case),
                    "documents": [
                        (
                            "-".join(ref[i : i + 4] for i in range(0, len(ref), 4)),
                            f"{settings.ELOKET_BASE_URL}/verify/{ref}",
                        )
                        for source, ref in attachments
                        if source == "document"
                    ],
                    "municipality": municipality,
                },
            )
        options = delivery_channels["email"].options(case.municipality) or {}
        send_email(
            {
                "to": [case.contact_email],
                "subject": subject,
                "body": body,
                "attachments": attachments,
                "reply_to": [options["reply_to"]] if options.get("reply_to") else [],
            }
        )
        case_transition(
            actor=platform_actor(case.municipality),
            municipality=case.municipality,
            case=case,
            action=DELIVER,
            message=texts.DELIVERED_EMAIL,
            params={"email": case.contact_email},
            # The document's e-mail is the news: no second e-mail saying it was sent.
            requester_told=True,
        )

    def is_permanent(self, exc: Exception) -> bool:
        return smtp_refused_for_good(exc)

    def describe(self, message: OutboxMessage) -> str:
        return _("the document, by e-mail")


@ref_scopes.register("case")
class CaseMessages(RefScope):
    """The messages of a case: for the officers who may handle its kind."""

    def check(self, *, actor: Any, municipality: Any, value: str) -> None:
        case = (
            Case.objects.filter(municipality=municipality, tracking_code=value)
            .select_related("case_type")
            .first()
        )
        if case is not None:
            authorize(
                actor, municipality, Permission.CASE_HANDLE, department=case.case_type.department
            )

    def hidden_refs(self, *, actor: Any, municipality: Any) -> Any:
        from eloket.cases.selectors import handled_types

        return (
            Case.objects.filter(municipality=municipality)
            .exclude(case_type__in=handled_types(municipality=municipality, actor=actor))
            .annotate(ref=Concat(Value("case:"), "tracking_code"))
            .values("ref")
        )


@outbox_kinds.register("case.hook")
class CaseHook(OutboxKind):
    verbose_name = "work after a status change"
    transactional = True
    inline = True

    def deliver(self, message: OutboxMessage) -> None:
        change = StatusChange.objects.select_related(
            "case__case_type", "case__municipality", "case__requester"
        ).get(pk=message.payload["change"])
        case = change.case
        handler = case_handlers[case.case_type.handler]
        handler.on_enter(case, change)

    def describe(self, message: OutboxMessage) -> str:
        return _("the next step of the request")


@outbox_kinds.register("case.hook.background")
class CaseHookInBackground(CaseHook):
    """The same work, done by the task worker instead of before the answer to the request
    that made the step: what nobody waits for on that answer (a service's sealed receipt
    or decision, shown on the request's page a moment later). See
    `CaseHandler.background_hooks`."""

    verbose_name = "work after a status change, in the background"
    inline = False
