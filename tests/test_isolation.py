"""Tenant isolation: selectors and list endpoints never return another municipality's rows."""

import datetime as dt

from conftest import person_record
from eloket.common.actors import Actor
from eloket.register import selectors
from eloket.register.records import AddressRecord

OFFICER = Actor.system("isolation test")


def test_register_selectors_filter_by_municipality(gent, brugge, add_people):
    add_people(
        gent,
        person_record(dt.date(1985, 7, 30), 33, first="Jan", household="G1", relation="reference"),
    )
    add_people(
        brugge,
        person_record(dt.date(1990, 1, 2), 45, first="Bram", household="B1", relation="reference"),
    )
    assert [p.first_names for p in selectors.person_list(municipality=gent)] == ["Jan"]
    assert [p.first_names for p in selectors.person_list(municipality=brugge)] == ["Bram"]
    assert [p.first_names for p in selectors.resident_list(municipality=gent)] == ["Jan"]
    bram = selectors.person_list(municipality=brugge).get()
    import pytest

    from eloket.common.errors import NotFound

    with pytest.raises(NotFound):
        selectors.person_get(municipality=gent, national_id=bram.national_id)
    with pytest.raises(NotFound):
        selectors.person_record(
            municipality=gent, national_id=bram.national_id, actor=OFFICER, purpose="test"
        )
    record = selectors.person_record(
        municipality=brugge, national_id=bram.national_id, actor=OFFICER, purpose="test"
    )
    assert record.current_address.street == "Veldstraat"
    assert [m.person.first_names for m in record.household] == ["Bram"]
    assert selectors.register_counts(municipality=gent) == {
        "persons": 1,
        "households": 1,
        "events": 0,
    }


def test_household_numbers_are_per_municipality(gent, brugge, add_people):
    add_people(gent, person_record(dt.date(1985, 7, 30), 33, household="H1", relation="reference"))
    add_people(
        brugge, person_record(dt.date(1986, 7, 30), 35, household="H1", relation="reference")
    )
    assert selectors.register_counts(municipality=brugge)["households"] == 1


def test_resident_list_leaves_out_the_dead_and_the_moved(gent, add_people):
    alive = person_record(dt.date(1970, 1, 1), 1, first="Alive")
    dead = person_record(dt.date(1940, 1, 1), 3, first="Dead")
    dead.date_of_death = dt.date(2020, 1, 1)
    dead.addresses[0].valid_to = dt.date(2020, 1, 1)
    moved = person_record(dt.date(1980, 1, 1), 5, first="Moved")
    moved.addresses[0].valid_to = dt.date(2019, 1, 1)
    # Moved within the municipality: an earlier address ended, the current one goes on.
    moved_within = person_record(dt.date(1982, 1, 1), 7, first="Stayed")
    moved_within.addresses[0].valid_to = dt.date(2010, 1, 1)
    moved_within.addresses.append(
        AddressRecord(
            street="Korenmarkt",
            house_number="2",
            postcode="9000",
            municipality_name="Gent",
            valid_from=dt.date(2010, 1, 2),
        )
    )
    add_people(gent, alive, dead, moved, moved_within)
    residents = sorted(p.first_names for p in selectors.resident_list(municipality=gent))
    assert residents == ["Alive", "Stayed"]  # issue 3: a move within did not count as leaving
    stayed = selectors.person_list(municipality=gent).get(first_names="Stayed")
    assert selectors.is_resident(person=stayed, municipality=gent)


def test_catalogue_endpoint_is_per_municipality(gent, make_municipality, client):
    make_municipality("quiet", modules=[])
    assert [s["module"] for s in client.get("/api/v1/municipalities/gent/services").json()] == [
        "certificates",
        "participation",
        "petitions",
    ]
    assert client.get("/api/v1/municipalities/quiet/services").json() == []
