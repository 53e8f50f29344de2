"""A permit application's public inquiry (issue 13, point 4): the period during which it
is on the municipality's public notice and anyone logged in with an eID may object; and
the objections, each with its sealed receipt and, before the decision, the
municipality's answer."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from eloket.attachments.storage import get_attachment_storage
from eloket.common.models import TenantOwnedModel


class PublicInquiry(TenantOwnedModel):
    """The inquiry of one request. What is published is copied when it opens (the title,
    the location, the description): the notice shows what the municipality published,
    not the applicant's later edits or their personal data."""

    case = models.OneToOneField("cases.Case", on_delete=models.CASCADE, related_name="+")
    title = models.CharField(max_length=200)
    location = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["ends_at", "id"]
        indexes = [models.Index(fields=["municipality", "ends_at"])]

    def __str__(self) -> str:
        return f"{self.title} ({self.starts_at:%Y-%m-%d} to {self.ends_at:%Y-%m-%d})"

    def title_in(self, language: str | None = None) -> str:
        """What is applied for, in the reader's language: the kind of request and its
        tracking code (`title` keeps it as published, in the municipality's language)."""
        case = self.case
        return f"{case.case_type.name(language)} {case.display_code}"

    def is_open(self, now: object = None) -> bool:
        now = now or timezone.now()
        return bool(self.starts_at <= now < self.ends_at)  # type: ignore[operator]


class Objection(TenantOwnedModel):
    """One person's objection. `named`: they agreed that the published decision names
    them with its answer; otherwise it says "an objector"."""

    inquiry = models.ForeignKey(PublicInquiry, on_delete=models.CASCADE, related_name="objections")
    objector = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    objector_name = models.CharField(max_length=200)
    text = models.TextField()
    named = models.BooleanField(default=False)
    submitted_at = models.DateTimeField()
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    receipt_code = models.CharField(max_length=12, blank=True)
    answer = models.TextField(blank=True)
    answered_by_label = models.CharField(max_length=200, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    # The theme an officer files it under, so that like objections are read and
    # answered together (empty: grouped with the objections of the same text).
    group = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["submitted_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["inquiry", "objector"],
                condition=models.Q(withdrawn_at__isnull=True),
                name="inquiries_one_standing_objection_per_person",
            )
        ]

    def __str__(self) -> str:
        return f"{self.inquiry_id} by {self.objector_id}"


class CompletenessRequest(TenantOwnedModel):
    """The clerk found the application incomplete: what is missing and the day by which
    the applicant completes it. Past that day, still incomplete, the clerk may close the
    application as inadmissible (`close_inadmissible`). The newest one counts."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    missing = models.TextField()
    deadline = models.DateField()
    asked_at = models.DateTimeField()
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-asked_at", "-id"]

    def __str__(self) -> str:
        return f"{self.case_id} by {self.deadline:%Y-%m-%d}"


class Channel(models.TextChoices):
    EMAIL = "email", _("e-mail")
    LETTER = "letter", _("letter")


class NeighbourNotice(TenantOwnedModel):
    """A resident near the application's location who was told of the inquiry when it
    opened: by e-mail where their account has an address, else by a letter of the
    inquiry's letter batch (one page each). The address is as the register had it."""

    inquiry = models.ForeignKey(PublicInquiry, on_delete=models.CASCADE, related_name="notices")
    name = models.CharField(max_length=200)
    street_line = models.CharField(max_length=200)
    city_line = models.CharField(max_length=150)
    distance_m = models.PositiveIntegerField()
    channel = models.CharField(max_length=6, choices=Channel.choices)
    language = models.CharField(max_length=5)

    class Meta:
        ordering = ["distance_m", "id"]

    def __str__(self) -> str:
        return f"{self.inquiry_id}: {self.name} ({self.channel})"


class AdviceOutcome(models.TextChoices):
    FAVOURABLE = "favourable", _("favourable")
    CONDITIONAL = "conditional", _("favourable on conditions")
    UNFAVOURABLE = "unfavourable", _("unfavourable")


class Advice(TenantOwnedModel):
    """The advice of another department or an outside body (the fire brigade, the
    heritage agency) on an application, recorded by an officer before the decision."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    adviser = models.CharField(max_length=200)
    outcome = models.CharField(max_length=12, choices=AdviceOutcome.choices)
    text = models.TextField()
    given_on = models.DateField()
    recorded_by_label = models.CharField(max_length=200)
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["given_on", "id"]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.adviser} ({self.outcome})"


class ObjectionFile(TenantOwnedModel):
    """A file sent with an objection (a photo, a plan, an expert's opinion), checked on
    its content as every attachment is (attachments/checks.py) and kept in the
    attachments' storage. Read by the officers who handle the request."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    objection = models.ForeignKey(Objection, on_delete=models.CASCADE, related_name="files")
    file = models.FileField(storage=get_attachment_storage, max_length=200)
    name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.public_id} {self.name}"

    @property
    def opens_in_place(self) -> bool:
        from eloket.attachments.checks import INLINE_TYPES

        return self.content_type in INLINE_TYPES


class NoticeDocument(TenantOwnedModel):
    """A file of the application that the municipality marked public: the notice shows
    it, and anyone downloads it, while the inquiry's notice is online."""

    inquiry = models.ForeignKey(PublicInquiry, on_delete=models.CASCADE, related_name="documents")
    attachment = models.ForeignKey(
        "attachments.Attachment", on_delete=models.CASCADE, related_name="+"
    )
    marked_by_label = models.CharField(max_length=200)
    marked_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["inquiry", "attachment"], name="inquiries_notice_document_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.inquiry_id}: {self.attachment_id}"
