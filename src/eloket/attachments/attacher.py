"""The case engine's message attacher: a message's files, checked against what the
case's handler accepts for messages (`file_rules(case, "")`)."""

from typing import Any

from django.utils.translation import gettext as _

from eloket.attachments.services import attachments_store
from eloket.cases.events import MessageAttacher, message_attachers
from eloket.cases.handlers import case_handlers
from eloket.cases.models import Case, CaseMessage
from eloket.common.actors import Actor
from eloket.common.errors import ApplicationError


@message_attachers.register("attachments")
class StoreMessageFiles(MessageAttacher):
    verbose_name = "attachments of messages"

    def attach(
        self, *, actor: Actor, municipality: Any, case: Case, message: CaseMessage, files: list
    ) -> None:
        rules = case_handlers[case.case_type.handler].file_rules(case, "")
        if rules is None:
            raise ApplicationError(
                _("Messages about this request cannot carry files."), code="no_attachments"
            )
        attachments_store(
            actor=actor,
            municipality=municipality,
            uploads=files,
            rules=rules,
            case=case,
            message=message,
        )
