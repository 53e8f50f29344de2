"""What follows a change of people's register data (a move, a death): listeners
(`register_listeners`, e.g. certificates supersede what no longer holds) run from the
outbox once the change is committed, in their own transaction, retried when they fail."""

from typing import Any

from eloket.common.registry import Plugin, Registry
from eloket.outbox.kinds import OutboxKind, outbox_kinds
from eloket.outbox.models import OutboxMessage


class RegisterListener(Plugin):
    def changed(self, municipality: Any, person_ids: list[int]) -> None:
        raise NotImplementedError


register_listeners: Registry[RegisterListener] = Registry(
    "register_listeners", description="register listener"
)


@outbox_kinds.register("register.changed")
class RegisterChanged(OutboxKind):
    verbose_name = "register data changed"
    transactional = True

    def deliver(self, message: OutboxMessage) -> None:
        for listener in register_listeners:
            listener.changed(message.municipality, list(message.payload["persons"]))
