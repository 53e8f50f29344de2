"""Reads of the population register, always within one municipality.

Other apps read the register only through these functions. Every read of a person's data
by someone other than that person writes an access-log entry (`register/access_log.py`):
`person_record` takes the actor, the purpose and the related case for that reason.
"""

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from eloket.common.actors import Actor, ActorKind
from eloket.common.errors import ApplicationError, NotFound
from eloket.common.permissions import Permission, authorize
from eloket.common.text import refuse_hidden_characters
from eloket.register.access_log import access_log_write
from eloket.register.ages import band_of
from eloket.register.backends import ALL_DATA, PersonRecordView, register_backend
from eloket.register.models import (
    Address,
    CivilEvent,
    DataCategory,
    Household,
    HouseholdMembership,
    Person,
)
from eloket.register.national_ids import normalise
from eloket.tenants.models import Municipality


def person_list(*, municipality: Municipality) -> QuerySet[Person]:
    return Person.objects.filter(municipality=municipality)


def resident_list(*, municipality: Municipality, on: dt.date | None = None) -> QuerySet[Person]:
    """People alive with a main residence in the municipality on a day (today by default).

    The address must be current on that day; earlier addresses (a move within the
    municipality) do not count against anyone.
    """
    day = on or timezone.localdate()
    current_main_residence = Address.objects.filter(
        person=OuterRef("pk"),
        municipality=municipality,
        is_main_residence=True,
        valid_from__lte=day,
    ).filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day))
    return (
        Person.objects.filter(municipality=municipality)
        .filter(Exists(current_main_residence))
        .exclude(date_of_death__lte=day)
    )


def person_get(*, municipality: Municipality, national_id: str) -> Person:
    try:
        return Person.objects.get(municipality=municipality, national_id=normalise(national_id))
    except Person.DoesNotExist:
        raise NotFound(
            _("This person is not in the register of %(m)s.") % {"m": municipality.display_name()}
        ) from None


def person_in_register(*, municipality: Municipality, pk: int) -> Person:
    """A person of this municipality's register by their register id (a page that found
    them already, through `person_record`, carries that id instead of the number)."""
    person = Person.objects.filter(municipality=municipality, pk=pk).first()
    if person is None:
        raise NotFound(
            _("This person is not in the register of %(m)s.") % {"m": municipality.display_name()}
        )
    return person


def person_record(
    *,
    municipality: Municipality,
    national_id: str,
    actor: Actor,
    purpose: str,
    case_ref: str = "",
    data: tuple[str, ...] = ALL_DATA,
    person: Person | None = None,
) -> PersonRecordView:
    """A person's whole register record (or the parts in `data`), in a fixed number of
    queries. A caller that holds the Person already may pass it (one query less).

    Logged in the access log unless `actor` is the person. A purpose is required for
    anyone else: the person will read it in "Who consulted my data".
    """
    refuse_hidden_characters(purpose)  # what the person reads must say what it shows
    if (
        person is None
        or person.municipality_id != municipality.pk
        or person.national_id != normalise(national_id)
    ):
        person = person_get(municipality=municipality, national_id=national_id)
    if actor.kind == ActorKind.OFFICER:
        authorize(actor, municipality, Permission.REGISTER_READ)
    if not actor.is_person(person.country, person.national_id) and not purpose.strip():
        raise ApplicationError(_("State why you need this person's data."), code="purpose_required")
    record = register_backend(municipality).record(person, parts=data)
    access_log_write(
        person=person, actor=actor, data=data, purpose=purpose.strip(), case_ref=case_ref
    )
    return record


def record_read_elsewhere(
    *,
    municipality: Municipality,
    actor: Actor,
    person: Person,
    data: tuple[str, ...],
    purpose: str,
    case_ref: str = "",
) -> None:
    """A read of a person's register data outside the register (a certificate made from
    it, a postal batch): written to the person's access log, as `person_record` does,
    unless `actor` is the person."""
    if person.municipality_id != municipality.pk:
        raise NotFound(
            _("This person is not in the register of %(m)s.") % {"m": municipality.display_name()}
        )
    if actor.kind == ActorKind.OFFICER:
        authorize(actor, municipality, Permission.REGISTER_READ)
    access_log_write(person=person, actor=actor, data=data, purpose=purpose, case_ref=case_ref)


def own_record(*, person: Person) -> PersonRecordView:
    """The person's record as they see it themselves (not logged)."""
    return register_backend(person.municipality).record(person, parts=ALL_DATA)


def person_for_identifier(
    *, national_id: str, country: str = "", municipality: Municipality | None = None
) -> Person | None:
    """The person an identifier names, in `municipality`'s register (or, with none, in
    any register on the platform: an eID login, a citizen's own record), or None.

    The identifier comes from an eID or a form, so a malformed one simply matches nobody.
    """
    digits = normalise(national_id)
    if not digits.isdigit() or len(digits) not in (11, 13):
        return None
    qs = Person.objects.select_related("municipality").filter(national_id=digits)
    if country:
        qs = qs.filter(country=country)
    if municipality is not None:
        qs = qs.filter(municipality=municipality)
    return qs.first()


def resident_sql(*, municipality: Municipality, on: dt.date | None = None) -> tuple[str, list[Any]]:
    """`resident_list`'s condition as SQL on a `register_person` row aliased `p`, with its
    parameters: for the few statements written out in SQL on hot pages (forum topic page).
    tests/test_forum_reads.py holds it to `is_resident`."""
    from django.db import connection

    day = connection.ops.adapt_datefield_value(on or timezone.localdate())
    sql = (
        "(p.municipality_id = %s"
        " AND (p.date_of_death IS NULL OR p.date_of_death > %s)"
        " AND EXISTS (SELECT 1 FROM register_address ra WHERE ra.person_id = p.id"
        " AND ra.municipality_id = %s AND ra.is_main_residence = %s AND ra.valid_from <= %s"
        " AND (ra.valid_to IS NULL OR ra.valid_to >= %s)))"
    )
    return sql, [municipality.pk, day, municipality.pk, True, day, day]


def is_resident(*, person: Person, municipality: Municipality, on: dt.date | None = None) -> bool:
    """Alive and with a main residence in `municipality` on a day (today by default)."""
    if person.municipality_id != municipality.pk:
        return False
    return resident_list(municipality=municipality, on=on).filter(pk=person.pk).exists()


def household_members(*, person: Person) -> list[HouseholdMembership]:
    """The person's current household (their own membership included)."""
    return (
        register_backend(person.municipality)
        .record(person, parts=(DataCategory.HOUSEHOLD,))
        .household
    )


def register_counts(*, municipality: Municipality) -> dict[str, int]:
    return {
        "persons": Person.objects.filter(municipality=municipality).count(),
        "households": Household.objects.filter(municipality=municipality).count(),
        "events": CivilEvent.objects.filter(municipality=municipality).count(),
    }


def residents_in_households(
    *,
    municipality: Municipality,
    min_age: int,
    max_age: int,
    min_household: int,
    limit: int,
    on: dt.date | None = None,
) -> list[Person]:
    """Living residents of an age range in households of at least `min_household` people,
    in a stable order (for the demo's lists of ordinary residents)."""
    from django.db.models import Count

    day = on or timezone.localdate()
    youngest_birth = dt.date(day.year - min_age, day.month, min(day.day, 28))
    oldest_birth = dt.date(day.year - max_age - 1, day.month, min(day.day, 28))
    big_households = (
        HouseholdMembership.objects.filter(municipality=municipality, valid_to__isnull=True)
        .values("household")
        .annotate(size=Count("person"))
        .filter(size__gte=min_household)
        .values("household")
    )
    candidates = (
        resident_list(municipality=municipality, on=day)
        .filter(
            birth_date__lte=youngest_birth,
            birth_date__gt=oldest_birth,
            household_memberships__valid_to__isnull=True,
            household_memberships__household__in=big_households,
        )
        .order_by("pk")
    )
    return list(candidates[:limit])


def family_relations(*, person: Person) -> dict[int, str]:
    """Relatives known from civil-status acts: person id -> parent, child, spouse, sibling."""
    from eloket.register.models import CivilEventKind, CivilEventParticipant, ParticipantRole

    relations: dict[int, str] = {}
    parents = set(
        CivilEventParticipant.objects.filter(
            event__kind=CivilEventKind.BIRTH,
            event__participants__person=person,
            event__participants__role=ParticipantRole.SUBJECT,
            role__in=[ParticipantRole.MOTHER, ParticipantRole.FATHER],
        ).values_list("person_id", flat=True)
    )
    for pk in parents:
        relations[pk] = "parent"
    children = CivilEventParticipant.objects.filter(
        event__kind=CivilEventKind.BIRTH,
        event__participants__person=person,
        event__participants__role__in=[ParticipantRole.MOTHER, ParticipantRole.FATHER],
        role=ParticipantRole.SUBJECT,
    ).values_list("person_id", flat=True)
    for pk in children:
        relations[pk] = "child"
    spouses = (
        CivilEventParticipant.objects.filter(
            event__kind=CivilEventKind.MARRIAGE,
            event__participants__person=person,
            role=ParticipantRole.SPOUSE,
        )
        .exclude(person=person)
        .values_list("person_id", flat=True)
    )
    for pk in spouses:
        relations[pk] = "spouse"
    if parents:
        siblings = (
            CivilEventParticipant.objects.filter(
                event__kind=CivilEventKind.BIRTH,
                event__participants__person__in=parents,
                event__participants__role__in=[ParticipantRole.MOTHER, ParticipantRole.FATHER],
                role=ParticipantRole.SUBJECT,
            )
            .exclude(person=person)
            .values_list("person_id", flat=True)
        )
        for pk in siblings:
            relations.setdefault(pk, "sibling")
    return relations


def persons_by_pk(*, pks: list[int]) -> dict[int, Person]:
    return {p.pk: p for p in Person.objects.filter(pk__in=pks)}


def age_district_counts(
    *, municipality: Municipality, person_ids: list[int] | None = None, min_age: int = 0
) -> dict[tuple[str, str], int]:
    """How many living residents (or, given ids, how many of those people) fall in each
    age band and district. Only counts leave the register: no one's data is shown, so
    these reads are not logged per person (the callers suppress small groups)."""
    day = timezone.localdate()
    people = resident_list(municipality=municipality, on=day)
    if person_ids is not None:
        people = people.filter(pk__in=person_ids)
    rows = people.values_list(
        "birth_date", "addresses__district", "addresses__valid_to", "addresses__is_main_residence"
    )
    counts: dict[tuple[str, str], int] = {}
    for birth, district, valid_to, main in rows.iterator(chunk_size=5000):
        if valid_to is not None or not main or birth is None:
            continue
        age = day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))
        if age < min_age:
            continue
        key = (band_of(age), district or "")
        counts[key] = counts.get(key, 0) + 1
    return counts


METRES_PER_DEGREE = 111_320.0  # of latitude; of longitude times cos(latitude)


def _distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The distance between two points (haversine, metres)."""

    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(min(1.0, h)))


def address_point(
    *, municipality: Municipality, street: str, house_number: str
) -> tuple[float, float] | None:
    """Where an address of the municipality is, from the register's addresses that carry
    coordinates: the same street and number, else the nearest number on the street.
    Reads no one's data (a place, no person)."""
    rows = list(
        Address.objects.filter(
            municipality=municipality,
            street__iexact=street.strip(),
            lat__isnull=False,
            lon__isnull=False,
        )
        .values_list("house_number", "lat", "lon")
        .distinct()[:2000]
    )
    if not rows:
        return None

    def number(text: str) -> int:
        digits = "".join(c for c in text if c.isdigit())
        return int(digits) if digits else 0

    wanted = number(house_number)
    _n, lat, lon = min(rows, key=lambda r: (abs(number(r[0]) - wanted), r[0] != house_number))
    assert lat is not None and lon is not None
    return float(lat), float(lon)


@dataclass(frozen=True)
class Neighbour:
    person: Person
    address: Address
    distance: float


def residents_near(
    *,
    municipality: Municipality,
    actor: Actor,
    lat: float,
    lon: float,
    metres: float,
    purpose: str,
    case_ref: str = "",
) -> list[Neighbour]:
    """The living residents whose current main residence lies within `metres` of a
    point, nearest first. Each read (name and address) goes into the person's access
    log with the purpose."""

    authorize(actor, municipality, Permission.REGISTER_READ)
    if not purpose.strip():
        raise ApplicationError(_("State why you need this person's data."), code="purpose_required")
    day = timezone.localdate()
    dlat = metres / METRES_PER_DEGREE
    dlon = metres / (METRES_PER_DEGREE * max(0.01, math.cos(math.radians(lat))))
    addresses = (
        Address.objects.filter(
            municipality=municipality,
            is_main_residence=True,
            valid_from__lte=day,
            lat__range=(lat - dlat, lat + dlat),
            lon__range=(lon - dlon, lon + dlon),
            person__in=resident_list(municipality=municipality, on=day),
        )
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day))
        .select_related("person")
        .order_by("pk")
    )
    found = []
    for address in addresses:
        assert address.lat is not None and address.lon is not None
        far = _distance_m(lat, lon, address.lat, address.lon)
        if far <= metres:
            found.append(Neighbour(address.person, address, far))
    found.sort(key=lambda n: (n.distance, n.person.pk))
    for neighbour in found:
        access_log_write(
            person=neighbour.person,
            actor=actor,
            data=(DataCategory.IDENTITY, DataCategory.ADDRESSES),
            purpose=purpose.strip(),
            case_ref=case_ref,
        )
    return found
