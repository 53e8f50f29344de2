"""The audit trail: what was decided or changed that a citizen or an auditor cares about
(decisions on requests, revocations and supersessions of documents, officers' roles,
admissibility of petitions, phases of topics, moderation), by whom, when and why.

One append-only table, hash-chained per municipality like the access log
(`common/chain.py`); `eloket audit verify` checks both.
"""

from django.db import models

from eloket.common.models import AppendOnlyModel


class AuditEvent(AppendOnlyModel):
    # Null for the platform's own events (no municipality).
    municipality = models.ForeignKey(
        "tenants.Municipality", null=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(db_index=True)
    action = models.CharField(max_length=60, help_text="e.g. case.approve, document.revoke")
    object_type = models.CharField(max_length=40, help_text="e.g. case, document, topic")
    object_ref = models.CharField(max_length=80, help_text="e.g. a tracking or document code")
    actor_kind = models.CharField(max_length=12)
    actor_label = models.CharField(max_length=200)
    actor_role = models.CharField(max_length=40, blank=True)
    actor_user_id = models.BigIntegerField(null=True, blank=True)
    reason = models.TextField(blank=True)
    # What changed (from and to, counts): never a national number.
    data = models.JSONField(default=dict, blank=True)
    chain = models.CharField(max_length=80)
    sequence = models.PositiveBigIntegerField()
    previous_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["-at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["chain", "sequence"], name="audit_chain_sequence")
        ]
        indexes = [
            models.Index(fields=["municipality", "-at"]),
            models.Index(fields=["object_type", "object_ref"]),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_ref} by {self.actor_label}"

    def chained_content(self) -> dict[str, object]:
        return {
            "municipality": self.municipality_id,
            "at": self.at,
            "action": self.action,
            "object_type": self.object_type,
            "object_ref": self.object_ref,
            "actor_kind": self.actor_kind,
            "actor_label": self.actor_label,
            "actor_role": self.actor_role,
            "actor_user": self.actor_user_id,
            "reason": self.reason,
            "data": self.data,
        }
