"""Reads of the population register, always within one municipality.

Other apps read the register only through these functions. Issue 3 adds the access log:
every read of a person's data by someone else than that person goes through here.
"""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from eloket.common.errors import NotFound
from eloket.register.models import Address, CivilEvent, Household, HouseholdMembership, Person
from eloket.register.national_ids import normalise
from eloket.tenants.models import Municipality


def person_list(*, municipality: Municipality) -> QuerySet[Person]:
    return Person.objects.filter(municipality=municipality)


def resident_list(*, municipality: Municipality, on: dt.date | None = None) -> QuerySet[Person]:
    """People alive with a main residence in the municipality on a day (today by default)."""
    day = on or timezone.localdate()
    return (
        Person.objects.filter(
            municipality=municipality,
            addresses__is_main_residence=True,
            addresses__valid_from__lte=day,
        )
        .exclude(addresses__valid_to__lt=day, addresses__is_main_residence=True)
        .exclude(date_of_death__lte=day)
        .distinct()
    )


def person_get(*, municipality: Municipality, national_id: str) -> Person:
    try:
        return Person.objects.get(municipality=municipality, national_id=normalise(national_id))
    except Person.DoesNotExist:
        raise NotFound(
            _("This person is not in the register of %(m)s.") % {"m": municipality.display_name()}
        ) from None


@dataclass
class PersonRecordView:
    person: Person
    current_address: Address | None
    past_addresses: list[Address]
    household: list[HouseholdMembership]
    events: list[CivilEvent]


def person_record(*, municipality: Municipality, national_id: str) -> PersonRecordView:
    """A person's whole register record, in a fixed number of queries."""
    person = person_get(municipality=municipality, national_id=national_id)
    addresses = list(Address.objects.filter(municipality=municipality, person=person))
    current = next((a for a in addresses if a.valid_to is None and a.is_main_residence), None)
    membership = (
        HouseholdMembership.objects.filter(
            municipality=municipality, person=person, valid_to__isnull=True
        )
        .select_related("household")
        .first()
    )
    household: list[HouseholdMembership] = []
    if membership:
        household = list(
            HouseholdMembership.objects.filter(
                municipality=municipality, household=membership.household, valid_to__isnull=True
            )
            .select_related("person")
            .order_by("valid_from", "person__birth_date")
        )
    events = list(
        CivilEvent.objects.filter(municipality=municipality, participants__person=person)
        .prefetch_related(Prefetch("participants__person"))
        .order_by("date")
    )
    return PersonRecordView(
        person=person,
        current_address=current,
        past_addresses=[a for a in addresses if a is not current],
        household=household,
        events=events,
    )


def register_counts(*, municipality: Municipality) -> dict[str, int]:
    return {
        "persons": Person.objects.filter(municipality=municipality).count(),
        "households": Household.objects.filter(municipality=municipality).count(),
        "events": CivilEvent.objects.filter(municipality=municipality).count(),
    }
