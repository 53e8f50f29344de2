"""Writes to the population register."""

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from eloket.common.errors import ApplicationError
from eloket.register.importer import read_register_file
from eloket.register.models import (
    Address,
    CivilEvent,
    CivilEventParticipant,
    Household,
    HouseholdMembership,
    Person,
)
from eloket.register.records import EventRecord, PersonRecord, validate_event, validate_person
from eloket.tenants.models import Municipality

BATCH = 1000
Progress = Callable[[str, int, int], None]


@dataclass
class RowError:
    line: int | None
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


class ImportRejected(ApplicationError):
    code = "import_rejected"

    def __init__(self, errors: list[RowError]) -> None:
        if len(errors) == 1:
            message = _("%(error)s. Nothing was imported.") % {"error": str(errors[0]).rstrip(".")}
        else:
            message = _("%(n)d problems found; nothing was imported.") % {"n": len(errors)}
        super().__init__(message, details=[{"line": e.line, "message": e.message} for e in errors])
        self.errors = errors


@dataclass
class ImportResult:
    persons: int
    addresses: int
    households: int
    events: int


def _chunks[T](items: Sequence[T], size: int = BATCH) -> Iterable[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _bulk_create[M: Model](model: type[M], rows: Sequence[M]) -> None:
    for chunk in _chunks(rows):
        model._default_manager.bulk_create(chunk)


def records_validate(
    *, municipality: Municipality, persons: list[PersonRecord], events: list[EventRecord]
) -> list[RowError]:
    """Every problem in the records, including clashes with what the register holds."""
    today = timezone.localdate()
    errors: list[RowError] = []
    seen: dict[str, int | None] = {}
    for record in persons:
        for problem in validate_person(record, country=municipality.country, today=today):
            errors.append(RowError(record.line, problem))
        if record.national_id in seen:
            errors.append(
                RowError(
                    record.line,
                    _("National number %(id)s appears twice (first at line %(first)s).")
                    % {"id": record.national_id, "first": seen[record.national_id]},
                )
            )
        seen.setdefault(record.national_id, record.line)
    existing = set(
        Person.objects.filter(country=municipality.country, national_id__in=list(seen)).values_list(
            "national_id", flat=True
        )
    )
    for record in persons:
        if record.national_id in existing:
            errors.append(
                RowError(
                    record.line,
                    _("National number %(id)s is already in the register.")
                    % {"id": record.national_id},
                )
            )
    households = {r.household for r in persons if r.household}
    taken = set(
        Household.objects.filter(municipality=municipality, number__in=households).values_list(
            "number", flat=True
        )
    )
    for record in persons:
        if record.household in taken:
            errors.append(
                RowError(
                    record.line,
                    _("Household %(h)s already exists in the register.") % {"h": record.household},
                )
            )
    by_id = {r.national_id: r for r in persons}
    missing = {nid for e in events for nid, _role in e.participants if nid not in by_id}
    if missing:
        # Events may name people already in the register.
        for person in Person.objects.filter(country=municipality.country, national_id__in=missing):
            by_id[person.national_id] = PersonRecord(
                national_id=person.national_id,
                first_names=person.first_names,
                last_name=person.last_name,
                sex=person.sex,
                birth_date=person.birth_date,
                nationality=person.nationality,
                date_of_death=person.date_of_death,
            )
    for event in events:
        for problem in validate_event(event, by_id, today=today):
            errors.append(RowError(event.line, problem))
    return errors


@transaction.atomic
def records_write(
    *,
    municipality: Municipality,
    persons: list[PersonRecord],
    events: list[EventRecord],
    progress: Progress | None = None,
) -> ImportResult:
    """Write validated records in bulk. Call `records_validate` first."""
    total = len(persons)
    person_rows: list[Person] = []
    for record in persons:
        person_rows.append(
            Person(
                municipality=municipality,
                country=municipality.country,
                national_id=record.national_id,
                id_scheme=record.id_scheme,
                first_names=record.first_names.strip(),
                last_name=record.last_name.strip(),
                sex=record.sex,
                birth_date=record.birth_date,
                birth_place=record.birth_place,
                nationality=record.nationality,
                civil_status=record.civil_status,
                date_of_death=record.date_of_death,
            )
        )
    done = 0
    for chunk in _chunks(person_rows):
        Person.objects.bulk_create(chunk)
        done += len(chunk)
        if progress:
            progress("persons", done, total)
    by_id = {p.national_id: p for p in person_rows}
    if len(by_id) != len(person_rows) or any(p.pk is None for p in person_rows):
        raise ApplicationError("The database did not return the new persons' keys.")

    addresses = [
        Address(
            municipality=municipality,
            person=by_id[r.national_id],
            street=a.street,
            house_number=a.house_number,
            box=a.box,
            postcode=a.postcode,
            municipality_name=a.municipality_name,
            district=a.district,
            is_main_residence=a.is_main_residence,
            valid_from=a.valid_from,
            valid_to=a.valid_to,
        )
        for r in persons
        for a in r.addresses
    ]
    _bulk_create(Address, addresses)
    if progress:
        progress("addresses", len(addresses), len(addresses))

    numbers = sorted({r.household for r in persons if r.household})
    households = {n: Household(municipality=municipality, number=n) for n in numbers}
    _bulk_create(Household, list(households.values()))
    memberships = [
        HouseholdMembership(
            municipality=municipality,
            household=households[r.household],
            person=by_id[r.national_id],
            relation=r.household_relation or "other",
            valid_from=r.household_since
            or (r.addresses[0].valid_from if r.addresses else r.birth_date or dt.date.today()),
        )
        for r in persons
        if r.household
    ]
    _bulk_create(HouseholdMembership, memberships)
    if progress:
        progress("households", len(households), len(households))

    missing = {nid for e in events for nid, _role in e.participants if nid not in by_id}
    if missing:
        by_id.update(
            (p.national_id, p)
            for p in Person.objects.filter(country=municipality.country, national_id__in=missing)
        )
    event_rows = [
        CivilEvent(
            municipality=municipality,
            kind=e.kind,
            act_number=e.act_number,
            date=e.date,
            place=e.place,
            registering_municipality=e.registering_municipality,
        )
        for e in events
    ]
    _bulk_create(CivilEvent, event_rows)
    participants = [
        CivilEventParticipant(municipality=municipality, event=row, person=by_id[nid], role=role)
        for row, e in zip(event_rows, events, strict=True)
        for nid, role in e.participants
    ]
    _bulk_create(CivilEventParticipant, participants)
    if progress:
        progress("civil events", len(event_rows), len(event_rows))
    return ImportResult(
        persons=len(person_rows),
        addresses=len(addresses),
        households=len(households),
        events=len(event_rows),
    )


def register_import_records(
    *,
    municipality: Municipality,
    persons: list[PersonRecord],
    events: list[EventRecord],
    progress: Progress | None = None,
) -> ImportResult:
    """Validate everything, then write everything, or nothing when any record is bad."""
    with transaction.atomic():
        errors = records_validate(municipality=municipality, persons=persons, events=events)
        if errors:
            raise ImportRejected(errors)
        return records_write(
            municipality=municipality, persons=persons, events=events, progress=progress
        )


def register_import_file(
    *, municipality: Municipality, path: Path, progress: Progress | None = None
) -> ImportResult:
    """Import a CSV or JSON register file (formats in docs/register-import.md)."""
    parsed = read_register_file(path)
    with transaction.atomic():
        # Report every problem at once: those of reading and those of the records read.
        errors = [RowError(line, message) for line, message in parsed.errors]
        errors += records_validate(
            municipality=municipality, persons=parsed.persons, events=parsed.events
        )
        if errors:
            errors.sort(key=lambda e: e.line or 0)
            raise ImportRejected(errors)
        return records_write(
            municipality=municipality,
            persons=parsed.persons,
            events=parsed.events,
            progress=progress,
        )
