import datetime as dt
import os

import pytest

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eloket.conf.test")

from eloket.register.national_ids import make_belgian_number
from eloket.register.records import AddressRecord, PersonRecord


@pytest.fixture(autouse=True)
def _fresh_tenant_cache():
    """Each test starts with no tenant cached in this process (rows roll back between tests)."""
    from eloket.tenants.selectors import municipality_cache_clear

    municipality_cache_clear()
    yield
    municipality_cache_clear()


@pytest.fixture
def make_municipality(db):
    from eloket.tenants.services import municipality_create

    counter = {"n": 0}

    def make(slug: str | None = None, **overrides):
        counter["n"] += 1
        n = counter["n"]
        values = {
            "slug": slug or f"town-{n}",
            "names": {"nl": f"Gemeente {n}", "fr": f"Commune {n}"},
            "country": "BE",
            "nis_code": f"{90000 + n}",
            "languages": ["nl", "fr"],
        }
        values.update(overrides)
        return municipality_create(**values)

    return make


@pytest.fixture
def gent(make_municipality):
    return make_municipality(
        "gent",
        names={"nl": "Stad Gent", "en": "City of Ghent"},
        nis_code="44021",
        languages=["nl", "en"],
        primary_colour="#0b5c8e",
        contact_email="info@gent.example",
    )


@pytest.fixture
def brugge(make_municipality):
    return make_municipality("brugge", names={"nl": "Brugge", "fr": "Bruges"}, nis_code="31005")


def person_record(
    birth: dt.date,
    sequence: int,
    *,
    first: str = "Jan",
    last: str = "Peeters",
    street: str = "Veldstraat",
    household: str | None = None,
    relation: str | None = None,
) -> PersonRecord:
    sex = "M" if sequence % 2 else "F"
    return PersonRecord(
        national_id=make_belgian_number(birth, sequence),
        first_names=first,
        last_name=last,
        sex=sex,
        birth_date=birth,
        nationality="BE",
        addresses=[
            AddressRecord(
                street=street,
                house_number="1",
                postcode="9000",
                municipality_name="Gent",
                valid_from=birth,
            )
        ],
        household=household,
        household_relation=relation,
    )


@pytest.fixture
def add_people(db):
    """Put people into a municipality's register through the import service."""
    from eloket.register.services import register_import_records

    def add(municipality, *records, events=()):
        return register_import_records(
            municipality=municipality, persons=list(records), events=list(events)
        )

    return add
