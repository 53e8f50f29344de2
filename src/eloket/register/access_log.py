"""The access log of the population register: who read whose data, and why.

Written by `register.selectors` whenever someone other than the person reads their data;
read by the person (`access_log_for_person`, every entry; `access_log_summary`, as their
page shows it) and verified by `eloket audit verify`.

The log keeps every read. The person's page groups the reads one actor made of one case on
one day (an officer who opens an order three times is one line, "3 times"), and says what
the case is in words, with a link to it where it is the reader's own: an entry's
`case_ref` ("order:WRDN53W9") is a reference of the app that wrote it, which says what it
stands for through `access_refs` (the register knows no orders).
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from eloket.common.actors import Actor
from eloket.common.chain import ChainFamily, ChainProblem, chain_append, chain_families
from eloket.common.registry import Plugin, Registry
from eloket.register.models import AccessLogEntry, Person

CHAIN_PREFIX = "access:"


def chain_name(municipality_id: int) -> str:
    return f"{CHAIN_PREFIX}{municipality_id}"


def access_log_write(
    *,
    person: Person,
    actor: Actor,
    data: Iterable[str],
    purpose: str,
    case_ref: str = "",
) -> AccessLogEntry | None:
    """Record a read of `person`'s data by `actor`. Reading one's own data is not logged."""
    if actor.is_person(person.country, person.national_id):
        return None
    entry = AccessLogEntry(
        municipality_id=person.municipality_id,
        at=timezone.now().replace(microsecond=0),
        person=person,
        actor_kind=str(actor.kind),
        actor_label=actor.label[:200],
        actor_role=actor.role,
        actor_user_id=actor.user_id,
        actor_municipality_id=actor.municipality.pk if actor.municipality else None,
        data=sorted(set(data)),
        purpose=purpose[:300],
        case_ref=case_ref[:60],
    )
    return chain_append(entry, chain=chain_name(person.municipality_id))


def access_log_for_person(*, person: Person) -> QuerySet[AccessLogEntry]:
    return AccessLogEntry.objects.filter(person=person).select_related("actor_municipality")


@dataclass(frozen=True)
class RefWords:
    """What a case reference stands for, for the person reading their log."""

    text: str  # e.g. "order WRDN-53W9: certificate of residence", in the active language
    municipality: Any = None  # where the case is (for the link)
    path: str = ""  # the reader's own page of it, relative to that municipality's home


class AccessRef(Plugin):
    """Says in words what the references of one prefix (`order:...`) stand for."""

    def describe(self, values: list[str], *, reader_user_id: int | None) -> dict[str, RefWords]:
        """{value: words} for the values it knows; a path only where the case is the
        reader's own (else the words alone: the page would refuse them)."""
        raise NotImplementedError


access_refs: Registry[AccessRef] = Registry("access_refs", description="access-log reference")


@dataclass
class AccessLogLine:
    """Reads of one person's data, as their page shows them: one entry, or the reads one
    actor made of one case on one day (`count` of them, from `first` to `last`)."""

    last: AccessLogEntry
    first: AccessLogEntry
    count: int = 1
    data: list[str] = field(default_factory=list)
    purposes: list[str] = field(default_factory=list)
    about: RefWords | None = None


def _group_key(entry: AccessLogEntry) -> tuple[Any, ...] | None:
    if not entry.case_ref:
        return None  # a read for no case (a look-up with a typed purpose) stands alone
    return (
        timezone.localdate(entry.at),
        entry.actor_kind,
        entry.actor_user_id or entry.actor_label,
        entry.actor_role,
        entry.actor_municipality_id,
        entry.case_ref,
    )


def access_log_summary(
    *, person: Person, reader_user_id: int | None = None, limit: int = 1000
) -> list[AccessLogLine]:
    """The newest `limit` reads of `person`'s data, newest first, grouped as the person's
    page shows them, each case said in words (`access_refs`)."""
    lines: list[AccessLogLine] = []
    groups: dict[tuple[Any, ...], AccessLogLine] = {}
    for entry in access_log_for_person(person=person)[:limit]:
        key = _group_key(entry)
        line = groups.get(key) if key is not None else None
        if line is None:
            line = AccessLogLine(last=entry, first=entry)
            lines.append(line)
            if key is not None:
                groups[key] = line
        else:
            line.first, line.count = entry, line.count + 1
        line.data = sorted({*line.data, *entry.data})
        if entry.purpose not in line.purposes:
            line.purposes.insert(0, entry.purpose)  # oldest first
    _describe(lines, reader_user_id)
    return lines


def _describe(lines: list[AccessLogLine], reader_user_id: int | None) -> None:
    by_prefix: dict[str, set[str]] = {}
    for line in lines:
        prefix, _sep, value = line.last.case_ref.partition(":")
        if value:
            by_prefix.setdefault(prefix, set()).add(value)
    words: dict[str, RefWords] = {}
    for prefix, values in by_prefix.items():
        describer = access_refs.get(prefix)
        if describer is not None:
            found = describer.describe(sorted(values), reader_user_id=reader_user_id)
            words.update({f"{prefix}:{value}": w for value, w in found.items()})
    for line in lines:
        line.about = words.get(line.last.case_ref)


@chain_families.register("access_log")
class AccessLogChains(ChainFamily):
    verbose_name = "access log"
    prefix = CHAIN_PREFIX

    def entries(self) -> QuerySet[AccessLogEntry]:
        return AccessLogEntry.objects.all()


def access_log_verify() -> list[ChainProblem]:
    """The first problem of every broken access-log chain (empty when all are intact)."""
    return chain_families["access_log"].verify()
