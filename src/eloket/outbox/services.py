"""Officers' writes on the outbox: sending a failed message again."""

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from eloket.audit.services import audit_record
from eloket.common.actors import Actor
from eloket.common.errors import ApplicationError
from eloket.common.permissions import Permission, authorize, same_municipality
from eloket.outbox.kinds import outbox_kinds, ref_scopes
from eloket.outbox.models import OutboxMessage, OutboxState


def outbox_retry(*, actor: Actor, municipality: Any, message: OutboxMessage) -> OutboxMessage:
    """A failed message goes back in line with a fresh count of attempts."""
    authorize(actor, municipality, Permission.OUTBOX_RETRY)
    same_municipality(municipality, message)
    scope, _sep, value = message.ref.partition(":")
    if scope in ref_scopes:
        ref_scopes[scope].check(actor=actor, municipality=municipality, value=value)
    with transaction.atomic():
        locked = OutboxMessage.objects.select_for_update().get(pk=message.pk)
        if locked.state != OutboxState.FAILED:
            raise ApplicationError(
                _("Only a message that failed is sent again."), code="wrong_state"
            )
        locked.state = OutboxState.PENDING
        locked.attempts = 0
        locked.next_attempt_at = timezone.now()
        locked.save(update_fields=["state", "attempts", "next_attempt_at"])
        audit_record(
            actor=actor,
            municipality=municipality,
            action="outbox.retry",
            object_type="outbox",
            object_ref=str(locked.pk),
            data={"kind": locked.kind, "ref": locked.ref, "error": locked.last_error[:200]},
        )
        from eloket.outbox.delivery import outbox_kick

        inline = outbox_kinds[locked.kind].inline
        transaction.on_commit(lambda: outbox_kick(locked.pk, inline=inline))
    return locked
