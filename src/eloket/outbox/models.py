"""The outbox: side effects (e-mails, work that follows a status change, later registry
messages and webhooks) written as rows in the same transaction as the change that causes
them, and carried out by the worker with an attempt count, back-off and a final `failed`
state that the back office shows and can retry. A crash after the commit loses nothing:
the row is there, and the next delivery run takes it up."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class OutboxState(models.TextChoices):
    PENDING = "pending", _("waiting to be sent")
    SENDING = "sending", _("being sent")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed")


class OutboxMessage(models.Model):
    municipality = models.ForeignKey(
        "tenants.Municipality", null=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=60, help_text="A registered kind (outbox.kinds).")
    # What it belongs to, for the back office (e.g. "case:K7M2QXBZ"); never personal data.
    ref = models.CharField(max_length=80, blank=True, db_index=True)
    payload = models.JSONField(default=dict)
    state = models.CharField(
        max_length=10, choices=OutboxState.choices, default=OutboxState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    max_attempts = models.PositiveSmallIntegerField(default=8)
    next_attempt_at = models.DateTimeField()
    # While a worker sends it; after this moment another worker may take it up.
    lease_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"]),
            models.Index(fields=["municipality", "state"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.ref} ({self.state})"
