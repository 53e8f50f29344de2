"""The certificates a municipality offers (configuration) and the orders for them."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from eloket.common.models import TenantOwnedModel, TimeStampedModel


class CertificateKind(models.TextChoices):
    RESIDENCE = "residence", _("Certificate of residence")
    RESIDENCE_HISTORY = "residence_history", _("Certificate of residence with address history")
    HOUSEHOLD_COMPOSITION = "household_composition", _("Household composition")
    NATIONALITY = "nationality", _("Certificate of nationality")
    LIFE = "life", _("Life certificate")
    BIRTH_EXTRACT = "birth_extract", _("Extract of a birth certificate")
    MARRIAGE_EXTRACT = "marriage_extract", _("Extract of a marriage certificate")
    DEATH_EXTRACT = "death_extract", _("Extract of a death certificate")


class Delivery(models.TextChoices):
    DOWNLOAD = "download", _("download")
    EMAIL = "email", _("e-mail")
    POST = "post", _("post to the address in the register")


class Requester(models.TextChoices):
    """Who may order a certificate about a subject."""

    SELF = "self", _("the person themself")
    HOUSEHOLD = "household", _("a member of their household")
    PARENT_OF_MINOR = "parent_of_minor", _("a parent, for a minor child")
    RELATIVE = "relative", _("a relative (parent, child, spouse, brother or sister)")


class SubjectState(models.TextChoices):
    ALIVE = "alive", _("alive")
    DECEASED = "deceased", _("deceased")
    ANY = "any", _("alive or deceased")


DOCUMENT_LANGUAGES = ("nl", "fr", "de", "en")


class CertificateType(TenantOwnedModel, TimeStampedModel):
    """One certificate as a municipality offers it. The municipality administrator sets
    fees, languages, channels and who may order; `instant` types are issued at once when
    the register holds everything and the requester may have them."""

    code = models.CharField(max_length=30, choices=CertificateKind.choices)
    enabled = models.BooleanField(default=True)
    fee_cents = models.PositiveIntegerField(default=0, help_text="Fee in cents (0: free).")
    currency = models.CharField(max_length=3, default="EUR")
    languages = models.JSONField(default=list, help_text="Document languages: nl, fr, de, en.")
    delivery_channels = models.JSONField(default=list, help_text="download, email, post")
    requesters = models.JSONField(
        default=list, help_text="self, household, parent_of_minor, relative"
    )
    subject_state = models.CharField(
        max_length=10, choices=SubjectState.choices, default=SubjectState.ALIVE
    )
    instant = models.BooleanField(default=False)
    processing_days = models.PositiveSmallIntegerField(
        default=5, help_text="An order is overdue after this many days."
    )

    class Meta:
        ordering = ["municipality", "code"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "code"], name="certificate_type_once")
        ]

    def __str__(self) -> str:
        return str(CertificateKind(self.code).label)

    @property
    def label(self) -> str:
        return str(CertificateKind(self.code).label)

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        errors = {}
        if not self.languages or any(code not in DOCUMENT_LANGUAGES for code in self.languages):
            errors["languages"] = _("Choose from nl, fr, de, en.")
        if not self.delivery_channels or any(
            channel not in Delivery.values for channel in self.delivery_channels
        ):
            errors["delivery_channels"] = _("Choose from download, email, post.")
        if not self.requesters or any(r not in Requester.values for r in self.requesters):
            errors["requesters"] = _("Choose from self, household, parent_of_minor, relative.")
        if errors:
            raise ValidationError(errors)


class CertificateOrder(TenantOwnedModel):
    """The certificate part of a case: what is ordered, about whom, how to deliver it."""

    case = models.OneToOneField("cases.Case", on_delete=models.CASCADE, related_name="order")
    certificate_type = models.ForeignKey(CertificateType, on_delete=models.PROTECT)
    # The subject in the municipality's register; or, for someone it does not hold (a
    # parent who lived and died elsewhere), none, and `national_subject`: what the national
    # register answered when the order was placed (names, dates, the death act, the id of
    # its signed answer in the message log; never the national number). It is the order's
    # own record of what it used, not a copy in the register.
    subject = models.ForeignKey(
        "register.Person", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    national_subject = models.JSONField(default=dict, blank=True)
    language = models.CharField(max_length=5)
    delivery = models.CharField(max_length=10, choices=Delivery.choices)
    purpose = models.CharField(max_length=200, blank=True)
    # Recorded at ordering; payment comes with a later issue and never blocks an order.
    fee_cents = models.PositiveIntegerField(default=0)
    currency = models.CharField(max_length=3, default="EUR")
    # Posting: the address sheet is printed and the order marked sent.
    posted_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.certificate_type} for {self.subject_id or 'a person elsewhere'}"

    @property
    def subject_name(self) -> str:
        if self.subject_id is not None and self.subject is not None:
            return self.subject.full_name
        return str(self.national_subject.get("name", ""))
