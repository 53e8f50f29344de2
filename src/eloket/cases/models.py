"""Requests of every kind (certificate orders, petitions to answer, and any kind a
municipality defines as data): a case type, a tracking code, a status changed only by
`case_transition`, an append-only history the citizen reads as a timeline, and two-way
messages."""

from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from eloket.common.models import ActedBy, AppendOnlyModel, TenantOwnedModel, TimeStampedModel

if TYPE_CHECKING:
    from eloket.cases.definitions import Definition

# Tracking codes leave out characters people confuse (0/O, 1/I/L) and vowels that could
# spell words.
TRACKING_ALPHABET = "23456789BCDFGHJKMNPQRSTVWXZ"


class Audience(models.TextChoices):
    RESIDENTS = "residents", _("residents of the municipality")
    ANYONE = "anyone", _("anyone with an eID")
    ADULT_RESIDENTS = "adult_residents", _("residents of 18 and over")


class CaseType(TenantOwnedModel, TimeStampedModel):
    """A kind of request as data (Open Zaak's case type): its statuses with their texts
    per language, the transitions between them and who may make each, the department
    that handles it, the processing time, and the handler (a registered id) that gives
    the kind its behaviour. A definition never changes once cases use it: publishing a
    change makes a new version, and each case keeps the version it was made under.
    """

    code = models.SlugField(max_length=40, help_text="e.g. certificate_order, petition")
    version = models.PositiveIntegerField(default=1)
    current = models.BooleanField(default=True, help_text="The version new requests get.")
    handler = models.CharField(max_length=60, default="generic", help_text="cases.handlers id")
    names = models.JSONField(help_text="Per language, e.g. {'nl': '...', 'en': '...'}.")
    department = models.CharField(
        max_length=100, blank=True, help_text="Whose clerks handle it (empty: every officer)."
    )
    processing_days = models.PositiveSmallIntegerField(
        default=30, help_text="A request is overdue after this many days."
    )
    definition = models.JSONField(help_text="Statuses and transitions (cases/definitions.py).")
    options = models.JSONField(default=dict, blank=True, help_text="The handler's options.")
    audience = models.CharField(
        max_length=20,
        choices=Audience.choices,
        default=Audience.RESIDENTS,
        help_text="Who may start one: the municipality's residents, or anyone with an eID "
        "(a visitor from another municipality too).",
    )
    # A kind the municipality no longer offers: no new requests; those made go on.
    active = models.BooleanField(default=True, help_text="Whether new requests may be made.")

    class Meta:
        ordering = ["municipality", "code", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "code", "version"], name="case_type_version_once"
            ),
            models.UniqueConstraint(
                fields=["municipality", "code"],
                condition=models.Q(current=True),
                name="case_type_one_current",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} v{self.version}"

    @cached_property
    def spec(self) -> "Definition":
        from eloket.cases.definitions import Definition

        return Definition(self.definition)

    def name(self, language: str | None = None) -> str:
        from eloket.cases.texts import localized

        return localized(self.names, language) or self.code

    def status_name(self, code: str, language: str | None = None) -> str:
        return self.spec.status_name(code, language)

    def clean(self) -> None:
        from eloket.cases.definitions import definition_errors

        errors = definition_errors(self)
        if errors:
            raise ValidationError(errors)


class Case(TenantOwnedModel, TimeStampedModel):
    case_type = models.ForeignKey(CaseType, on_delete=models.PROTECT, related_name="cases")
    # The case type's code, kept on the case for lists and filters.
    kind = models.CharField(max_length=40)
    tracking_code = models.CharField(max_length=12, unique=True)
    status = models.CharField(max_length=40)
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
            # The back office's queues: one service (kind) by status and age, and the
            # open requests by due date (the default queue, and "overdue").
            models.Index(fields=["municipality", "kind", "status", "created_at"]),
            models.Index(
                fields=["municipality", "due_at"],
                condition=models.Q(closed_at__isnull=True),
                name="case_open_by_due",
            ),
        ]

    def __str__(self) -> str:
        return self.tracking_code

    @property
    def display_code(self) -> str:
        return f"{self.tracking_code[:4]}-{self.tracking_code[4:]}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    def status_name(self, language: str | None = None) -> str:
        return self.case_type.status_name(self.status, language)

    @property
    def display_title(self) -> str:
        """The title in the reader's language (the handler's; `title` keeps the words
        of the language it was asked in, for the record)."""
        from eloket.cases.handlers import case_handlers

        return case_handlers[self.case_type.handler].title(self)

    @property
    def is_overdue(self) -> bool:
        """Past its due date while waiting for the municipality."""
        return (
            self.closed_at is None
            and self.due_at < timezone.now()
            and self.case_type.spec.waits_for_municipality(self.status)
        )


class StatusChange(TenantOwnedModel, AppendOnlyModel, ActedBy):
    """One step of the timeline: who, when, and a plain-language text. The text is kept as
    a message id and its parameters, so each reader sees it in their own language."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="history")
    at = models.DateTimeField()
    from_status = models.CharField(max_length=40, blank=True)
    to_status = models.CharField(max_length=40)
    action = models.CharField(max_length=40, blank=True)
    # The text: a message id of the code's (translated when read) or, for texts that
    # come from a case type's definition, the texts per language as they were then.
    message = models.CharField(max_length=300, blank=True)
    texts = models.JSONField(default=dict, blank=True)
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


class CaseNote(TenantOwnedModel, AppendOnlyModel):
    """An officer's internal note on a case, for colleagues: never shown to the citizen
    (not on their pages, not in the API, not in e-mails). Written once, like messages,
    so that what a colleague read stays what was written."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    at = models.DateTimeField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_label = models.CharField(max_length=200)
    text = models.TextField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"note {self.case_id} {self.at:%Y-%m-%d %H:%M}"


class IdempotencyRecord(TenantOwnedModel):
    """The answer to a request sent with an `Idempotency-Key` (or the same form token):
    sending it again returns the same case instead of making a second one. A key counts
    per municipality and requester: the same key at another municipality is another
    request, and never answers with this one's case."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=100)
    fingerprint = models.CharField(max_length=64, help_text="Hash of the request body.")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "user", "key"],
                name="idempotency_once_per_municipality_and_user",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"
