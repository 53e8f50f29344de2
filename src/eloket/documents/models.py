"""Sealed documents and their public status: valid, revoked or superseded."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from eloket.common.models import ActedBy, AppendOnlyModel, TenantOwnedModel

# Document codes use the tracking alphabet: no 0/O, 1/I/L, no vowels.
CODE_ALPHABET = "23456789BCDFGHJKMNPQRSTVWXZ"


# The documents services produce (services/documents.py), by stored kind, and the kind
# the API and the pages name them by; any other kind is a certificate type's code.
SERVICE_KINDS = {"service_receipt": "receipt", "service_decision": "decision"}


class DocumentStatus(models.TextChoices):
    VALID = "valid", _("valid")
    REVOKED = "revoked", _("revoked")
    SUPERSEDED = "superseded", _("superseded")


class IssuedDocument(TenantOwnedModel):
    """A document the municipality issued and sealed. The PDF is kept in the database
    (like logos: many stateless web nodes, no shared file store), with its SHA-256 so an
    uploaded copy can be matched byte for byte."""

    code = models.CharField(max_length=12, unique=True)
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="documents"
    )
    kind = models.CharField(max_length=40, help_text="e.g. a certificate type code")
    language = models.CharField(max_length=5)
    subject = models.ForeignKey(
        "register.Person", on_delete=models.PROTECT, related_name="+", null=True
    )
    # A minimal summary shown to anyone who verifies: never the national number.
    summary = models.JSONField(default=dict)
    issued_at = models.DateTimeField()
    pdf = models.BinaryField()
    sha256 = models.CharField(max_length=64, db_index=True)
    # Digest of the register data the document attests; when it no longer matches the
    # register, the document is superseded.
    attested_digest = models.CharField(max_length=64)
    status = models.CharField(
        max_length=12, choices=DocumentStatus.choices, default=DocumentStatus.VALID
    )
    status_changed_at = models.DateTimeField(null=True, blank=True)
    status_reason = models.CharField(max_length=300, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    timestamped = models.BooleanField(default=False)

    class Meta:
        ordering = ["-issued_at"]
        indexes = [models.Index(fields=["subject", "status"])]

    def __str__(self) -> str:
        return self.display_code

    @property
    def display_code(self) -> str:
        return "-".join(self.code[i : i + 4] for i in range(0, len(self.code), 4))

    @property
    def api_kind(self) -> str:
        """`receipt`, `decision` (a service's documents) or a certificate type's code."""
        return SERVICE_KINDS.get(self.kind, self.kind)


class DocumentStatusChange(TenantOwnedModel, AppendOnlyModel, ActedBy):
    """One change of a document's public status (revoked, superseded), kept as a row: the
    document's `status` is the latest of them, its history is all of them."""

    document = models.ForeignKey(
        IssuedDocument, on_delete=models.PROTECT, related_name="status_changes"
    )
    at = models.DateTimeField()
    from_status = models.CharField(max_length=12, choices=DocumentStatus.choices)
    to_status = models.CharField(max_length=12, choices=DocumentStatus.choices)
    reason = models.CharField(max_length=300)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.document_id} {self.from_status}->{self.to_status}"
