"""Writing the audit trail. Services call `audit_record` inside their own transaction, so
the event commits (or rolls back) with the change it records."""

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from eloket.audit.models import AuditEvent
from eloket.common.actors import Actor
from eloket.common.chain import ChainFamily, chain_append, chain_families

CHAIN_PREFIX = "audit:"


def _chain_name(municipality_id: int | None) -> str:
    return f"{CHAIN_PREFIX}{municipality_id or 'platform'}"


def audit_record(
    *,
    actor: Actor,
    municipality: Any,
    action: str,
    object_type: str,
    object_ref: str,
    reason: str = "",
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the municipality's chain (the platform's when None)."""
    municipality_id = municipality.pk if municipality is not None else None
    event = AuditEvent(
        municipality_id=municipality_id,
        at=timezone.now().replace(microsecond=0),
        action=action[:60],
        object_type=object_type[:40],
        object_ref=str(object_ref)[:80],
        actor_kind=str(actor.kind),
        actor_label=actor.label[:200],
        actor_role=actor.role[:40],
        actor_user_id=actor.user_id,
        reason=reason,
        data=data or {},
    )
    return chain_append(event, chain=_chain_name(municipality_id))


@chain_families.register("audit")
class AuditChains(ChainFamily):
    verbose_name = "audit trail"
    prefix = CHAIN_PREFIX

    def entries(self) -> QuerySet[AuditEvent]:
        return AuditEvent.objects.all()
