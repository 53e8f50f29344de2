"""Petitions: a citizen starts one with co-initiators, an officer checks admissibility,
eligible residents sign with their eID once each, and reaching the threshold opens a case
the municipality must answer by a deadline."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from eloket.common.models import ActedBy, AppendOnlyModel, TenantOwnedModel, TimeStampedModel


class ThresholdKind(models.TextChoices):
    COUNT = "count", _("a number of signatures")
    PERCENT = "percent", _("a percentage of the eligible residents")


class PetitionRules(TenantOwnedModel):
    """A municipality's rules for petitions (its administrator sets them in the admin)."""

    min_coinitiators = models.PositiveSmallIntegerField(default=2)
    min_age = models.PositiveSmallIntegerField(default=16)
    signing_days = models.PositiveSmallIntegerField(default=90)
    threshold_kind = models.CharField(
        max_length=10, choices=ThresholdKind.choices, default=ThresholdKind.PERCENT
    )
    threshold_value = models.DecimalField(
        max_digits=9, decimal_places=2, default=1, help_text="Signatures, or a percentage."
    )
    answer_days = models.PositiveSmallIntegerField(default=90)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["municipality"], name="petition_rules_once")]
        verbose_name_plural = "petition rules"

    def __str__(self) -> str:
        return f"petition rules of {self.municipality_id}"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.threshold_kind == ThresholdKind.PERCENT and not 0 < self.threshold_value <= 100:
            raise ValidationError(
                {"threshold_value": _("A percentage is more than 0 and at most 100.")}
            )
        if self.threshold_kind == ThresholdKind.COUNT and (
            self.threshold_value < 1 or self.threshold_value != int(self.threshold_value)
        ):
            raise ValidationError(
                {"threshold_value": _("A number of signatures is a whole number, at least 1.")}
            )
        if self.signing_days < 1 or self.answer_days < 1:
            raise ValidationError(_("Periods are at least one day."))
        if self.min_age > 120:
            raise ValidationError({"min_age": _("Give a minimum age from 0 to 120.")})


class PetitionStatus(models.TextChoices):
    DRAFT = "draft", _("looking for co-initiators")
    SUBMITTED = "submitted", _("being checked by the municipality")
    INADMISSIBLE = "inadmissible", _("not admissible")
    SIGNING = "signing", _("open for signatures")
    THRESHOLD_REACHED = "threshold_reached", _("enough signatures: the municipality answers")
    ANSWERED = "answered", _("answered")
    EXPIRED = "expired", _("closed without enough signatures")


class Petition(TenantOwnedModel, TimeStampedModel):
    title = models.CharField(max_length=200)
    text = models.TextField(help_text="Markdown.")
    text_html = models.TextField(editable=False)
    initiator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        max_length=20, choices=PetitionStatus.choices, default=PetitionStatus.DRAFT
    )
    status_reason = models.TextField(blank=True, help_text="Why it is not admissible (public).")
    signing_opens_at = models.DateTimeField(null=True, blank=True)
    signing_closes_at = models.DateTimeField(null=True, blank=True)
    threshold = models.PositiveIntegerField(null=True, blank=True)
    eligible_residents = models.PositiveIntegerField(null=True, blank=True)
    signature_count = models.PositiveIntegerField(default=0)
    case = models.OneToOneField(
        "cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="petition"
    )
    answer = models.TextField(blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-signing_opens_at", "-created_at"]

    def __str__(self) -> str:
        return self.title


class CoInitiator(TenantOwnedModel):
    petition = models.ForeignKey(Petition, on_delete=models.CASCADE, related_name="coinitiators")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    person_ref = models.BigIntegerField()
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["petition", "person_ref"], name="coinitiator_once")
        ]


class Signature(TenantOwnedModel):
    """One signature per person and petition (the register person, not the account)."""

    petition = models.ForeignKey(Petition, on_delete=models.CASCADE, related_name="signatures")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    person_ref = models.BigIntegerField()
    signed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["petition", "person_ref"], name="signature_once")
        ]


class PetitionStatusChange(TenantOwnedModel, AppendOnlyModel, ActedBy):
    """One step of a petition's life (submitted, admitted or not, signing, threshold
    reached, answered, expired): who, when, why. Append-only."""

    petition = models.ForeignKey(Petition, on_delete=models.CASCADE, related_name="history")
    at = models.DateTimeField()
    from_status = models.CharField(max_length=20, choices=PetitionStatus.choices)
    to_status = models.CharField(max_length=20, choices=PetitionStatus.choices)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.petition_id} {self.from_status}->{self.to_status}"
