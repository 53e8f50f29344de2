"""A petition that reached its threshold opens a case on the engine: the municipality
must answer it by a deadline, and the initiator follows it like any request."""

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from eloket.cases.handlers import CaseHandler, case_handlers
from eloket.cases.models import Case
from eloket.common.actors import Actor
from eloket.petitions import messages as texts

KIND = "petition"


def _msg(msgid: str) -> dict[str, str]:
    return {"msgid": msgid}


DEFINITION: dict[str, Any] = {
    "statuses": [
        {"code": "submitted", "names": _msg(gettext_noop("submitted")), "initial": True},
        {"code": "in_review", "names": _msg(gettext_noop("in review"))},
        {"code": "answered", "names": _msg(gettext_noop("answered")), "final": True},
    ],
    "transitions": [
        {
            "action": "take_up",
            "from": ["submitted"],
            "to": "in_review",
            "by": ["system", "clerk"],
            "texts": _msg(texts.PETITION_TAKEN_UP),
        },
        {
            "action": "answer",
            "from": ["submitted", "in_review"],
            "to": "answered",
            "by": ["clerk"],
            "names": _msg(gettext_noop("Publish the answer")),
            "texts": _msg(texts.PETITION_ANSWERED),
            "reason_required": True,
        },
    ],
}


@case_handlers.register("petitions.answer")
class PetitionAnswerHandler(CaseHandler):
    verbose_name = "petition to answer"
    builtin_code = KIND
    required_actions = ("take_up", "answer")

    def builtin(self) -> dict[str, Any]:
        return {
            "names": _msg(gettext_noop("petition to answer")),
            "definition": DEFINITION,
            "processing_days": 90,
        }

    def _petition_id(self, case: Case) -> int | None:
        from eloket.petitions.models import Petition

        return Petition.objects.filter(case=case).values_list("pk", flat=True).first()

    def officer_path(self, case: Case) -> str:
        return f"backoffice/petitions/{self._petition_id(case)}"

    def links(self, case: Case) -> list[tuple[str, str]]:
        return [(_("The petition and its answer"), f"petitions/{self._petition_id(case)}")]

    def what_label(self, case: Case, value: str) -> str:
        return _("petition")

    def act(
        self, *, actor: Actor, municipality: Any, case: Case, action: str, reason: str = ""
    ) -> Case:
        """Answering publishes the answer on the petition (the reason is its text)."""
        if action != "answer":
            return super().act(
                actor=actor, municipality=municipality, case=case, action=action, reason=reason
            )
        from eloket.petitions.models import Petition
        from eloket.petitions.services import petition_answer

        petition = Petition.objects.get(municipality=municipality, case=case)
        petition_answer(actor=actor, municipality=municipality, petition=petition, answer=reason)
        case.refresh_from_db()
        return case
