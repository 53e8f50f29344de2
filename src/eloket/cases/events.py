"""Listeners to case changes (`case_listeners`): notifications register one. A listener
runs inside the transaction of the change and may only write (outbox rows): it sends
nothing itself and never changes the case."""

from typing import TYPE_CHECKING, Any

from eloket.common.registry import Plugin, Registry

if TYPE_CHECKING:
    from eloket.cases.models import Case, CaseMessage, StatusChange
    from eloket.common.actors import Actor


class CaseListener(Plugin):
    def changed(
        self, case: "Case", change: "StatusChange", *, requester_told: bool = False
    ) -> None:
        """`requester_told`: the step itself reached the requester (the e-mail that
        carried their document), so they need no word about it."""
        raise NotImplementedError


case_listeners: Registry[CaseListener] = Registry("case_listeners", description="case listener")


class MessageAttacher(Plugin):
    """Stores the files sent with a message (the attachments app registers one): called
    inside the message's transaction, after its row is written; raises ApplicationError
    (and stores nothing) when a file is refused, which undoes the message too."""

    def attach(
        self,
        *,
        actor: "Actor",
        municipality: Any,
        case: "Case",
        message: "CaseMessage",
        files: list,
    ) -> None:
        raise NotImplementedError


message_attachers: Registry[MessageAttacher] = Registry(
    "message_attachers", description="message attacher"
)
