"""The population register. Only this app's services and selectors touch these tables."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from eloket.common.models import AppendOnlyModel, TenantOwnedModel, TimeStampedModel


def full_name(country: str, first_names: str, last_name: str) -> str:
    """Names in the order the country writes them: Korean family name first, no space."""
    if country == "KR":
        return f"{last_name}{first_names}"
    return f"{first_names} {last_name}"


class IdScheme(models.TextChoices):
    BE_NATIONAL_NUMBER = "be_nn", _("Belgian national number")
    BE_BIS_NUMBER = "be_bis", _("Belgian BIS number")
    KR_RESIDENT_NUMBER = "kr_rrn", _("Korean resident registration number")


class Sex(models.TextChoices):
    MALE = "M", _("male")
    FEMALE = "F", _("female")
    UNKNOWN = "X", _("unknown")


class CivilStatus(models.TextChoices):
    SINGLE = "single", _("single")
    MARRIED = "married", _("married")
    LEGALLY_COHABITING = "cohabiting", _("legally cohabiting")
    DIVORCED = "divorced", _("divorced")
    WIDOWED = "widowed", _("widowed")


class Person(TenantOwnedModel, TimeStampedModel):
    """A person in the register of `municipality` (where they are registered)."""

    country = models.CharField(max_length=2, help_text="Country whose identifier scheme applies.")
    national_id = models.CharField(max_length=13, help_text="Bare digits.")
    id_scheme = models.CharField(max_length=8, choices=IdScheme.choices)
    first_names = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    sex = models.CharField(max_length=1, choices=Sex.choices)
    birth_date = models.DateField(null=True, blank=True)
    birth_place = models.CharField(max_length=100, blank=True)
    nationality = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2.")
    civil_status = models.CharField(
        max_length=12, choices=CivilStatus.choices, default=CivilStatus.SINGLE
    )
    date_of_death = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["last_name", "first_names"]
        constraints = [
            models.UniqueConstraint(
                fields=["country", "national_id"], name="person_unique_national_id"
            ),
            models.CheckConstraint(
                condition=Q(date_of_death__isnull=True)
                | Q(birth_date__isnull=True)
                | Q(date_of_death__gte=models.F("birth_date")),
                name="person_death_after_birth",
            ),
        ]
        indexes = [models.Index(fields=["municipality", "last_name", "first_names"])]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return full_name(self.country, self.first_names, self.last_name)

    @property
    def is_deceased(self) -> bool:
        return self.date_of_death is not None


class Address(TenantOwnedModel):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="addresses")
    street = models.CharField(max_length=120)
    house_number = models.CharField(max_length=12)
    box = models.CharField(max_length=12, blank=True)
    postcode = models.CharField(max_length=10)
    municipality_name = models.CharField(max_length=100)
    district = models.CharField(max_length=100, blank=True, help_text="Deelgemeente or gu.")
    is_main_residence = models.BooleanField(default=True)
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)
    # Where the address is (WGS 84), when the register knows it: the residents near a
    # permit application's location are told of its public inquiry.
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["-valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="address_period_ordered",
            ),
        ]
        indexes = [
            models.Index(fields=["municipality", "district"]),
            # The residents near a point (a permit's neighbours): a band of latitude.
            models.Index(fields=["municipality", "lat"], name="address_municipality_lat"),
        ]

    def __str__(self) -> str:
        box = f" bus {self.box}" if self.box else ""
        return f"{self.street} {self.house_number}{box}, {self.postcode} {self.municipality_name}"


class HouseholdRelation(models.TextChoices):
    REFERENCE_PERSON = "reference", _("reference person")
    SPOUSE = "spouse", _("spouse")
    PARTNER = "partner", _("partner")
    CHILD = "child", _("child")
    PARENT = "parent", _("parent")
    OTHER_RELATIVE = "relative", _("other relative")
    OTHER = "other", _("not related")


class Household(TenantOwnedModel):
    number = models.CharField(max_length=20)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "number"], name="household_unique_number"
            )
        ]

    def __str__(self) -> str:
        return self.number


class HouseholdMembership(TenantOwnedModel):
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="memberships")
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="household_memberships"
    )
    relation = models.CharField(max_length=10, choices=HouseholdRelation.choices)
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["valid_from"]


class CivilEventKind(models.TextChoices):
    BIRTH = "birth", _("birth")
    MARRIAGE = "marriage", _("marriage")
    DIVORCE = "divorce", _("divorce")
    DEATH = "death", _("death")


class CivilEvent(TenantOwnedModel):
    """An act of civil status. `municipality` is the register holding it;
    `registering_municipality` names where the act was drawn up."""

    kind = models.CharField(max_length=10, choices=CivilEventKind.choices)
    act_number = models.CharField(max_length=30)
    date = models.DateField()
    place = models.CharField(max_length=100)
    registering_municipality = models.CharField(max_length=100)
    persons = models.ManyToManyField(
        Person, through="CivilEventParticipant", related_name="civil_events"
    )

    class Meta:
        ordering = ["date"]
        indexes = [models.Index(fields=["municipality", "kind", "date"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.act_number}"


class ParticipantRole(models.TextChoices):
    SUBJECT = "subject", _("subject")  # the person born or deceased
    SPOUSE = "spouse", _("spouse")
    MOTHER = "mother", _("mother")
    FATHER = "father", _("father")


class CivilEventParticipant(TenantOwnedModel):
    event = models.ForeignKey(CivilEvent, on_delete=models.CASCADE, related_name="participants")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="event_roles")
    role = models.CharField(max_length=10, choices=ParticipantRole.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event", "person"], name="participant_once_per_event")
        ]


class DataCategory(models.TextChoices):
    """Which part of a person's register data was read."""

    IDENTITY = "identity", _("identity (names, birth, nationality, civil status)")
    ADDRESSES = "addresses", _("addresses")
    HOUSEHOLD = "household", _("household composition")
    EVENTS = "events", _("civil-status acts")
    CERTIFICATE = "certificate", _("data for a certificate")
    ATTACHMENTS = "attachments", _("files sent with a request")


class AccessLogEntry(TenantOwnedModel, AppendOnlyModel):
    """One read of a person's register data by someone other than that person.

    `municipality` is the register that was read. Entries are append-only and hash-chained
    per municipality (`common/chain.py`); `eloket audit verify` checks the chains.
    """

    at = models.DateTimeField(db_index=True)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    actor_kind = models.CharField(max_length=12)
    actor_label = models.CharField(max_length=200)
    actor_role = models.CharField(max_length=40, blank=True)
    actor_user = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_municipality = models.ForeignKey(
        "tenants.Municipality", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    data = models.JSONField(help_text="Data categories read.")
    purpose = models.CharField(max_length=300)
    case_ref = models.CharField(max_length=60, blank=True, help_text="e.g. order:K7M2QX")
    chain = models.CharField(max_length=80)
    sequence = models.PositiveBigIntegerField()
    previous_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["-at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["chain", "sequence"], name="access_log_chain_sequence")
        ]
        indexes = [models.Index(fields=["person", "-at"])]
        verbose_name_plural = "access log entries"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label}: {self.purpose}"

    def chained_content(self) -> dict[str, object]:
        return {
            "municipality": self.municipality_id,
            "at": self.at,
            "person": self.person_id,
            "actor_kind": self.actor_kind,
            "actor_label": self.actor_label,
            "actor_role": self.actor_role,
            "actor_user": self.actor_user_id,
            "actor_municipality": self.actor_municipality_id,
            "data": self.data,
            "purpose": self.purpose,
            "case_ref": self.case_ref,
        }
