"""A request made with a service's form: the answers as they were given (under the form of
the case type version the case keeps), for whom and through which channel it was filed,
and the fee recorded; and the drafts citizens fill in step by step."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from eloket.cases.models import CaseType
from eloket.common.models import TenantOwnedModel, TimeStampedModel


class Channel(models.TextChoices):
    ONLINE = "online", _("online")
    COUNTER = "counter", _("at the counter")
    PHONE = "phone", _("by phone")
    LETTER = "letter", _("by letter")


class Ground(models.TextChoices):
    """On what ground someone files a request for someone else."""

    PARENT = "parent", _("parent of a minor")
    GUARDIAN = "guardian", _("legal guardian")
    NOTARY = "notary", _("notary for a client")
    ARCHITECT = "architect", _("architect for a client")
    MANDATE = "mandate", _("written mandate")


class FeeStatus(models.TextChoices):
    # Paying online comes later; a fee never blocks a request meanwhile.
    DUE = "due", _("to be paid")
    PAID = "paid", _("paid")
    NONE = "none", _("no fee")


class ServiceRequest(TenantOwnedModel):
    case = models.OneToOneField(
        "cases.Case", on_delete=models.CASCADE, primary_key=True, related_name="service_request"
    )
    answers = models.JSONField(default=dict)
    # What household members and other references stood for when submitted (names),
    # so that the answers read the same after the register changes.
    labels = models.JSONField(default=dict, blank=True)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.ONLINE)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Filed for someone else: their name and on what ground (the requester is who filed).
    on_behalf_name = models.CharField(max_length=200, blank=True)
    on_behalf_ground = models.CharField(max_length=12, choices=Ground.choices, blank=True)
    on_behalf_person = models.ForeignKey(
        "register.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    fee_amount = models.DecimalField(max_digits=9, decimal_places=2, default=0)
    fee_currency = models.CharField(max_length=3, blank=True)
    fee_status = models.CharField(max_length=5, choices=FeeStatus.choices, default=FeeStatus.NONE)

    def __str__(self) -> str:
        return f"service request {self.case_id}"


class Draft(TenantOwnedModel, TimeStampedModel):
    """A form being filled in, resumable from "My requests" until it expires. Its token is
    the submission's idempotency key: submitting twice makes one request."""

    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    case_type = models.ForeignKey("cases.CaseType", on_delete=models.CASCADE, related_name="+")
    answers = models.JSONField(default=dict)
    # The steps completed so far (names), in order.
    done = models.JSONField(default=list)
    language = models.CharField(max_length=5)
    contact_email = models.EmailField(blank=True)
    on_behalf_name = models.CharField(max_length=200, blank=True)
    on_behalf_ground = models.CharField(max_length=12, choices=Ground.choices, blank=True)
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["-updated_at"]
        indexes = [
            models.Index(fields=["user", "municipality"]),
            models.Index(fields=["expires_at"]),
        ]

    def __str__(self) -> str:
        return f"draft {self.token}"


class Service(CaseType):
    """The admin's view of a municipality's services: the current version of each case
    type with the `service` handler (ADR 0004), apart from the other kinds of request."""

    class Meta:
        proxy = True
        verbose_name = _("service")
        verbose_name_plural = _("services")
