"""Reading register files (CSV, JSON) into records, with the line each record starts on.

CSV: one person per row with their current address and household (columns in
CSV_COLUMNS). JSON: {"persons": [...], "events": [...]} (or a bare list of persons) with
full address history and civil events. See docs/register-import.md.
"""

import csv
import datetime as dt
import io
import json
import json.scanner
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from eloket.register.national_ids import normalise
from eloket.register.records import AddressRecord, EventRecord, PersonRecord

MAX_FILE_BYTES = 50 * 1024 * 1024

CSV_COLUMNS = [
    "national_number",
    "first_names",
    "last_name",
    "sex",
    "birth_date",
    "birth_place",
    "nationality",
    "civil_status",
    "date_of_death",
    "street",
    "house_number",
    "box",
    "postcode",
    "address_municipality",
    "district",
    "resident_since",
    "household",
    "household_relation",
]
CSV_REQUIRED = {"national_number", "first_names", "last_name", "sex", "nationality"}


@dataclass
class ParsedFile:
    persons: list[PersonRecord] = field(default_factory=list)
    events: list[EventRecord] = field(default_factory=list)
    errors: list[tuple[int | None, str]] = field(default_factory=list)


class FieldError(ValueError):
    pass


def _date(value: Any, label: str, *, required: bool = False) -> dt.date | None:
    if value in (None, ""):
        if required:
            raise FieldError(_("%(field)s is required.") % {"field": label})
        return None
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise FieldError(
            _("%(field)s must be a date like 1985-07-30, not “%(value)s”.")
            % {"field": label, "value": value}
        ) from None


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def read_register_file(path: Path) -> ParsedFile:
    if not path.exists():
        return ParsedFile(errors=[(None, _("File not found: %(path)s") % {"path": path})])
    if path.stat().st_size > MAX_FILE_BYTES:
        return ParsedFile(errors=[(None, _("The file is larger than 50 MB."))])
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        return ParsedFile(errors=[(None, _("The file is not UTF-8 text."))])
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return parse_csv(text)
    if suffix == ".json":
        return parse_json(text)
    return ParsedFile(errors=[(None, _("Use a .csv or .json file."))])


def parse_csv(text: str) -> ParsedFile:
    result = ParsedFile()
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = CSV_REQUIRED - set(header)
    if missing:
        result.errors.append(
            (1, _("Missing column(s): %(cols)s.") % {"cols": ", ".join(sorted(missing))})
        )
        return result
    unknown = set(header) - set(CSV_COLUMNS)
    if unknown:
        result.errors.append(
            (1, _("Unknown column(s): %(cols)s.") % {"cols": ", ".join(sorted(unknown))})
        )
        return result
    reader.fieldnames = header
    for row in reader:
        line = reader.line_num
        if None in row:
            result.errors.append((line, _("The row has more fields than the header.")))
            continue
        try:
            result.persons.append(_person_from_csv(row, line))
        except FieldError as exc:
            result.errors.append((line, str(exc)))
    if not result.persons and not result.errors:
        result.errors.append((None, _("The file holds no records.")))
    return result


def _person_from_csv(row: dict[str, Any], line: int) -> PersonRecord:
    birth_date = _date(row.get("birth_date"), "birth_date")
    addresses = []
    if _text(row.get("street")):
        since = _date(row.get("resident_since"), "resident_since") or birth_date
        if since is None:
            raise FieldError(_("resident_since is required when the birth date is unknown."))
        addresses.append(
            AddressRecord(
                street=_text(row.get("street")),
                house_number=_text(row.get("house_number")),
                box=_text(row.get("box")),
                postcode=_text(row.get("postcode")),
                municipality_name=_text(row.get("address_municipality")),
                district=_text(row.get("district")),
                valid_from=since,
            )
        )
    return PersonRecord(
        national_id=_text(row.get("national_number")),
        first_names=_text(row.get("first_names")),
        last_name=_text(row.get("last_name")),
        sex=_text(row.get("sex")).upper(),
        birth_date=birth_date,
        birth_place=_text(row.get("birth_place")),
        nationality=_text(row.get("nationality")),
        civil_status=_text(row.get("civil_status")) or "single",
        date_of_death=_date(row.get("date_of_death"), "date_of_death"),
        addresses=addresses,
        household=_text(row.get("household")) or None,
        household_relation=_text(row.get("household_relation")) or None,
        household_since=addresses[0].valid_from if addresses else None,
        line=line,
    )


class _PositionDecoder(json.JSONDecoder):
    """A JSON decoder that remembers where each object starts, to report line numbers.

    It uses the pure-Python scanner, whose object parser receives the offset."""

    def __init__(self) -> None:
        super().__init__()
        self.offsets: dict[int, int] = {}
        plain_parse_object: Any = getattr(self, "parse_object")  # noqa: B009  (set by JSONDecoder.__init__)

        def parse_object(s_and_end: tuple[str, int], *args: Any) -> tuple[Any, int]:
            obj, end = plain_parse_object(s_and_end, *args)
            self.offsets[id(obj)] = s_and_end[1] - 1
            return obj, end

        self.parse_object = parse_object
        self.scan_once = json.scanner.py_make_scanner(self)  # type: ignore[attr-defined]


def parse_json(text: str) -> ParsedFile:
    result = ParsedFile()
    decoder = _PositionDecoder()
    try:
        data = decoder.decode(text)
    except json.JSONDecodeError as exc:
        result.errors.append((exc.lineno, _("Not valid JSON: %(msg)s.") % {"msg": exc.msg}))
        return result

    def line_of(obj: Any) -> int | None:
        offset = decoder.offsets.get(id(obj))
        return None if offset is None else text.count("\n", 0, offset) + 1

    if isinstance(data, list):
        data = {"persons": data}
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("persons", []), list)
        or not isinstance(data.get("events", []), list)
    ):
        result.errors.append(
            (1, _('Expected {"persons": [...], "events": [...]} or a list of persons.'))
        )
        return result
    for item in data.get("persons", []):
        line = line_of(item)
        try:
            if not isinstance(item, dict):
                raise FieldError(_("Each person is a JSON object."))
            result.persons.append(_person_from_json(item, line))
        except FieldError as exc:
            result.errors.append((line, str(exc)))
    for item in data.get("events", []):
        line = line_of(item)
        try:
            if not isinstance(item, dict):
                raise FieldError(_("Each event is a JSON object."))
            result.events.append(_event_from_json(item, line))
        except FieldError as exc:
            result.errors.append((line, str(exc)))
    if not result.persons and not result.events and not result.errors:
        result.errors.append((None, _("The file holds no records.")))
    return result


def _person_from_json(item: dict[str, Any], line: int | None) -> PersonRecord:
    for required in ("national_number", "first_names", "last_name", "sex", "nationality"):
        if _text(item.get(required)) == "":
            raise FieldError(_("%(field)s is required.") % {"field": required})
    addresses = []
    raw_addresses = item.get("addresses", [])
    if not isinstance(raw_addresses, list):
        raise FieldError(_("addresses must be a list."))
    for raw in raw_addresses:
        if not isinstance(raw, dict):
            raise FieldError(_("Each address is a JSON object."))
        addresses.append(
            AddressRecord(
                street=_text(raw.get("street")),
                house_number=_text(raw.get("house_number")),
                box=_text(raw.get("box")),
                postcode=_text(raw.get("postcode")),
                municipality_name=_text(raw.get("municipality")),
                district=_text(raw.get("district")),
                is_main_residence=bool(raw.get("main_residence", True)),
                valid_from=_date(raw.get("from"), "from", required=True) or dt.date.min,
                valid_to=_date(raw.get("to"), "to"),
            )
        )
    household = item.get("household") or {}
    if not isinstance(household, dict):
        raise FieldError(_("household must be an object with id and relation."))
    return PersonRecord(
        national_id=_text(item.get("national_number")),
        first_names=_text(item.get("first_names")),
        last_name=_text(item.get("last_name")),
        sex=_text(item.get("sex")).upper(),
        birth_date=_date(item.get("birth_date"), "birth_date"),
        birth_place=_text(item.get("birth_place")),
        nationality=_text(item.get("nationality")),
        civil_status=_text(item.get("civil_status")) or "single",
        date_of_death=_date(item.get("date_of_death"), "date_of_death"),
        addresses=addresses,
        household=_text(household.get("id")) or None,
        household_relation=_text(household.get("relation")) or None,
        household_since=_date(household.get("since"), "household.since"),
        line=line,
    )


def _event_from_json(item: dict[str, Any], line: int | None) -> EventRecord:
    persons = item.get("persons")
    if not isinstance(persons, list) or not all(isinstance(p, dict) for p in persons):
        raise FieldError(_('persons must be a list of {"national_number": ..., "role": ...}.'))
    return EventRecord(
        kind=_text(item.get("kind")),
        act_number=_text(item.get("act_number")),
        date=_date(item.get("date"), "date", required=True) or dt.date.min,
        place=_text(item.get("place")),
        registering_municipality=_text(item.get("registering_municipality")),
        participants=[
            (normalise(_text(p.get("national_number"))), _text(p.get("role"))) for p in persons
        ],
        line=line,
    )
