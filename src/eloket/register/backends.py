"""Where the population register is read (`register_backends`): `local`, the tables of
this platform, is the only backend today; the national registry (by messages, a later
issue) will be another. The platform operator chooses a municipality's backend
(tenants.PluginSetting); `register.selectors` asks it for every record it reads and
writes the access log around it.

The local backend's two reads of every certificate are written as SQL: they are the same
every time, and compiling them through the ORM cost more than running them
(benchmarks/certificates.py).
"""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch

from eloket.common.registry import Plugin, Registry
from eloket.register.models import (
    Address,
    CivilEvent,
    DataCategory,
    HouseholdMembership,
    Person,
)
from eloket.tenants.selectors import plugin_chosen

ALL_DATA = (
    DataCategory.IDENTITY,
    DataCategory.ADDRESSES,
    DataCategory.HOUSEHOLD,
    DataCategory.EVENTS,
)


@dataclass
class PersonRecordView:
    person: Person
    current_address: Address | None
    past_addresses: list[Address]
    household: list[HouseholdMembership]
    events: list[CivilEvent]


class RegisterBackend(Plugin):
    def record(self, person: Person, *, parts: tuple[str, ...] = ALL_DATA) -> "PersonRecordView":
        """The parts of a person's record asked for (only those are read)."""
        raise NotImplementedError


register_backends: Registry[RegisterBackend] = Registry(
    "register_backends", description="register backend", configurable=True, operator_only=True
)


def register_backend(municipality: Any) -> RegisterBackend:
    return register_backends[
        plugin_chosen(municipality=municipality, registry="register_backends", default="local")
    ]


# Issuing a certificate reads these two on every document: written as SQL (they are
# the same every time) because compiling them through the ORM cost more than running
# them (benchmarks/certificates.py).
# Only table names (from the models) are formatted in; every value is a parameter.
_ADDRESSES_SQL = (
    f"SELECT * FROM {Address._meta.db_table} WHERE person_id = %s AND municipality_id = %s "  # noqa: S608  # nosec B608
    "ORDER BY valid_from DESC"
)
_HOUSEHOLD_SQL = (
    f"SELECT p.*, m.id AS membership_id, m.household_id AS household_id_, "  # noqa: S608  # nosec B608
    f"m.relation AS relation_, m.valid_from AS since_ "
    f"FROM {Person._meta.db_table} p "
    f"JOIN {HouseholdMembership._meta.db_table} m ON m.person_id = p.id "
    f"WHERE m.household_id = (SELECT household_id FROM {HouseholdMembership._meta.db_table} "
    "WHERE person_id = %s AND municipality_id = %s AND valid_to IS NULL LIMIT 1) "
    "AND m.valid_to IS NULL AND m.municipality_id = %s "
    "ORDER BY m.valid_from, p.birth_date"
)


def _as_date(value: object) -> dt.date:
    # Extra columns of a raw query come as the driver gives them (SQLite: text).
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def _record_of(person: Person, parts: tuple[str, ...] = ALL_DATA) -> PersonRecordView:
    """The parts of a record asked for (a certificate needs only some): only those are
    read, and only those are written in the access log."""
    municipality_id = person.municipality_id
    addresses: list[Address] = []
    current = None
    if DataCategory.ADDRESSES in parts:
        addresses = list(Address.objects.raw(_ADDRESSES_SQL, [person.pk, municipality_id]))
        current = next((a for a in addresses if a.valid_to is None and a.is_main_residence), None)
    household: list[HouseholdMembership] = []
    if DataCategory.HOUSEHOLD in parts:
        # The current members of the person's current household, with each member's
        # person row, in one query.
        household = [
            HouseholdMembership(
                id=member.membership_id,  # type: ignore[attr-defined]
                municipality_id=municipality_id,
                household_id=member.household_id_,  # type: ignore[attr-defined]
                person=member,
                relation=member.relation_,  # type: ignore[attr-defined]
                valid_from=_as_date(member.since_),  # type: ignore[attr-defined]
            )
            for member in Person.objects.raw(
                _HOUSEHOLD_SQL, [person.pk, municipality_id, municipality_id]
            )
        ]
    events: list[CivilEvent] = []
    if DataCategory.EVENTS in parts:
        events = list(
            CivilEvent.objects.filter(municipality_id=municipality_id, participants__person=person)
            .prefetch_related(Prefetch("participants__person"))
            .order_by("date")
        )
    return PersonRecordView(
        person=person,
        current_address=current,
        past_addresses=[a for a in addresses if a is not current],
        household=household,
        events=events,
    )


@register_backends.register("local")
class LocalRegister(RegisterBackend):
    """The register kept in this platform's database."""

    verbose_name = "the platform's own register tables"

    def record(self, person: Person, *, parts: tuple[str, ...] = ALL_DATA) -> PersonRecordView:
        return _record_of(person, parts)
