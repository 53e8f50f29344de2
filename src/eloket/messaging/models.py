"""Messages exchanged with the national registries, and the tamper-evident log of them.

`RegistryMessage` is the working row of one message in or out (its state changes: an
incoming mutation is received, perhaps held for its predecessor, then applied or refused).
`MessageLogEntry` is the log: append-only and hash-chained (`common/chain.py`), one row
per event of a message, with the SHA-256 of the signed XML, so a message changed or removed
afterwards no longer fits the chain (`eloket audit verify` checks it)."""

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from eloket.common.models import AppendOnlyModel


class Direction(models.TextChoices):
    IN = "in", _("in")
    OUT = "out", _("out")


class MessageState(models.TextChoices):
    RECEIVED = "received", _("received")
    HELD = "held", _("waiting for an earlier mutation")
    APPLIED = "applied", _("applied")
    REFUSED = "refused", _("refused")
    SENT = "sent", _("sent")
    QUEUED = "queued", _("waiting to be sent")
    DELIVERED = "delivered", _("delivered")


class RegistryMessage(models.Model):
    municipality = models.ForeignKey(
        "tenants.Municipality", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    direction = models.CharField(max_length=3, choices=Direction.choices)
    type = models.CharField(max_length=40)
    message_id = models.CharField(max_length=80)
    correlation_id = models.CharField(max_length=80, blank=True)
    sender = models.CharField(max_length=80, blank=True)
    receiver = models.CharField(max_length=80, blank=True)
    state = models.CharField(max_length=10, choices=MessageState.choices)
    kind = models.CharField(max_length=20, blank=True, help_text="A mutation's kind.")
    # Whose mutation (for the per-person order); never shown in a URL or a log line.
    national_number = models.CharField(max_length=13, blank=True)
    sequence = models.PositiveIntegerField(null=True, blank=True)
    # The request that caused an outgoing mutation (its tracking code): its case moves on
    # when the register acknowledges the message (a move declaration is then done).
    case_code = models.CharField(max_length=12, blank=True)
    xml = models.BinaryField(help_text="The message as signed.")
    # The registry's signed acknowledgement of an outgoing message (kept as evidence: the
    # log holds its SHA-256, `eloket messages export` the document itself).
    answer_xml = models.BinaryField(default=b"", blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["direction", "message_id"], name="registry_message_once"
            )
        ]
        indexes = [models.Index(fields=["sender", "national_number", "state"])]

    def __str__(self) -> str:
        return f"{self.direction} {self.type} {self.message_id} ({self.state})"


class PersonSequence(models.Model):
    """The last mutation applied of one person from one sender (their `Sequence`)."""

    sender = models.CharField(max_length=80)
    national_number = models.CharField(max_length=13)
    last_applied = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["sender", "national_number"], name="person_sequence_once"
            )
        ]

    def __str__(self) -> str:  # never the national number
        return f"{self.sender} person order {self.pk}: {self.last_applied}"


class MessageLogEntry(AppendOnlyModel):
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    municipality_slug = models.CharField(max_length=60, blank=True)
    direction = models.CharField(max_length=3, choices=Direction.choices)
    type = models.CharField(max_length=40)
    message_id = models.CharField(max_length=80)
    correlation_id = models.CharField(max_length=80, blank=True)
    event = models.CharField(max_length=20)
    detail = models.CharField(max_length=300, blank=True)
    xml_sha256 = models.CharField(max_length=64)
    # The signed XML itself, for what Eloket signs and keeps nowhere else (its
    # acknowledgements and errors); the other messages' XML is their `RegistryMessage`'s.
    # Its SHA-256 is the chained `xml_sha256`, so it cannot change unseen.
    xml = models.BinaryField(default=b"", blank=True)
    chain = models.CharField(max_length=80)
    sequence = models.PositiveBigIntegerField()
    previous_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["-sequence"]
        constraints = [
            models.UniqueConstraint(fields=["chain", "sequence"], name="message_log_chain_sequence")
        ]

    def chained_content(self) -> dict[str, Any]:
        return {
            "municipality": self.municipality_slug,
            "direction": self.direction,
            "type": self.type,
            "message_id": self.message_id,
            "correlation_id": self.correlation_id,
            "event": self.event,
            "detail": self.detail,
            "xml_sha256": self.xml_sha256,
        }


class MessageLogTimestamp(AppendOnlyModel):
    """An RFC 3161 time-stamp of the message log's head: the token's message imprint is the
    head entry's `entry_hash` (SHA-256), so it dates every entry up to `length` at once
    (one request per batch, whatever the number of messages)."""

    chain = models.CharField(max_length=80)
    length = models.PositiveBigIntegerField(help_text="The head's sequence number.")
    head_hash = models.CharField(max_length=64)
    token = models.BinaryField(help_text="The TimeStampToken (DER, a CMS SignedData).")
    stamped_at = models.DateTimeField(help_text="The TSA's time (genTime).")
    tsa_url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-length"]
        constraints = [
            models.UniqueConstraint(fields=["chain", "length"], name="message_timestamp_once")
        ]

    def __str__(self) -> str:
        return f"{self.chain} up to {self.length} at {self.stamped_at:%Y-%m-%d %H:%M:%S}"
