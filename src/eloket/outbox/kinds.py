"""Kinds of outbox messages, registered by the apps that define them (`outbox_kinds`).

A kind says how to carry a message out (`deliver`, which raises when it did not work),
whether that happens inside the transaction that marks it sent (`transactional`: for
work that only writes the database, so it happens exactly once), whether it runs at once
in the process that committed it (`inline`: work the person waits for, like issuing a
certificate) or on the task worker, and which failures are final (`is_permanent`).
"""

from typing import TYPE_CHECKING, Any

from eloket.common.registry import Plugin, Registry

if TYPE_CHECKING:
    from eloket.outbox.models import OutboxMessage


class OutboxKind(Plugin):
    transactional: bool = False
    inline: bool = False
    max_attempts: int = 8
    # More than 1: the sender claims up to this many due messages of the kind at once and
    # hands them to `deliver_many` (one request for several, say); not for transactional
    # kinds.
    batch_size: int = 1

    def deliver(self, message: "OutboxMessage") -> None:
        raise NotImplementedError

    def deliver_many(self, messages: list["OutboxMessage"]) -> dict[int, Exception | None]:
        """Carry out several (claimed) messages; per message's pk, None when it worked or
        the exception that says why not. Raising fails them all alike."""
        results: dict[int, Exception | None] = {}
        for message in messages:
            try:
                self.deliver(message)
                results[message.pk] = None
            except Exception as exc:
                results[message.pk] = exc
        return results

    def is_permanent(self, exc: Exception) -> bool:
        """A failure that no retry will mend (a refused address, say)."""
        return False

    def describe(self, message: "OutboxMessage") -> str:
        """One line for the back office (never personal data)."""
        return str(self)


outbox_kinds: Registry[OutboxKind] = Registry("outbox_kinds", description="kind of message")


class RefScope(Plugin):
    """Who may see and resend the messages about one kind of thing (a message's `ref`
    is "<scope>:<value>", e.g. "case:K7M2QXBZ"): the app that owns the thing says."""

    def check(self, *, actor: Any, municipality: Any, value: str) -> None:
        """Raise PermissionDenied when `actor` may not act on the messages of `value`."""

    def hidden_refs(self, *, actor: Any, municipality: Any) -> Any:
        """The refs (a queryset of strings, or a list) the actor may not see."""
        return []


ref_scopes: Registry[RefScope] = Registry("outbox_ref_scopes", description="outbox reference")
