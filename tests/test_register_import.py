"""Register import: CSV and JSON, errors with line numbers, all or nothing (issue 2)."""

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from eloket.register.models import Address, CivilEvent, Household, Person
from eloket.register.national_ids import make_belgian_number

JAN = make_belgian_number(dt.date(1985, 7, 30), 33)
SOFIE = make_belgian_number(dt.date(1987, 3, 12), 102)
LOTTE = make_belgian_number(dt.date(2014, 5, 20), 86)

HEADER = (
    "national_number,first_names,last_name,sex,birth_date,birth_place,nationality,civil_status,"
    "date_of_death,street,house_number,box,postcode,address_municipality,district,resident_since,"
    "household,household_relation"
)


def csv_file(tmp_path, *rows):
    path = tmp_path / "people.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def good_rows():
    return [
        f"{JAN},Jan,Peeters,M,1985-07-30,Gent,BE,married,,Veldstraat,12,,9000,Gent,Gent,2015-01-01,H1,reference",
        f"{SOFIE},Sofie,Claes,F,1987-03-12,Brugge,BE,married,,Veldstraat,12,,9000,Gent,Gent,2015-01-01,H1,spouse",
        f"{LOTTE},Lotte,Peeters,F,2014-05-20,Gent,BE,single,,Veldstraat,12,,9000,Gent,Gent,,H1,child",
    ]


def run_import(path, slug):
    out, err = StringIO(), StringIO()
    try:
        call_command(
            "register", "import", str(path), "--municipality", slug, stdout=out, stderr=err
        )
    finally:
        run_import.err = err.getvalue()
    return out.getvalue()


def test_csv_import(gent, tmp_path):
    out = run_import(csv_file(tmp_path, *good_rows()), "gent")
    assert "Imported 3 persons" in out
    assert Person.objects.filter(municipality=gent).count() == 3
    lotte = Person.objects.get(national_id=LOTTE)
    assert lotte.addresses.get().valid_from == dt.date(2014, 5, 20)  # no resident_since: from birth
    household = Household.objects.get(municipality=gent)
    assert household.memberships.count() == 3
    assert household.memberships.get(relation="reference").person.first_names == "Jan"


def test_national_numbers_may_carry_separators(gent, tmp_path):
    row = good_rows()[0].replace(JAN, f"{JAN[:2]}.{JAN[2:4]}.{JAN[4:6]}-{JAN[6:9]}.{JAN[9:]}")
    run_import(csv_file(tmp_path, row), "gent")
    assert Person.objects.get().national_id == JAN


def test_a_file_with_any_bad_row_imports_nothing_and_names_the_lines(gent, tmp_path):
    rows = good_rows()
    rows.insert(
        1, f"{JAN[:-1]}0,Bad,Number,M,1985-07-30,Gent,BE,single,,Veldstraat,1,,9000,Gent,,,,"
    )
    rows.append(
        f"{make_belgian_number(dt.date(1990, 1, 1), 11)},Piet,Late,M,01/01/1990,Gent,BE,single,,,,,,,,,,"
    )
    with pytest.raises(CommandError, match="2 problems"):
        run_import(csv_file(tmp_path, *rows), "gent")
    assert "line 3: National number: The check digits do not match" in run_import.err
    assert "line 6: birth_date must be a date like 1985-07-30" in run_import.err
    assert (
        Person.objects.count() == 0
        and Address.objects.count() == 0
        and Household.objects.count() == 0
    )


def test_consistency_errors(gent, tmp_path):
    rows = [
        f"{JAN},Jan,Peeters,M,1985-07-31,Gent,BE,married,,,,,,,,,,",  # date differs from the number
        f"{SOFIE},Sofie,Claes,M,1987-03-12,Brugge,BE,married,,,,,,,,,,",  # sex differs from the number
        f"{LOTTE},Lotte,Peeters,F,2014-05-20,Gent,BE,single,2013-01-01,,,,,,,,,",  # death before birth
        f"{LOTTE},Lotte,Peeters,F,2014-05-20,Gent,BE,unknown,,,,,,,,,,",  # duplicate, bad status
    ]
    with pytest.raises(CommandError):
        run_import(csv_file(tmp_path, *rows), "gent")
    err = run_import.err
    assert "line 2: The birth date does not match the national number." in err
    assert "line 3: The sex does not match the national number." in err
    assert "line 4: The date of death lies before the birth date." in err
    assert "line 5: Civil status must be one of" in err
    assert "line 5: National number" in err and "appears twice" in err
    assert Person.objects.count() == 0


def test_importing_the_same_people_twice_is_refused(gent, tmp_path):
    run_import(csv_file(tmp_path, *good_rows()), "gent")
    with pytest.raises(CommandError):
        run_import(csv_file(tmp_path, *good_rows()), "gent")
    assert "already in the register" in run_import.err
    assert Person.objects.count() == 3


def test_missing_column_unknown_file_and_unknown_municipality(gent, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("national_number,first_names\n1,2\n")
    with pytest.raises(CommandError):
        run_import(path, "gent")
    assert "line 1: Missing column(s)" in run_import.err
    with pytest.raises(CommandError, match="File not found"):
        run_import(tmp_path / "none.csv", "gent")
    other = tmp_path / "people.xlsx"
    other.write_text("x")
    with pytest.raises(CommandError, match=r"\.csv or \.json"):
        run_import(other, "gent")
    with pytest.raises(CommandError, match="no municipality"):
        run_import(csv_file(tmp_path, *good_rows()), "atlantis")


def json_document():
    return {
        "persons": [
            {
                "national_number": JAN,
                "first_names": "Jan",
                "last_name": "Peeters",
                "sex": "M",
                "birth_date": "1985-07-30",
                "nationality": "BE",
                "civil_status": "married",
                "addresses": [
                    {
                        "street": "Kouter",
                        "house_number": "3",
                        "postcode": "9000",
                        "municipality": "Gent",
                        "from": "2005-01-01",
                        "to": "2014-12-31",
                    },
                    {
                        "street": "Veldstraat",
                        "house_number": "12",
                        "box": "0101",
                        "postcode": "9000",
                        "municipality": "Gent",
                        "district": "Gent",
                        "from": "2015-01-01",
                    },
                ],
                "household": {"id": "H7", "relation": "reference", "since": "2015-01-01"},
            },
            {
                "national_number": SOFIE,
                "first_names": "Sofie",
                "last_name": "Claes",
                "sex": "F",
                "birth_date": "1987-03-12",
                "nationality": "BE",
                "civil_status": "married",
                "household": {"id": "H7", "relation": "spouse"},
            },
        ],
        "events": [
            {
                "kind": "marriage",
                "act_number": "M2012/00031",
                "date": "2012-06-09",
                "place": "Gent",
                "registering_municipality": "Gent",
                "persons": [
                    {"national_number": JAN, "role": "spouse"},
                    {"national_number": SOFIE, "role": "spouse"},
                ],
            },
        ],
    }


def test_json_import_with_history_and_events(gent, tmp_path):
    path = tmp_path / "people.json"
    path.write_text(json.dumps(json_document(), indent=2))
    assert "Imported 2 persons, 2 addresses, 1 households and 1 civil events" in run_import(
        path, "gent"
    )
    jan = Person.objects.get(national_id=JAN)
    assert [a.street for a in jan.addresses.order_by("valid_from")] == ["Kouter", "Veldstraat"]
    marriage = CivilEvent.objects.get(municipality=gent)
    assert set(marriage.persons.values_list("first_names", flat=True)) == {"Jan", "Sofie"}


def test_json_errors_carry_line_numbers(gent, tmp_path):
    document = json_document()
    document["events"][0]["date"] = "1995-06-09"  # Jan would be 9
    document["persons"][1]["birth_date"] = "yesterday"
    path = tmp_path / "people.json"
    path.write_text(json.dumps(document, indent=2))
    with pytest.raises(CommandError):
        run_import(path, "gent")
    lines = path.read_text().splitlines()
    sofie_line = next(i for i, line in enumerate(lines, 1) if SOFIE in line) - 1
    assert f"line {sofie_line}: birth_date must be a date" in run_import.err
    assert Person.objects.count() == 0 and CivilEvent.objects.count() == 0


def test_json_marriage_before_16_is_refused(gent, tmp_path):
    document = json_document()
    document["events"][0]["date"] = "1999-06-09"  # Jan is 13
    path = tmp_path / "people.json"
    path.write_text(json.dumps(document, indent=2))
    with pytest.raises(CommandError):
        run_import(path, "gent")
    assert "would marry before the age of 16" in run_import.err


def test_broken_json(gent, tmp_path):
    path = tmp_path / "people.json"
    path.write_text('{"persons": [\n  {"national_number": }\n]}')
    with pytest.raises(CommandError):
        run_import(path, "gent")
    assert "line 2: Not valid JSON" in run_import.err


def test_korean_register(make_municipality, tmp_path):
    seoul = make_municipality(
        "seoul",
        country="KR",
        nis_code="1100000000",
        languages=["ko", "en"],
        names={"ko": "서울특별시", "en": "Seoul"},
    )
    path = csv_file(
        tmp_path,
        "840417-1355733,민준,김,M,1984-04-17,서울특별시,KR,single,,세종대로,110,,04524,서울특별시,중구,2010-03-01,,",
        "8404171355733,민준,김,M,1984-04-17,서울특별시,KR,single,,,,,,,,,,",
    )
    with pytest.raises(CommandError):
        run_import(path, "seoul")
    assert "appears twice" in run_import.err
    run_import(
        csv_file(
            tmp_path,
            "840417-1355733,민준,김,M,1984-04-17,서울특별시,KR,single,,세종대로,110,,04524,서울특별시,중구,2010-03-01,,",
        ),
        "seoul",
    )
    person = Person.objects.get(municipality=seoul)
    assert person.id_scheme == "kr_rrn" and person.full_name == "김민준"


def test_addresses_may_carry_coordinates(gent, tmp_path):
    """lat and lon place an address (for a permit's neighbours, issue 13): both or
    neither, as degrees; a bad value refuses the file."""
    header = HEADER.replace(",district,", ",district,lat,lon,")
    rows = [
        r.replace(",Gent,Gent,", ",Gent,Gent,51.0539,3.7218,", 1)
        if i == 0
        else r.replace(",Gent,Gent,", ",Gent,Gent,,,", 1)
        for i, r in enumerate(good_rows())
    ]
    path = tmp_path / "people.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    run_import(path, "gent")
    jan = Address.objects.get(person__national_id=JAN)
    assert (jan.lat, jan.lon) == (51.0539, 3.7218)
    assert Address.objects.get(person__national_id=LOTTE).lat is None
    for lat, lon in (("51.05", ""), ("91", "3.7"), ("north", "3.7")):
        bad = [
            good_rows()[0].replace(JAN, SOFIE).replace(",Gent,Gent,", f",Gent,Gent,{lat},{lon},", 1)
        ]
        bad_path = tmp_path / "bad.csv"
        bad_path.write_text("\n".join([header, *bad]) + "\n", encoding="utf-8")
        with pytest.raises(CommandError):
            run_import(bad_path, "gent")
        assert "lat" in run_import.err or "lon" in run_import.err
    assert Person.objects.filter(municipality=gent).count() == 3
