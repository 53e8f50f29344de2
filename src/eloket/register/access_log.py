"""The access log of the population register: who read whose data, and why.

Written by `register.selectors` whenever someone other than the person reads their data;
read by the person (`access_log_for_person`) and verified by `eloket audit verify`.
"""

from collections.abc import Iterable

from django.db.models import QuerySet
from django.utils import timezone

from eloket.common.actors import Actor
from eloket.common.chain import ChainProblem, chain_append, chain_verify, iterate_in_order
from eloket.common.models import ChainHead
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
        actor_municipality=actor.municipality,
        data=sorted(set(data)),
        purpose=purpose[:300],
        case_ref=case_ref[:60],
    )
    return chain_append(entry, chain=chain_name(person.municipality_id))


def access_log_for_person(*, person: Person) -> QuerySet[AccessLogEntry]:
    return AccessLogEntry.objects.filter(person=person).select_related("actor_municipality")


def access_log_verify() -> list[ChainProblem]:
    """The first problem of every broken access-log chain (empty when all are intact)."""
    problems = []
    heads = {h.chain: h for h in ChainHead.objects.filter(chain__startswith=CHAIN_PREFIX)}
    chains = set(heads) | set(AccessLogEntry.objects.values_list("chain", flat=True).distinct())
    for chain in sorted(chains):
        head = heads.get(chain)
        problem = chain_verify(
            iterate_in_order(AccessLogEntry.objects.filter(chain=chain)),
            chain=chain,
            head_length=head.length if head else 0,
            head_hash=head.last_hash if head else "0" * 64,
        )
        if problem:
            problems.append(problem)
    return problems
