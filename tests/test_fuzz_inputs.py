"""The parsers of what comes from outside, fuzzed (issue 10, point 8): national numbers and
register files.

- National numbers: any text gives a valid number or the module's own InvalidNationalId
  (with its reason), never another exception; every valid number read back is itself,
  with the birth date and sex it was made from, however it is written.
- Register files (CSV and JSON, through `register_import_file` as the command calls it):
  any content, well-formed or not, is imported or refused with the problems listed; never
  another exception, and a refused file changes nothing in the register.

Budget: tests/fuzzing.py (`ELOKET_FUZZ_EXAMPLES`). The hostile inputs found so far are kept
in tests/data/fuzz/national_ids/ and tests/data/fuzz/register/ and replayed every run; a
failing run writes its (shrunk) input there as `found-*`, to be renamed and committed with
the fix.
"""

import csv
import datetime as dt
import io
import json
import re
from pathlib import Path

import pytest
from django.db import transaction
from hypothesis import assume, given
from hypothesis import strategies as st

from eloket.common.actors import Actor
from eloket.common.errors import ApplicationError
from eloket.register.importer import CSV_COLUMNS
from eloket.register.models import (
    Address,
    CivilEvent,
    CivilEventParticipant,
    Household,
    HouseholdMembership,
    Person,
)
from eloket.register.national_ids import (
    InvalidNationalId,
    NationalId,
    make_belgian_number,
    make_korean_number,
    normalise,
    parse_belgian,
    parse_korean,
    parse_national_id,
)
from eloket.register.services import ImportResult, register_import_file
from fuzzing import FUZZ

FUZZ_DATA = Path(__file__).parent / "data" / "fuzz"
NATIONAL_IDS = FUZZ_DATA / "national_ids"
REGISTER = FUZZ_DATA / "register"
TODAY = dt.date(2026, 11, 22)


def read_values(path: Path) -> list[str]:
    """One value per line, `#` lines left out; `\\n`, `\\t`, `\\x..`, `\\u....` escapes
    are read as such, and `<N * c>` stands for c repeated N times (as forms.txt)."""
    values = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            continue
        repeated = re.fullmatch(r"<(\d+) \* (.+)>", line)
        if repeated:
            values.append(repeated.group(2) * int(repeated.group(1)))
        else:
            values.append(line.encode("utf-8", "backslashreplace").decode("unicode_escape"))
    return values


def keep(path: Path | None, content: bytes) -> None:
    """Write a failing input where the next run replays it: one file per fuzz test,
    overwritten, so that what stays is the last input tried, the one Hypothesis shrank
    to. (Rename it after what it shows when committing the fix.)"""
    if path is not None:
        path.write_bytes(content)


# --- National numbers


def parse_any(text: str, parser) -> NationalId | None:
    """The parser's answer: a number, or None for its own refusal. Any other exception
    propagates (and fails the test)."""
    try:
        parsed = parser(text, today=TODAY)
    except InvalidNationalId as exc:
        assert str(exc), "a refusal says why"
        return None
    assert parsed.digits.isascii() and parsed.digits.isdigit()
    assert parser(parsed.digits, today=TODAY) == parsed  # what it read reads the same again
    return parsed


def check_national_id(text: str, found_as: Path | None = None) -> None:
    try:
        for parser in (parse_belgian, parse_korean):
            parse_any(text, parser)
        for country in ("BE", "KR", "be", "NL", "", "\u0130"):
            parse_any(text, lambda raw, today, c=country: parse_national_id(raw, c, today=today))
    except Exception:
        escaped = text.encode("unicode_escape").decode("ascii")
        keep(found_as, f"# found by a fuzz run\n{escaped}\n".encode())
        raise


# Numbers of 11 or 13 digits, some of other scripts (full-width, superscript, Arabic-Indic,
# Devanagari, ...), with the separators the parsers drop: where the parsers were weak.
DIGIT = st.one_of(
    st.sampled_from("0123456789"),
    st.sampled_from("0123456789"),
    st.characters(categories=["Nd", "No"]),
)
DIGITISH = st.one_of(
    st.lists(DIGIT, min_size=11, max_size=11).map("".join),
    st.lists(DIGIT, min_size=13, max_size=13).map("".join),
    st.text(st.one_of(DIGIT, st.sampled_from(" .-/\t\u00a0")), min_size=9, max_size=16),
)


@pytest.mark.parametrize(
    "text", [value for path in sorted(NATIONAL_IDS.glob("*.txt")) for value in read_values(path)]
)
def test_the_national_number_corpus(text):
    check_national_id(text)


@FUZZ
@given(text=st.one_of(st.text(), DIGITISH))
def test_any_text_is_a_national_number_or_a_reason(text):
    check_national_id(text, found_as=NATIONAL_IDS / "found-by-fuzzing.txt")


def _separated(digits: str, separators: list[str]) -> str:
    out = []
    for index, digit in enumerate(digits):
        out.append(digit)
        if index < len(separators):
            out.append(separators[index])
    return "".join(out)


SEPARATORS = st.lists(st.sampled_from(["", "", ".", "-", " ", "/"]), max_size=13)


@FUZZ
@given(
    birth=st.dates(dt.date(1900, 1, 1), TODAY),
    sequence=st.integers(1, 997),
    kind=st.sampled_from(["national", "bis, sex known", "bis, sex unknown"]),
    separators=SEPARATORS,
)
def test_belgian_numbers_read_back(birth, sequence, kind, separators):
    bis = kind != "national"
    number = make_belgian_number(birth, sequence, bis=bis, sex_known=kind != "bis, sex unknown")
    parsed = parse_belgian(_separated(number, separators), today=TODAY)
    assert parsed.digits == number
    assert parsed.birth_date == birth
    assert parsed.scheme == ("be_bis" if bis else "be_nn")
    expected_sex = None if kind == "bis, sex unknown" else ("M" if sequence % 2 else "F")
    assert parsed.sex == expected_sex


@FUZZ
@given(
    birth=st.dates(dt.date(1800, 1, 1), TODAY),
    sex=st.sampled_from("MF"),
    serial=st.integers(0, 99_999),
    foreigner=st.booleans(),
    separators=SEPARATORS,
)
def test_korean_numbers_read_back(birth, sex, serial, foreigner, separators):
    assume(not (foreigner and birth.year < 1900))  # no code for foreigners born in the 1800s
    number = make_korean_number(birth, sex, serial, foreigner=foreigner)
    parsed = parse_korean(_separated(number, separators), today=TODAY)
    assert (parsed.digits, parsed.birth_date, parsed.sex) == (number, birth, sex)
    assert normalise(_separated(number, separators)) == number


# --- Register files


def register_counts() -> tuple[int, ...]:
    return tuple(
        model.objects.count()
        for model in (
            Person,
            Address,
            Household,
            HouseholdMembership,
            CivilEvent,
            CivilEventParticipant,
        )
    )


def check_import(
    municipality, folder: Path, name: str, content: bytes, found_as: str = ""
) -> ImportResult | None:
    """Import `content` as file `name`: a result, or a refusal (ApplicationError) that
    changed nothing. Each attempt is rolled back afterwards, so that examples do not
    meet each other's people."""
    path = folder / name
    path.write_bytes(content)
    with transaction.atomic():
        before = register_counts()
        try:
            result = register_import_file(
                actor=Actor.system("fuzz", municipality), municipality=municipality, path=path
            )
        except ApplicationError as exc:
            assert str(exc)
            assert register_counts() == before, "a refused import wrote something"
            result = None
        except Exception:
            keep(REGISTER / f"{found_as}{path.suffix}" if found_as else None, content)
            raise
        else:
            assert register_counts()[0] == before[0] + result.persons
        transaction.set_rollback(True)
    return result


def corpus_files() -> list[Path]:
    return sorted(p for p in REGISTER.iterdir() if p.suffix in (".csv", ".json"))


@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: p.name)
def test_the_register_corpus(gent, tmp_path, path):
    check_import(gent, tmp_path, f"file{path.suffix}", path.read_bytes())


def test_the_corpus_has_the_attacks():
    names = {p.name for p in corpus_files()}
    assert len(names) >= 10, names


BIRTHS = st.dates(dt.date(1920, 1, 1), dt.date(2020, 12, 31))


@st.composite
def national_numbers(draw):
    """Mostly valid numbers (so that files get past the first check), sometimes not."""
    birth = draw(BIRTHS)
    number = make_belgian_number(birth, draw(st.integers(1, 997)))
    return draw(
        st.one_of(
            st.just(number),
            st.just(f"{number[:2]}.{number[2:4]}.{number[4:6]}-{number[6:9]}.{number[9:]}"),
            st.just(number[:-1] + str((int(number[-1]) + 1) % 10)),
            st.text(max_size=15),
        )
    ), birth


PLAUSIBLE = {
    "first_names": st.sampled_from(["Jan", "Sofie", "Anne Marie", "", "Émile"]),
    "last_name": st.sampled_from(["Peeters", "Claes", "Van den Broeck", "", "김"]),
    "sex": st.sampled_from(["M", "F", "X", "m", "", "Q"]),
    "birth_place": st.sampled_from(["Gent", "", "Brugge"]),
    "nationality": st.sampled_from(["BE", "be", "NL", "KR", "", "BEL"]),
    "civil_status": st.sampled_from(["single", "married", "", "unknown"]),
    "date_of_death": st.sampled_from(["", "", "2020-01-01", "1900-01-01", "2999-01-01"]),
    "street": st.sampled_from(["Veldstraat", "", "Markt"]),
    "house_number": st.sampled_from(["1", "12", "", "3A"]),
    "box": st.sampled_from(["", "0101"]),
    "postcode": st.sampled_from(["9000", "", "8000"]),
    "address_municipality": st.sampled_from(["Gent", ""]),
    "district": st.sampled_from(["", "Gent", "Ledeberg"]),
    "resident_since": st.sampled_from(["", "2015-01-01", "1800-01-01", "2015-02-30"]),
    "household": st.sampled_from(["", "H1", "H2", "H1"]),
    "household_relation": st.sampled_from(["", "reference", "child", "spouse", "boss"]),
}
# Text that has broken parsers somewhere: quotes, line ends, NUL, controls of direction,
# lone surrogates' neighbours, long and very long fields, formulas.
NASTY = st.one_of(
    st.sampled_from(
        ['"', '""', '"x"y', "\r", "\n", "\r\n", "\x00", "\u202e", "=1+1", ",", "\ufeff", "\\"]
    ),
    st.text(max_size=40),
    st.text(st.characters(codec="utf-8"), min_size=100, max_size=400),
    st.integers(100, 140_000).map(lambda n: "x" * n),
)


@st.composite
def csv_rows(draw):
    number, birth = draw(national_numbers())
    row = {"national_number": number, "birth_date": draw(st.sampled_from([str(birth), ""]))}
    for column, plausible in PLAUSIBLE.items():
        row[column] = draw(st.one_of(plausible, plausible, plausible, NASTY))
    return row


@st.composite
def csv_files(draw):
    header = draw(
        st.one_of(
            st.just(CSV_COLUMNS),
            st.permutations(CSV_COLUMNS),
            st.lists(st.sampled_from([*CSV_COLUMNS, "junk", "", " sex "]), max_size=20),
        )
    )
    rows = draw(st.lists(csv_rows(), max_size=5))
    cells = [[row.get(column.strip(), "") for column in header] for row in rows]
    for extra in draw(st.lists(st.lists(NASTY, max_size=20), max_size=2)):
        cells.insert(draw(st.integers(0, len(cells))), extra)
    ending = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    if draw(st.booleans()):
        out = io.StringIO()
        writer = csv.writer(out, lineterminator=ending)
        writer.writerow(header)
        writer.writerows(cells)
        text = out.getvalue()
    else:  # written by hand, quotes and all, as a broken export would be
        text = ending.join(",".join(line) for line in [header, *cells])
    return text.encode("utf-8", "surrogatepass")


JSON_KEYS = [
    "national_number",
    "first_names",
    "last_name",
    "sex",
    "birth_date",
    "birth_place",
    "nationality",
    "civil_status",
    "date_of_death",
    "addresses",
    "household",
    "persons",
    "events",
    "kind",
    "act_number",
    "date",
    "place",
    "registering_municipality",
    "role",
    "street",
    "municipality",
    "from",
    "to",
    "main_residence",
    "id",
    "relation",
    "since",
]
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=20),
    NASTY,
)
ANY_JSON = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(JSON_KEYS) | st.text(max_size=8), inner, max_size=5)
    ),
    max_leaves=25,
)


@st.composite
def json_people(draw):
    number, birth = draw(national_numbers())
    person = {"national_number": number, "birth_date": str(birth)}
    for key in ("first_names", "last_name", "sex", "birth_place", "nationality", "civil_status"):
        person[key] = draw(st.one_of(PLAUSIBLE[key], PLAUSIBLE[key], ANY_JSON))
    person["addresses"] = draw(
        st.one_of(
            st.lists(
                st.fixed_dictionaries(
                    {
                        "street": PLAUSIBLE["street"],
                        "house_number": PLAUSIBLE["house_number"],
                        "postcode": PLAUSIBLE["postcode"],
                        "municipality": PLAUSIBLE["address_municipality"],
                        "from": st.sampled_from([str(birth), "2015-01-01", "", None]),
                    },
                    optional={"main_residence": ANY_JSON, "to": ANY_JSON, "district": ANY_JSON},
                ),
                max_size=2,
            ),
            ANY_JSON,
        )
    )
    person["household"] = draw(
        st.one_of(
            st.fixed_dictionaries(
                {"id": PLAUSIBLE["household"], "relation": PLAUSIBLE["household_relation"]}
            ),
            ANY_JSON,
        )
    )
    return {key: value for key, value in person.items() if draw(st.integers(0, 9))}


@st.composite
def json_events(draw, numbers):
    return {
        "kind": draw(st.sampled_from(["birth", "marriage", "death", "divorce", "feast"])),
        "act_number": draw(st.one_of(st.just("A1"), NASTY)),
        "date": draw(st.sampled_from(["2016-05-01", "1900-01-01", "2999-01-01", "x"])),
        "place": "Gent",
        "registering_municipality": draw(st.sampled_from(["Gent", ""])),
        "persons": draw(
            st.one_of(
                st.lists(
                    st.fixed_dictionaries(
                        {
                            "national_number": st.sampled_from(numbers or ["1"]) | SCALARS,
                            "role": st.sampled_from(["subject", "spouse", "mother", "x"]),
                        }
                    ),
                    max_size=3,
                ),
                ANY_JSON,
            )
        ),
    }


@st.composite
def json_files(draw):
    people = draw(st.lists(json_people(), max_size=4))
    numbers = [
        p.get("national_number") for p in people if isinstance(p.get("national_number"), str)
    ]
    data = draw(
        st.one_of(
            st.just(people),
            st.just(
                {"persons": people, "events": draw(st.lists(json_events(numbers), max_size=2))}
            ),
            ANY_JSON,
        )
    )
    text = json.dumps(
        data, ensure_ascii=draw(st.booleans()), indent=draw(st.sampled_from([None, 1]))
    )
    mutation = draw(st.sampled_from(["none", "none", "truncate", "insert", "nest"]))
    if mutation == "truncate":
        text = text[: draw(st.integers(0, len(text)))]
    elif mutation == "insert":
        at = draw(st.integers(0, len(text)))
        text = (
            text[:at]
            + draw(st.sampled_from(["[", "{", '"', "\\ud800", "1e999", ",", "]"]))
            + text[at:]
        )
    elif mutation == "nest":
        depth = draw(st.one_of(st.integers(15, 40), st.sampled_from([500, 1200, 3000])))
        text = "[" * depth + text + "]" * depth
    return text.encode("utf-8", "surrogatepass")


@FUZZ
@given(content=csv_files())
def test_any_csv_file_is_imported_or_refused_clearly(gent, tmp_path, content):
    check_import(gent, tmp_path, "people.csv", content, found_as="found-by-fuzzing-csv")


@FUZZ
@given(content=json_files())
def test_any_json_file_is_imported_or_refused_clearly(gent, tmp_path, content):
    check_import(gent, tmp_path, "people.json", content, found_as="found-by-fuzzing-json")


@FUZZ
@given(content=st.binary(max_size=300), suffix=st.sampled_from([".csv", ".json"]))
def test_any_bytes_are_imported_or_refused_clearly(gent, tmp_path, content, suffix):
    check_import(gent, tmp_path, f"people{suffix}", content, found_as="found-by-fuzzing-bytes")


def test_the_fuzzers_reach_a_successful_import(gent, tmp_path):
    """The generators make files good enough to be imported, so that the success path is
    fuzzed too (not only the first refusal)."""
    row = {
        "national_number": make_belgian_number(dt.date(1985, 7, 30), 33),
        "first_names": "Jan",
        "last_name": "Peeters",
        "sex": "M",
        "birth_date": "1985-07-30",
        "nationality": "BE",
    }
    text = ",".join(CSV_COLUMNS) + "\n" + ",".join(row.get(c, "") for c in CSV_COLUMNS)
    assert check_import(gent, tmp_path, "people.csv", text.encode()).persons == 1
    assert check_import(gent, tmp_path, "people.json", json.dumps([row]).encode()).persons == 1
