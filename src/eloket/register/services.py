"""Writes to the population register."""

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.db import DatabaseError, transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from eloket.audit.services import audit_record
from eloket.common.actors import Actor
from eloket.common.errors import ApplicationError
from eloket.common.permissions import Permission, authorize
from eloket.common.text import refuse_hidden_characters
from eloket.outbox.queue import outbox_put
from eloket.register.importer import ParsedFile, read_register_bytes, read_register_file
from eloket.register.models import (
    Address,
    CivilEvent,
    CivilEventParticipant,
    Household,
    HouseholdMembership,
    Person,
)
from eloket.register.records import (
    EventRecord,
    PersonRecord,
    shown,
    validate_event,
    validate_person,
)
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


def _in_chunks[V](values: Iterable[V], look_up: Callable[[list[V]], Iterable[str]]) -> set[str]:
    """`look_up` over `values` a BATCH at a time: a file of half a million people is not
    one statement with half a million parameters (SQLite allows 32,766 in many builds)."""
    found: set[str] = set()
    items = list(values)
    for chunk in _chunks(items):
        found.update(look_up(list(chunk)))
    return found


def _records_validate(
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
                    % {"id": shown(record.national_id), "first": seen[record.national_id]},
                )
            )
        seen.setdefault(record.national_id, record.line)
    existing = _in_chunks(
        seen,
        lambda ids: Person.objects.filter(
            country=municipality.country, national_id__in=ids
        ).values_list("national_id", flat=True),
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
    taken = _in_chunks(
        households,
        lambda numbers: Household.objects.filter(
            municipality=municipality, number__in=numbers
        ).values_list("number", flat=True),
    )
    for record in persons:
        if record.household in taken:
            errors.append(
                RowError(
                    record.line,
                    _("Household %(h)s already exists in the register.")
                    % {"h": shown(record.household or "")},
                )
            )
    by_id = {r.national_id: r for r in persons}
    missing = {nid for e in events for nid, _role in e.participants if nid not in by_id}
    for chunk in _chunks(sorted(missing)):
        # Events may name people already in this municipality's register, and only them:
        # a person registered elsewhere is another municipality's to record events for.
        for person in Person.objects.filter(
            municipality=municipality, country=municipality.country, national_id__in=list(chunk)
        ):
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
def _records_write(
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
            lat=a.lat,
            lon=a.lon,
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
        # Only this municipality's people, as validated; never write onto another's.
        for ids in _chunks(sorted(missing)):
            by_id.update(
                (p.national_id, p)
                for p in Person.objects.filter(
                    municipality=municipality,
                    country=municipality.country,
                    national_id__in=list(ids),
                )
            )
        elsewhere = sorted(missing - set(by_id))
        if elsewhere:
            raise ApplicationError(
                _("Person %(id)s is not in this file or in this municipality's register.")
                % {"id": shown(elsewhere[0])},
                code="import_rejected",
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


@contextmanager
def _nothing_on_failure() -> Iterator[None]:
    """Around an import's transaction: should the database refuse a row all the checks
    let through (another import of the same people at the same moment), the transaction
    is rolled back and the importer told so, in their language, not shown a traceback."""
    try:
        yield
    except DatabaseError as exc:
        raise ApplicationError(
            _("The database refused the import (%(reason)s); nothing was imported.")
            # The class only: the database's text may quote a national number.
            % {"reason": type(exc).__name__},
            code="import_failed",
        ) from exc


def register_import_records(
    *,
    actor: Actor,
    municipality: Municipality,
    persons: list[PersonRecord],
    events: list[EventRecord],
    progress: Progress | None = None,
) -> ImportResult:
    """Validate everything, then write everything, or nothing when any record is bad."""
    authorize(actor, municipality, Permission.REGISTER_WRITE)
    with _nothing_on_failure(), transaction.atomic():
        errors = _records_validate(municipality=municipality, persons=persons, events=events)
        if errors:
            raise ImportRejected(errors)
        return _records_write(
            municipality=municipality, persons=persons, events=events, progress=progress
        )


def register_import_file(
    *, actor: Actor, municipality: Municipality, path: Path, progress: Progress | None = None
) -> ImportResult:
    """Import a CSV or JSON register file (formats in docs/register-import.md)."""
    authorize(actor, municipality, Permission.REGISTER_WRITE)
    return _import_parsed(
        actor=actor, municipality=municipality, parsed=read_register_file(path), progress=progress
    )


def register_import_upload(
    *, actor: Actor, municipality: Municipality, name: str, content: bytes
) -> ImportResult:
    """Import a register file sent through the admin (issue 11, point 8): the same checks,
    the same all-or-nothing and the same line-numbered problems as `eloket register
    import`; `name` says whether it is CSV or JSON."""
    authorize(actor, municipality, Permission.REGISTER_WRITE)
    return _import_parsed(
        actor=actor,
        municipality=municipality,
        parsed=read_register_bytes(content, name=name),
        progress=None,
    )


def _import_parsed(
    *,
    actor: Actor,
    municipality: Municipality,
    parsed: ParsedFile,
    progress: Progress | None,
) -> ImportResult:
    with _nothing_on_failure(), transaction.atomic():
        # Report every problem at once: those of reading and those of the records read.
        errors = [RowError(line, message) for line, message in parsed.errors]
        errors += _records_validate(
            municipality=municipality, persons=parsed.persons, events=parsed.events
        )
        if errors:
            errors.sort(key=lambda e: e.line or 0)
            raise ImportRejected(errors)
        result = _records_write(
            municipality=municipality,
            persons=parsed.persons,
            events=parsed.events,
            progress=progress,
        )
        # Who brought these people into the register, and when (the admin's upload or
        # the command line): in the municipality's audit trail.
        audit_record(
            actor=actor,
            municipality=municipality,
            action="register.import",
            object_type="register",
            object_ref=municipality.slug,
            data={
                "persons": result.persons,
                "addresses": result.addresses,
                "households": result.households,
                "events": result.events,
            },
        )
        return result


# --- Changes to people already in the register. Each puts an outbox row saying whose
# data changed (register/events.py), so that documents attesting their data are checked
# again once the change is committed, even if the process stops right after.


def _changed(municipality: Municipality, person_ids: list[int]) -> None:
    outbox_put(
        municipality=municipality,
        kind="register.changed",
        payload={"persons": sorted(set(person_ids))},
    )


def person_move(
    *,
    actor: Actor,
    municipality: Municipality,
    national_id: str,
    street: str,
    house_number: str,
    postcode: str,
    municipality_name: str,
    moved_on: dt.date,
    box: str = "",
    district: str = "",
    with_household: bool = False,
) -> Address:
    """Record a move to a new main residence within the municipality on `moved_on`.

    With `with_household`, the whole household moves along; otherwise the person leaves
    their household and is the reference person of a new one at the new address.
    """
    from eloket.register.selectors import person_get

    authorize(actor, municipality, Permission.REGISTER_WRITE)
    refuse_hidden_characters(street, house_number, postcode, municipality_name, box, district)
    if not (
        street.strip() and house_number.strip() and postcode.strip() and municipality_name.strip()
    ):
        raise ApplicationError(
            _("An address needs street, house number, postcode and municipality."),
            code="invalid_address",
        )
    with transaction.atomic():
        person = person_get(municipality=municipality, national_id=national_id)
        if person.is_deceased:
            raise ApplicationError(_("A deceased person does not move."), code="deceased")
        membership = (
            HouseholdMembership.objects.select_for_update()
            .filter(municipality=municipality, person=person, valid_to__isnull=True)
            .select_related("household")
            .first()
        )
        household_ids = (
            list(
                HouseholdMembership.objects.filter(
                    municipality=municipality,
                    household=membership.household,
                    valid_to__isnull=True,
                ).values_list("person_id", flat=True)
            )
            if membership
            else []
        )
        movers = household_ids if with_household and household_ids else [person.pk]
        new_address = None
        for mover_id in movers:
            current = Address.objects.select_for_update().filter(
                municipality=municipality,
                person_id=mover_id,
                is_main_residence=True,
                valid_to__isnull=True,
            )
            for address in current:
                if moved_on <= address.valid_from:
                    raise ApplicationError(
                        _("The move must come after the current address started."),
                        code="invalid_date",
                    )
                address.valid_to = moved_on - dt.timedelta(days=1)
                address.save(update_fields=["valid_to"])
            created = Address.objects.create(
                municipality=municipality,
                person_id=mover_id,
                street=street.strip(),
                house_number=house_number.strip(),
                box=box.strip(),
                postcode=postcode.strip(),
                municipality_name=municipality_name.strip(),
                district=district.strip(),
                is_main_residence=True,
                valid_from=moved_on,
            )
            if mover_id == person.pk:
                new_address = created
        if membership and not with_household and len(household_ids) > 1:
            membership.valid_to = moved_on - dt.timedelta(days=1)
            membership.save(update_fields=["valid_to"])
            number = f"{membership.household.number}-{moved_on:%Y%m%d}-{person.pk}"
            household = Household.objects.create(municipality=municipality, number=number[:20])
            HouseholdMembership.objects.create(
                municipality=municipality,
                household=household,
                person=person,
                relation="reference",
                valid_from=moved_on,
            )
        _changed(municipality, [person.pk, *household_ids])
        _audit(actor, municipality, "register.move", person, moved_on)
    assert new_address is not None
    return new_address


def person_record_death(
    *, actor: Actor, municipality: Municipality, national_id: str, died_on: dt.date
) -> Person:
    """Record a death (the civil-status act itself is drawn up elsewhere)."""
    from eloket.register.selectors import person_get

    authorize(actor, municipality, Permission.REGISTER_WRITE)
    with transaction.atomic():
        person = person_get(municipality=municipality, national_id=national_id)
        if person.is_deceased:
            raise ApplicationError(_("This death is already recorded."), code="already_deceased")
        if person.birth_date and died_on < person.birth_date:
            raise ApplicationError(
                _("The date of death lies before the birth date."), code="invalid_date"
            )
        person.date_of_death = died_on
        person.save(update_fields=["date_of_death", "updated_at"])
        _changed(municipality, [person.pk])
        _audit(actor, municipality, "register.death", person, died_on)
    return person


def _audit(
    actor: Actor, municipality: Municipality, action: str, person: Person, on: dt.date
) -> None:
    # The register's own id of the person, never the national number.
    audit_record(
        actor=actor,
        municipality=municipality,
        action=action,
        object_type="person",
        object_ref=str(person.pk),
        data={"on": on.isoformat()},
    )


def person_move_out(
    *, actor: Actor, municipality: Municipality, national_id: str, moved_on: dt.date
) -> Person:
    """Record that a person left the municipality on `moved_on` (a move out, or the
    national register's `moved_out`): their main residence and household membership end
    the day before. They stay in the register as a former resident."""
    from eloket.register.selectors import person_get

    authorize(actor, municipality, Permission.REGISTER_WRITE)
    with transaction.atomic():
        person = person_get(municipality=municipality, national_id=national_id)
        current = list(
            Address.objects.select_for_update().filter(
                municipality=municipality, person=person, is_main_residence=True, valid_to=None
            )
        )
        if not current:
            raise ApplicationError(
                _("This person has no current residence here."), code="not_resident"
            )
        for address in current:
            if moved_on <= address.valid_from:
                raise ApplicationError(
                    _("The move must come after the current address started."),
                    code="invalid_date",
                )
            address.valid_to = moved_on - dt.timedelta(days=1)
            address.save(update_fields=["valid_to"])
        # The household left behind changes too: their household certificates no longer hold.
        housemates: list[int] = []
        for membership in HouseholdMembership.objects.select_for_update().filter(
            municipality=municipality, person=person, valid_to=None
        ):
            housemates += HouseholdMembership.objects.filter(
                household_id=membership.household_id, valid_to=None
            ).values_list("person_id", flat=True)
            membership.valid_to = max(moved_on - dt.timedelta(days=1), membership.valid_from)
            membership.save(update_fields=["valid_to"])
        _changed(municipality, [person.pk, *housemates])
        _audit(actor, municipality, "register.move_out", person, moved_on)
    return person


def person_rename(
    *,
    actor: Actor,
    municipality: Municipality,
    national_id: str,
    on: dt.date,
    first_names: str = "",
    last_name: str = "",
) -> Person:
    """Record a change of name (the act itself is drawn up elsewhere)."""
    from eloket.register.selectors import person_get

    authorize(actor, municipality, Permission.REGISTER_WRITE)
    refuse_hidden_characters(first_names, last_name)
    if not (first_names.strip() or last_name.strip()):
        raise ApplicationError(_("A change of name needs the new name."), code="invalid_name")
    with transaction.atomic():
        person = person_get(municipality=municipality, national_id=national_id)
        if first_names.strip():
            person.first_names = first_names.strip()
        if last_name.strip():
            person.last_name = last_name.strip()
        person.save(update_fields=["first_names", "last_name", "updated_at"])
        _changed(municipality, [person.pk])
        _audit(actor, municipality, "register.rename", person, on)
    return person


def person_record_marriage(
    *, actor: Actor, municipality: Municipality, national_id: str, married_on: dt.date
) -> Person:
    """Record that a person married (their civil status; the act is drawn up elsewhere,
    and the spouse's register, wherever it is, is told by its own mutation)."""
    from eloket.register.selectors import person_get

    authorize(actor, municipality, Permission.REGISTER_WRITE)
    with transaction.atomic():
        person = person_get(municipality=municipality, national_id=national_id)
        if person.is_deceased:
            raise ApplicationError(_("A deceased person does not marry."), code="deceased")
        if person.civil_status == "married":
            raise ApplicationError(_("This person is married already."), code="already_married")
        person.civil_status = "married"
        person.save(update_fields=["civil_status", "updated_at"])
        _changed(municipality, [person.pk])
        _audit(actor, municipality, "register.marriage", person, married_on)
    return person


def person_transfer(
    *,
    actor: Actor,
    municipality: Municipality,
    from_actor: Actor,
    national_id: str,
    street: str,
    house_number: str,
    postcode: str,
    municipality_name: str,
    moved_on: dt.date,
    box: str = "",
) -> Person:
    """A person in another municipality's register on this platform moves in here on
    `moved_on` (the national register's `moved_in`): their residence and household
    membership there end the day before (unless their `moved_out` ended them already),
    and the person passes to this register with the new address, the reference person of
    a household of their own. The record keeps its history (the former addresses stay
    the former municipality's rows). `from_actor` acts for the municipality they leave;
    both municipalities' listeners are told, so certificates either issued no longer
    hold."""
    from eloket.register.national_ids import normalise

    authorize(actor, municipality, Permission.REGISTER_WRITE)
    refuse_hidden_characters(street, house_number, postcode, municipality_name, box)
    if not (
        street.strip() and house_number.strip() and postcode.strip() and municipality_name.strip()
    ):
        raise ApplicationError(
            _("An address needs street, house number, postcode and municipality."),
            code="invalid_address",
        )
    with transaction.atomic():
        person = (
            Person.objects.select_for_update()
            .select_related("municipality")
            .filter(country=municipality.country, national_id=normalise(national_id))
            .exclude(municipality=municipality)
            .first()
        )
        if person is None:
            raise ApplicationError(
                _("This person is not in another register on this platform."),
                code="not_elsewhere",
            )
        left = person.municipality
        authorize(from_actor, left, Permission.REGISTER_WRITE)
        if person.is_deceased:
            raise ApplicationError(_("A deceased person does not move."), code="deceased")
        the_day_before = moved_on - dt.timedelta(days=1)
        for address in Address.objects.select_for_update().filter(
            municipality=left, person=person, is_main_residence=True, valid_to=None
        ):
            if moved_on <= address.valid_from:
                raise ApplicationError(
                    _("The move must come after the current address started."),
                    code="invalid_date",
                )
            address.valid_to = the_day_before
            address.save(update_fields=["valid_to"])
        housemates: list[int] = []
        for membership in HouseholdMembership.objects.select_for_update().filter(
            municipality=left, person=person, valid_to=None
        ):
            housemates += HouseholdMembership.objects.filter(
                household_id=membership.household_id, valid_to=None
            ).values_list("person_id", flat=True)
            membership.valid_to = max(the_day_before, membership.valid_from)
            membership.save(update_fields=["valid_to"])
        person.municipality = municipality
        person.save(update_fields=["municipality", "updated_at"])
        Address.objects.create(
            municipality=municipality,
            person=person,
            street=street.strip(),
            house_number=house_number.strip(),
            box=box.strip(),
            postcode=postcode.strip(),
            municipality_name=municipality_name.strip(),
            is_main_residence=True,
            valid_from=moved_on,
        )
        household = Household.objects.create(
            municipality=municipality, number=f"M{moved_on:%Y%m%d}-{person.pk}"[:20]
        )
        HouseholdMembership.objects.create(
            municipality=municipality,
            household=household,
            person=person,
            relation="reference",
            valid_from=moved_on,
        )
        _changed(left, [person.pk, *housemates])
        _changed(municipality, [person.pk])
        _audit(from_actor, left, "register.move_out", person, moved_on)
        _audit(actor, municipality, "register.move_in", person, moved_on)
    return person
