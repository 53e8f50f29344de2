"""The access log of the population register: who read whose data, and why.

Written by `register.selectors` whenever someone other than the person reads their data;
read by the person (`access_log_for_person`) and verified by `eloket audit verify`.
"""

from collections.abc import Iterable

from django.db.models import QuerySet
from django.utils import timezone

from eloket.common.actors import Actor
from eloket.common.chain import ChainFamily, ChainProblem, chain_append, chain_families
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


@chain_families.register("access_log")
class AccessLogChains(ChainFamily):
    verbose_name = "access log"
    prefix = CHAIN_PREFIX

    def entries(self) -> QuerySet[AccessLogEntry]:
        return AccessLogEntry.objects.all()


def access_log_verify() -> list[ChainProblem]:
    """The first problem of every broken access-log chain (empty when all are intact)."""
    return chain_families["access_log"].verify()
