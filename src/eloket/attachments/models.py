"""Files sent with a request: a form question's file (uploaded while the citizen fills in
a draft, moved onto the case when it is submitted) or a message's attachment. The file
lives on the private "attachments" storage under a name of ours; the name the sender
gave is kept, cleaned, to show and to offer when it is opened."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from eloket.attachments.storage import get_attachment_storage
from eloket.common.models import TenantOwnedModel


class Attachment(TenantOwnedModel):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    # A form draft's files, before its case exists (the draft's secret token); emptied
    # when the case is submitted.
    draft_token = models.CharField(max_length=100, blank=True, db_index=True)
    # The form question's name; empty for a message's attachment.
    question = models.CharField(max_length=100, blank=True)
    message = models.ForeignKey(
        "cases.CaseMessage",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="attachments",
    )
    file = models.FileField(storage=get_attachment_storage, max_length=200)
    name = models.CharField(max_length=200, help_text="The sender's file name, cleaned.")
    content_type = models.CharField(max_length=100, help_text="Read from the content.")
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    # Who sent it (for a draft: the citizen who owns the draft).
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["uploaded_at", "id"]
        indexes = [models.Index(fields=["case", "question"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(case__isnull=False) | ~models.Q(draft_token=""),
                name="attachment_of_a_case_or_a_draft",
            )
        ]

    def __str__(self) -> str:
        return f"{self.public_id} {self.name}"

    @property
    def opens_in_place(self) -> bool:
        from eloket.attachments.checks import INLINE_TYPES

        return self.content_type in INLINE_TYPES
