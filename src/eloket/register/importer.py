"""Reading register files (CSV, JSON) into records, with the line each record starts on.

CSV: one person per row with their current address and household (columns in
CSV_COLUMNS). JSON: {"persons": [...], "events": [...]} (or a bare list of persons) with
full address history and civil events. See docs/register-import.md.

A file is input from outside: whatever it holds, reading it gives records or problems
with the line they are on, in the reader's language, never an exception (issue 10, 8).
Hence the bounds: 50 MB a file; JSON nested at most MAX_JSON_DEPTH deep (Python's parser
would otherwise die of recursion), integers of at most MAX_NUMBER_DIGITS digits (longer
ones stay text: int() refuses 4,300 digits), no unpaired surrogate in a string (no
database stores one); CSV as RFC 4180 says (a bare carriage return ends a line, a quote
that does not close is an error) with the csv module's field limit. The lengths of the
register's columns are checked with the records (records.py). Bad values are quoted in
messages cut to SHOWN characters.
"""

import bisect
import csv
import datetime as dt
import io
import json
import json.scanner
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any

from django.utils.translation import gettext as _

from eloket.register.national_ids import normalise
from eloket.register.records import SHOWN, AddressRecord, EventRecord, PersonRecord, shown

MAX_FILE_BYTES = 50 * 1024 * 1024
# The format nests five deep ({"persons": [{"addresses": [{...}]}]}); room for more.
MAX_JSON_DEPTH = 20
MAX_NUMBER_DIGITS = 30
_SURROGATE = re.compile("[\ud800-\udfff]")

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
    "lat",
    "lon",
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
        if not isinstance(value, str) or len(value) > SHOWN:
            raise ValueError
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise FieldError(
            _("%(field)s must be a date like 1985-07-30, not “%(value)s”.")
            % {"field": label, "value": shown(value)}
        ) from None


def _degrees(value: Any, label: str, limit: float) -> float | None:
    """A coordinate (WGS 84 degrees, within ±limit), or None when not given."""
    if value in (None, ""):
        return None
    try:
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise ValueError
        number = float(value)
        if not -limit <= number <= limit:
            raise ValueError
    except ValueError:
        raise FieldError(
            _("%(field)s must be degrees between -%(limit)d and %(limit)d, not “%(value)s”.")
            % {"field": label, "limit": limit, "value": shown(value)}
        ) from None
    return number


def _point(row: dict[str, Any]) -> tuple[float | None, float | None]:
    """An address's coordinates: both or neither."""
    lat, lon = _degrees(row.get("lat"), "lat", 90), _degrees(row.get("lon"), "lon", 180)
    if (lat is None) != (lon is None):
        raise FieldError(_("Give both lat and lon, or neither."))
    return lat, lon


def _text(value: Any, label: str = "") -> str:
    """A text field: JSON may give text or a number (a house number, a postcode), never
    a list, an object or true/false."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise FieldError(_("%(field)s must be text.") % {"field": label or "?"})
    return str(value).strip()


def read_register_file(path: Path) -> ParsedFile:
    try:
        if not path.is_file():
            return ParsedFile(errors=[(None, _("File not found: %(path)s") % {"path": path})])
        if path.stat().st_size > MAX_FILE_BYTES:
            return ParsedFile(errors=[(None, _("The file is larger than 50 MB."))])
        data = path.read_bytes()
    except OSError as exc:
        return ParsedFile(
            errors=[
                (None, _("The file cannot be read: %(reason)s") % {"reason": exc.strerror or exc})
            ]
        )
    return read_register_bytes(data, name=path.name)


def read_register_bytes(data: bytes, *, name: str) -> ParsedFile:
    """A register file's content, read as the file called `name` (.csv or .json): the
    CLI's file and the admin's upload go the same way."""
    if len(data) > MAX_FILE_BYTES:
        return ParsedFile(errors=[(None, _("The file is larger than 50 MB."))])
    suffix = PurePath(name).suffix.lower()
    if suffix not in (".csv", ".json"):
        return ParsedFile(errors=[(None, _("Use a .csv or .json file."))])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return ParsedFile(errors=[(None, _("The file is not UTF-8 text."))])
    return parse_csv(text) if suffix == ".csv" else parse_json(text)


def _csv_problem(exc: csv.Error) -> str:
    """What the csv module found, in the reader's language (it speaks English)."""
    reason = str(exc)
    if "field larger than field limit" in reason:
        return _("A field is longer than %(n)d characters.") % {"n": csv.field_size_limit()}
    if "expected after" in reason:
        return _(
            "Text follows the closing quote of a field (a quote inside a field is written twice)."
        )
    if "unexpected end of data" in reason:
        return _("A field opens a quote that does not close.")
    return _("The line is not valid CSV: %(reason)s") % {"reason": shown(reason)}


def parse_csv(text: str) -> ParsedFile:
    result = ParsedFile()
    # newline="": the csv module reads line ends itself (a carriage return inside quotes is
    # text, a bare one ends a line); strict: a quote that does not close is an error.
    reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [h.strip() for h in (reader.fieldnames or [])]
    except csv.Error as exc:
        result.errors.append((1, f"{_csv_problem(exc)} {_('The file was read up to here.')}"))
        return result
    missing = CSV_REQUIRED - set(header)
    if missing:
        result.errors.append(
            (1, _("Missing column(s): %(cols)s.") % {"cols": ", ".join(sorted(missing))})
        )
        return result
    unknown = set(header) - set(CSV_COLUMNS)
    if unknown:
        result.errors.append(
            (1, _("Unknown column(s): %(cols)s.") % {"cols": shown(", ".join(sorted(unknown)))})
        )
        return result
    reader.fieldnames = header
    while True:
        starts_at = reader.reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            # The row that starts here cannot be read, nor where the next one starts:
            # report it and stop.
            result.errors.append(
                (starts_at, f"{_csv_problem(exc)} {_('The file was read up to here.')}")
            )
            break
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
                lat=_point(row)[0],
                lon=_point(row)[1],
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


class _Refused(ValueError):
    """Something the decoder will not read, at an offset in the text."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message, self.offset = message, offset


def _parse_int(digits: str) -> int | str:
    # No field of the format is a number; a long one stays text, and is refused as such.
    return int(digits) if len(digits) <= MAX_NUMBER_DIGITS else digits


class _PositionDecoder(json.JSONDecoder):
    """A JSON decoder that remembers where each object starts, to report line numbers,
    and refuses nesting deeper than MAX_JSON_DEPTH and unpaired surrogates.

    It uses the pure-Python scanner, whose parsers receive the offset."""

    def __init__(self) -> None:
        super().__init__(parse_int=_parse_int)
        self.offsets: dict[int, int] = {}
        self.depth = 0
        plain_parse_object: Any = getattr(self, "parse_object")  # noqa: B009  (set by JSONDecoder.__init__)
        plain_parse_array: Any = getattr(self, "parse_array")  # noqa: B009
        plain_parse_string: Any = getattr(self, "parse_string")  # noqa: B009

        def nested(parse: Any, s_and_end: tuple[str, int], *args: Any) -> tuple[Any, int]:
            self.depth += 1
            try:
                if self.depth > MAX_JSON_DEPTH:
                    raise _Refused(
                        _("The JSON is nested more than %(n)d levels deep.")
                        % {"n": MAX_JSON_DEPTH},
                        s_and_end[1] - 1,
                    )
                return parse(s_and_end, *args)
            finally:
                self.depth -= 1

        def parse_object(s_and_end: tuple[str, int], *args: Any) -> tuple[Any, int]:
            obj, end = nested(plain_parse_object, s_and_end, *args)
            self.offsets[id(obj)] = s_and_end[1] - 1
            return obj, end

        def parse_array(s_and_end: tuple[str, int], *args: Any) -> tuple[Any, int]:
            return nested(plain_parse_array, s_and_end, *args)

        def parse_string(text: str, end: int, *args: Any) -> tuple[str, int]:
            value, after = plain_parse_string(text, end, *args)
            if _SURROGATE.search(value):
                raise _Refused(
                    _("A string holds half of a character (an unpaired surrogate)."),
                    end - 1,
                )
            return value, after

        self.parse_object = parse_object
        self.parse_array = parse_array
        self.parse_string = parse_string
        self.scan_once = json.scanner.py_make_scanner(self)  # type: ignore[attr-defined]


def parse_json(text: str) -> ParsedFile:
    result = ParsedFile()
    decoder = _PositionDecoder()
    line_ends = [match.start() for match in re.finditer("\n", text)]

    def line_at(offset: int) -> int:
        return bisect.bisect_left(line_ends, offset) + 1

    try:
        data = decoder.decode(text)
    except json.JSONDecodeError as exc:
        result.errors.append((exc.lineno, _("Not valid JSON: %(msg)s.") % {"msg": exc.msg}))
        return result
    except _Refused as exc:
        result.errors.append((line_at(exc.offset), exc.message))
        return result
    except RecursionError:  # not reached within MAX_JSON_DEPTH; a last guard
        result.errors.append((None, _("The JSON is nested too deeply.")))
        return result

    def line_of(obj: Any) -> int | None:
        offset = decoder.offsets.get(id(obj))
        return None if offset is None else line_at(offset)

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
        if _text(item.get(required), required) == "":
            raise FieldError(_("%(field)s is required.") % {"field": required})
    addresses = []
    raw_addresses = item.get("addresses", [])
    if not isinstance(raw_addresses, list):
        raise FieldError(_("addresses must be a list."))
    for raw in raw_addresses:
        if not isinstance(raw, dict):
            raise FieldError(_("Each address is a JSON object."))
        main = raw.get("main_residence", True)
        if not isinstance(main, bool):
            raise FieldError(_("main_residence must be true or false."))
        addresses.append(
            AddressRecord(
                street=_text(raw.get("street"), "street"),
                house_number=_text(raw.get("house_number"), "house_number"),
                box=_text(raw.get("box"), "box"),
                postcode=_text(raw.get("postcode"), "postcode"),
                municipality_name=_text(raw.get("municipality"), "municipality"),
                district=_text(raw.get("district"), "district"),
                is_main_residence=main,
                valid_from=_date(raw.get("from"), "from", required=True) or dt.date.min,
                valid_to=_date(raw.get("to"), "to"),
                lat=_point(raw)[0],
                lon=_point(raw)[1],
            )
        )
    household = item.get("household") or {}
    if not isinstance(household, dict):
        raise FieldError(_("household must be an object with id and relation."))
    return PersonRecord(
        national_id=_text(item.get("national_number"), "national_number"),
        first_names=_text(item.get("first_names"), "first_names"),
        last_name=_text(item.get("last_name"), "last_name"),
        sex=_text(item.get("sex"), "sex").upper(),
        birth_date=_date(item.get("birth_date"), "birth_date"),
        birth_place=_text(item.get("birth_place"), "birth_place"),
        nationality=_text(item.get("nationality"), "nationality"),
        civil_status=_text(item.get("civil_status"), "civil_status") or "single",
        date_of_death=_date(item.get("date_of_death"), "date_of_death"),
        addresses=addresses,
        household=_text(household.get("id"), "household.id") or None,
        household_relation=_text(household.get("relation"), "household.relation") or None,
        household_since=_date(household.get("since"), "household.since"),
        line=line,
    )


def _event_from_json(item: dict[str, Any], line: int | None) -> EventRecord:
    persons = item.get("persons")
    if not isinstance(persons, list) or not all(isinstance(p, dict) for p in persons):
        raise FieldError(_('persons must be a list of {"national_number": ..., "role": ...}.'))
    return EventRecord(
        kind=_text(item.get("kind"), "kind"),
        act_number=_text(item.get("act_number"), "act_number"),
        date=_date(item.get("date"), "date", required=True) or dt.date.min,
        place=_text(item.get("place"), "place"),
        registering_municipality=_text(
            item.get("registering_municipality"), "registering_municipality"
        ),
        participants=[
            (
                normalise(_text(p.get("national_number"), "persons.national_number")),
                _text(p.get("role"), "persons.role"),
            )
            for p in persons
        ],
        line=line,
    )
