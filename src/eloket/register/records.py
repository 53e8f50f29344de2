"""Plain records of register data, and their validation.

Imports and the demo data generator both produce these records; `services` writes them.
Validation never touches the database, so a whole file is checked before anything is
written; the checks that need the database (duplicates) live in `services`.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Model
from django.utils.translation import gettext as _

from eloket.common.errors import ApplicationError
from eloket.common.text import hidden_character_problem
from eloket.register.models import (
    Address,
    CivilEvent,
    CivilEventKind,
    CivilStatus,
    Household,
    HouseholdRelation,
    ParticipantRole,
    Person,
    Sex,
)
from eloket.register.national_ids import NationalId, parse_national_id

MIN_MARRIAGE_AGE = 16
SHOWN = 40  # characters of a bad value repeated in a message


def shown(value: object) -> str:
    """A value for a message, cut to SHOWN characters (a file may hold 100,000 in a field)."""
    text = str(value)
    return text if len(text) <= SHOWN else text[:SHOWN] + "…"


def _column_length(model: type[Model], name: str) -> int:
    length = getattr(model._meta.get_field(name), "max_length", None)
    assert length is not None, f"{model.__name__}.{name} has no max_length"
    return int(length)


# The columns a record's texts go into: (the field as files name it, model, column). A
# longer text is refused by name (SQLite would store it, PostgreSQL refuse the insert).
PERSON_COLUMNS = [
    ("first_names", Person, "first_names"),
    ("last_name", Person, "last_name"),
    ("birth_place", Person, "birth_place"),
    ("household", Household, "number"),
]
ADDRESS_COLUMNS = [
    ("street", Address, "street"),
    ("house_number", Address, "house_number"),
    ("box", Address, "box"),
    ("postcode", Address, "postcode"),
    ("address_municipality", Address, "municipality_name"),
    ("district", Address, "district"),
]
EVENT_COLUMNS = [
    ("act_number", CivilEvent, "act_number"),
    ("place", CivilEvent, "place"),
    ("registering_municipality", CivilEvent, "registering_municipality"),
]


def _too_long(label: str, value: str, model: type[Model], column: str) -> str | None:
    limit = _column_length(model, column)
    if len(value) <= limit:
        return None
    return _("%(field)s may be at most %(n)d characters long, not %(length)d.") % {
        "field": label,
        "n": limit,
        "length": len(value),
    }


@dataclass
class AddressRecord:
    street: str
    house_number: str
    postcode: str
    municipality_name: str
    valid_from: dt.date
    box: str = ""
    district: str = ""
    is_main_residence: bool = True
    valid_to: dt.date | None = None
    lat: float | None = None
    lon: float | None = None


@dataclass
class PersonRecord:
    national_id: str
    first_names: str
    last_name: str
    sex: str
    birth_date: dt.date | None
    nationality: str
    birth_place: str = ""
    civil_status: str = CivilStatus.SINGLE
    date_of_death: dt.date | None = None
    addresses: list[AddressRecord] = field(default_factory=list)
    household: str | None = None
    household_relation: str | None = None
    household_since: dt.date | None = None
    id_scheme: str = ""
    line: int | None = None  # where the record starts in an imported file


@dataclass
class EventRecord:
    kind: str
    act_number: str
    date: dt.date
    place: str
    registering_municipality: str
    participants: list[tuple[str, str]]  # (national_id, role)
    line: int | None = None


class RecordError(ApplicationError):
    code = "invalid_record"


def age_on(birth_date: dt.date, day: dt.date) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def validate_person(record: PersonRecord, *, country: str, today: dt.date) -> list[str]:
    """Problems with one person, as sentences for the person importing. Normalises the
    national identifier to bare digits and fills in its scheme."""
    problems: list[str] = []
    parsed: NationalId | None = None
    try:
        parsed = parse_national_id(record.national_id, country, today=today)
        record.national_id, record.id_scheme = parsed.digits, parsed.scheme
    except ApplicationError as exc:
        problems.append(_("National number: %(reason)s") % {"reason": exc})
    if not record.first_names.strip() or not record.last_name.strip():
        problems.append(_("First and last name are required."))
    texts = {
        "first_names": record.first_names,
        "last_name": record.last_name,
        "birth_place": record.birth_place,
        "household": record.household or "",
        "addresses": [
            [a.street, a.house_number, a.box, a.postcode, a.municipality_name, a.district]
            for a in record.addresses
        ],
    }
    for column, value in texts.items():
        problem = hidden_character_problem(value)
        if problem:
            problems.append(f"{column}: {problem}")
    values = {
        "first_names": record.first_names,
        "last_name": record.last_name,
        "birth_place": record.birth_place,
        "household": record.household or "",
    }
    for label, model, column in PERSON_COLUMNS:
        problem = _too_long(label, values[label], model, column)
        if problem:
            problems.append(problem)
    for address in record.addresses:
        for label, model, column in ADDRESS_COLUMNS:
            problem = _too_long(label, getattr(address, column), model, column)
            if problem:
                problems.append(problem)
    if record.sex not in Sex.values:
        problems.append(_("Sex must be M, F or X."))
    if record.civil_status not in CivilStatus.values:
        problems.append(
            _("Civil status must be one of: %(values)s.")
            % {"values": ", ".join(CivilStatus.values)}
        )
    if len(record.nationality) != 2 or not record.nationality.isalpha():
        problems.append(_("Nationality must be a two-letter country code (BE, NL, KR, ...)."))
    record.nationality = record.nationality.upper()
    if record.birth_date:
        if record.birth_date > today:
            problems.append(_("The birth date lies in the future."))
        if parsed and parsed.birth_date and parsed.birth_date != record.birth_date:
            problems.append(_("The birth date does not match the national number."))
    elif parsed and parsed.birth_date:
        record.birth_date = parsed.birth_date
    if parsed and parsed.sex and record.sex in ("M", "F") and parsed.sex != record.sex:
        problems.append(_("The sex does not match the national number."))
    death = record.date_of_death
    if death:
        if death > today:
            problems.append(_("The date of death lies in the future."))
        if record.birth_date and death < record.birth_date:
            problems.append(_("The date of death lies before the birth date."))
    current_main = 0
    for address in record.addresses:
        if not (
            address.street.strip()
            and address.house_number.strip()
            and address.postcode.strip()
            and address.municipality_name.strip()
        ):
            problems.append(_("An address needs street, house number, postcode and municipality."))
        if address.valid_to and address.valid_to < address.valid_from:
            problems.append(_("An address ends before it starts."))
        if record.birth_date and address.valid_from < record.birth_date:
            problems.append(_("An address starts before the birth date."))
        if death and address.valid_from > death:
            problems.append(_("An address starts after the date of death."))
        if address.is_main_residence and address.valid_to is None:
            current_main += 1
    if current_main > 1:
        problems.append(_("A person has at most one current main residence."))
    if record.household and record.household_relation not in HouseholdRelation.values:
        problems.append(
            _("Household relation must be one of: %(values)s.")
            % {"values": ", ".join(HouseholdRelation.values)}
        )
    return problems


def validate_event(
    record: EventRecord, persons: dict[str, PersonRecord], *, today: dt.date
) -> list[str]:
    """Problems with one civil event; `persons` maps national ids to the people it names."""
    problems: list[str] = []
    if record.kind not in CivilEventKind.values:
        problems.append(
            _("Event kind must be one of: %(values)s.")
            % {"values": ", ".join(CivilEventKind.values)}
        )
    if not record.act_number.strip() or not record.registering_municipality.strip():
        problems.append(_("An event needs an act number and a registering municipality."))
    problem = hidden_character_problem(
        record.act_number, record.place, record.registering_municipality
    )
    if problem:
        problems.append(problem)
    for label, model, column in EVENT_COLUMNS:
        problem = _too_long(label, getattr(record, column), model, column)
        if problem:
            problems.append(problem)
    if record.date > today:
        problems.append(_("The event date lies in the future."))
    if not record.participants:
        problems.append(_("An event names at least one person."))
    for national_id, role in record.participants:
        if role not in ParticipantRole.values:
            problems.append(
                _("Role must be one of: %(values)s.")
                % {"values": ", ".join(ParticipantRole.values)}
            )
        person = persons.get(national_id)
        if person is None:
            problems.append(
                _("Person %(id)s is not in this file or in this municipality's register.")
                % {"id": shown(national_id)}
            )
            continue
        if (
            person.birth_date
            and record.date < person.birth_date
            and not (record.kind == "birth" and role != "subject")
        ):
            problems.append(_("The event lies before the birth of %(id)s.") % {"id": national_id})
        if person.date_of_death and record.date > person.date_of_death:
            problems.append(_("The event lies after the death of %(id)s.") % {"id": national_id})
        if (
            record.kind == "marriage"
            and role == "spouse"
            and person.birth_date
            and age_on(person.birth_date, record.date) < MIN_MARRIAGE_AGE
        ):
            problems.append(_("%(id)s would marry before the age of 16.") % {"id": national_id})
    return problems
