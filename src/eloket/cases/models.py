"""Requests of every kind (certificate orders now; permits and petitions later): a
tracking code, a status changed only by transition services, an append-only history the
citizen reads as a timeline, and two-way messages."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from eloket.common.models import AppendOnlyModel, TenantOwnedModel, TimeStampedModel

# Tracking codes leave out characters people confuse (0/O, 1/I/L) and vowels that could
# spell words.
TRACKING_ALPHABET = "23456789BCDFGHJKMNPQRSTVWXZ"


class Status(models.TextChoices):
    SUBMITTED = "submitted", _("submitted")
    IN_REVIEW = "in_review", _("in review")
    NEEDS_INFORMATION = "needs_information", _("needs information")
    APPROVED = "approved", _("approved")
    ISSUED = "issued", _("issued")
    DELIVERED = "delivered", _("delivered")
    REJECTED = "rejected", _("rejected")
    CANCELLED = "cancelled", _("cancelled")
    ANSWERED = "answered", _("answered")


# Which status may follow which. Anything else is refused by `case_transition`.
TRANSITIONS: dict[str, set[str]] = {
    Status.SUBMITTED: {Status.IN_REVIEW, Status.APPROVED, Status.REJECTED, Status.CANCELLED},
    Status.IN_REVIEW: {
        Status.NEEDS_INFORMATION,
        Status.APPROVED,
        Status.REJECTED,
        Status.CANCELLED,
    },
    Status.NEEDS_INFORMATION: {Status.IN_REVIEW, Status.REJECTED, Status.CANCELLED},
    Status.APPROVED: {Status.ISSUED},
    Status.ISSUED: {Status.DELIVERED},
    Status.DELIVERED: set(),
    Status.REJECTED: set(),
    Status.CANCELLED: set(),
}
# A petition that reached its threshold: the municipality takes it up and answers.
PETITION_TRANSITIONS: dict[str, set[str]] = {
    Status.SUBMITTED: {Status.IN_REVIEW, Status.ANSWERED},
    Status.IN_REVIEW: {Status.ANSWERED},
    Status.ANSWERED: set(),
}
OPEN_STATUSES = (Status.SUBMITTED, Status.IN_REVIEW, Status.NEEDS_INFORMATION)


class CaseKind(models.TextChoices):
    CERTIFICATE_ORDER = "certificate_order", _("certificate order")
    PETITION = "petition", _("petition to answer")


def transitions_for(kind: str) -> dict[str, set[str]]:
    return PETITION_TRANSITIONS if kind == CaseKind.PETITION else TRANSITIONS


class Case(TenantOwnedModel, TimeStampedModel):
    kind = models.CharField(max_length=30, choices=CaseKind.choices)
    tracking_code = models.CharField(max_length=12, unique=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SUBMITTED)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="cases"
    )
    # The language the citizen used: history texts and e-mails are in it.
    language = models.CharField(max_length=5)
    contact_email = models.EmailField(blank=True)
    title = models.CharField(max_length=200, help_text="What is asked, in the citizen's words.")
    due_at = models.DateTimeField()
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_cases",
    )
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["municipality", "status", "created_at"]),
            models.Index(fields=["requester", "-created_at"]),
        ]

    def __str__(self) -> str:
        return self.tracking_code

    @property
    def display_code(self) -> str:
        return f"{self.tracking_code[:4]}-{self.tracking_code[4:]}"


class StatusChange(TenantOwnedModel, AppendOnlyModel):
    """One step of the timeline: who, when, and a plain-language text. The text is kept as
    a message id and its parameters, so each reader sees it in their own language."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="history")
    at = models.DateTimeField()
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, choices=Status.choices)
    actor_kind = models.CharField(max_length=12)
    actor_label = models.CharField(max_length=200)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    message = models.CharField(max_length=300)
    params = models.JSONField(default=dict, blank=True)
    reason = models.TextField(
        blank=True, help_text="Free text the citizen reads (a rejection reason)."
    )

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.from_status}->{self.to_status}"


class Author(models.TextChoices):
    CITIZEN = "citizen", _("citizen")
    OFFICER = "officer", _("officer")


class CaseMessage(TenantOwnedModel, AppendOnlyModel):
    """A message between the citizen and the municipality about a case."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="messages")
    at = models.DateTimeField()
    author = models.CharField(max_length=10, choices=Author.choices)
    author_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_label = models.CharField(max_length=200)
    text = models.TextField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.author} {self.at:%Y-%m-%d %H:%M}"


class IdempotencyRecord(models.Model):
    """The answer to a request sent with an `Idempotency-Key` (or the same form token):
    sending it again returns the same case instead of making a second one."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=100)
    fingerprint = models.CharField(max_length=64, help_text="Hash of the request body.")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_once_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"
