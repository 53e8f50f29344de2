"""E-mails to citizens about their requests: one e-mail for each outcome, not one for
each step. A step that is news for the requester — an outcome (a final status: delivered,
rejected, answered) or a question (a status that waits for them: needs information) —
makes an e-mail in the language they used, with the link to the request's page, where the
whole timeline is; the steps in between (received, in review, approved, issued) are on
that page only (`Definition.tells_requester`; a status's `notify` overrides it). Nobody
is e-mailed about a step they made themselves, nor about a step that itself reached them
(the e-mail carrying their document: an instant certificate sent by e-mail makes exactly
that one e-mail). Written to the outbox in the same transaction as the step (sent by the
worker, retried when the mail server fails). Notifications only listen: sending never
changes a case.

Outcomes that follow each other quickly make one e-mail, not one each: an e-mail waits
ELOKET_STATUS_EMAIL_QUIET_SECONDS, and a step within that time takes the waiting e-mail
back and sends one telling both.

No national number ever goes into an e-mail.
"""

import datetime as dt

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from eloket.cases.display import case_url, history_text
from eloket.cases.events import CaseListener, case_listeners
from eloket.cases.handlers import case_handlers
from eloket.cases.models import Case, StatusChange
from eloket.common.actors import ActorKind
from eloket.outbox.email import email_put
from eloket.outbox.queue import outbox_take_back

MERGE_KEY = "case-status"


@case_listeners.register("notifications.email")
class StatusEmail(CaseListener):
    verbose_name = "e-mail the requester about each outcome"

    def changed(self, case: Case, change: StatusChange, *, requester_told: bool = False) -> None:
        if not case.contact_email or requester_told:
            return
        if not case.case_type.spec.tells_requester(change.to_status):
            return
        if change.actor_kind == ActorKind.CITIZEN and change.actor_user_id == case.requester_id:
            return  # their own step (a cancellation): they know
        ref = f"case:{case.tracking_code}"
        quiet = settings.ELOKET_STATUS_EMAIL_QUIET_SECONDS
        earlier: list[dict[str, str]] = []
        if quiet > 0:
            for payload in outbox_take_back(
                municipality=case.municipality, kind="email", ref=ref, merge_key=MERGE_KEY
            ):
                earlier.extend(payload.get("steps", []))
        with translation.override(case.language):
            municipality = case.municipality.display_name(case.language)
            status = case.case_type.status_name(change.to_status)
            step = {
                "status": status,
                "text": history_text(change, case),
                "reason": change.reason,
            }
            steps = [*earlier, step]
            subject = _("%(municipality)s: your request %(code)s — %(status)s") % {
                "municipality": municipality,
                "code": case.display_code,
                "status": status,
            }
            body = render_to_string(
                "notifications/status_change.txt",
                {
                    "case": case,
                    "steps": steps,
                    "url": case_url(case),
                    "municipality": municipality,
                    "status": status,
                    "document": case_handlers[case.case_type.handler].makes_document_on(
                        case, change.to_status
                    ),
                },
            )
        email_put(
            municipality=case.municipality,
            to=case.contact_email,
            subject=subject,
            body=body,
            ref=ref,
            not_before=timezone.now() + dt.timedelta(seconds=quiet) if quiet > 0 else None,
            extra={"merge_key": MERGE_KEY, "steps": steps},
        )
