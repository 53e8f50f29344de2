"""Append-only, hash-chained logs (the access log, the audit trail; later the message log).

Each entry stores the hash of the entry before it in the same chain and its own hash over
its content and that previous hash. `ChainHead` keeps, per chain, the sequence number and
hash of the last entry: appending locks that row, so concurrent writers queue up instead
of forking the chain, and deleting the last entry is detected too. `chain_verify` walks a
chain and names the first entry that does not fit.
"""

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from django.db import models, transaction

from eloket.common.registry import Plugin, Registry

GENESIS = "0" * 64


class ChainedEntry(Protocol):
    pk: Any
    chain: str
    sequence: int
    previous_hash: str
    entry_hash: str

    def chained_content(self) -> dict[str, Any]: ...


def _default(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    raise TypeError(f"not serialisable in a chain entry: {type(value).__name__}")


def entry_digest(*, chain: str, sequence: int, previous_hash: str, content: dict[str, Any]) -> str:
    canonical = json.dumps(
        {"chain": chain, "sequence": sequence, "previous": previous_hash, "content": content},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=_default,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def chain_append[E: models.Model](entry: E, *, chain: str) -> E:
    """Link `entry` (unsaved) to the end of `chain` and save it. Call inside the caller's
    transaction: the head row stays locked until it commits."""
    from eloket.common.models import ChainHead

    with transaction.atomic():
        head = ChainHead.objects.select_for_update().filter(chain=chain).first()
        if head is None:  # the chain's first entry (get_or_create: two may start it at once)
            ChainHead.objects.get_or_create(chain=chain)
            head = ChainHead.objects.select_for_update().get(chain=chain)
        sequence = head.length + 1
        entry.chain = chain  # type: ignore[attr-defined]
        entry.sequence = sequence  # type: ignore[attr-defined]
        entry.previous_hash = head.last_hash  # type: ignore[attr-defined]
        entry.entry_hash = entry_digest(  # type: ignore[attr-defined]
            chain=chain,
            sequence=sequence,
            previous_hash=head.last_hash,
            content=entry.chained_content(),  # type: ignore[attr-defined]
        )
        entry.save(force_insert=True)
        head.length = sequence
        head.last_hash = entry.entry_hash  # type: ignore[attr-defined]
        head.save(update_fields=["length", "last_hash"])
    return entry


@dataclass
class ChainProblem:
    chain: str
    sequence: int
    entry_id: Any
    reason: str

    def __str__(self) -> str:
        where = f"entry {self.entry_id}" if self.entry_id is not None else "an entry"
        return f"chain {self.chain}: {where} (number {self.sequence}) {self.reason}"


def chain_verify(
    entries: Iterable[ChainedEntry], *, chain: str, head_length: int, head_hash: str
) -> ChainProblem | None:
    """The first problem in one chain (entries in sequence order), or None when intact."""
    expected_previous = GENESIS
    expected_sequence = 1
    last: ChainedEntry | None = None
    for entry in entries:
        if entry.sequence != expected_sequence:
            return ChainProblem(
                chain,
                expected_sequence,
                entry.pk,
                f"follows a gap: entry number {expected_sequence} is missing (deleted)",
            )
        if entry.previous_hash != expected_previous:
            return ChainProblem(
                chain, entry.sequence, entry.pk, "does not link to the entry before it"
            )
        digest = entry_digest(
            chain=chain,
            sequence=entry.sequence,
            previous_hash=entry.previous_hash,
            content=entry.chained_content(),
        )
        if digest != entry.entry_hash:
            return ChainProblem(chain, entry.sequence, entry.pk, "was changed after it was written")
        expected_previous = entry.entry_hash
        expected_sequence += 1
        last = entry
    if head_length != (last.sequence if last else 0) or head_hash != (
        last.entry_hash if last else GENESIS
    ):
        return ChainProblem(
            chain,
            (last.sequence if last else 0) + 1,
            None,
            f"is missing: the chain had {head_length} entries, {expected_sequence - 1} remain",
        )
    return None


def iterate_in_order(queryset: models.QuerySet[Any], batch: int = 2000) -> Iterator[Any]:
    """Entries of one chain in sequence order, read in batches (chains grow large)."""
    last = 0
    while True:
        rows = list(queryset.filter(sequence__gt=last).order_by("sequence")[:batch])
        if not rows:
            return
        yield from rows
        last = rows[-1].sequence


class ChainFamily(Plugin):
    """A family of chains (the access log, the audit trail), registered by the app that
    writes it, so that `eloket audit verify` checks every family without knowing them."""

    prefix: str = ""

    def entries(self) -> models.QuerySet[Any]:
        raise NotImplementedError

    def verify(self) -> list[ChainProblem]:
        """The first problem of every broken chain of the family (empty when intact)."""
        from eloket.common.models import ChainHead

        heads = {h.chain: h for h in ChainHead.objects.filter(chain__startswith=self.prefix)}
        entries = self.entries()
        chains = set(heads) | set(entries.values_list("chain", flat=True).distinct())
        problems = []
        for chain in sorted(chains):
            head = heads.get(chain)
            problem = chain_verify(
                iterate_in_order(entries.filter(chain=chain)),
                chain=chain,
                head_length=head.length if head else 0,
                head_hash=head.last_hash if head else GENESIS,
            )
            if problem:
                problems.append(problem)
        return problems

    def chain_count(self) -> int:
        from eloket.common.models import ChainHead

        return ChainHead.objects.filter(chain__startswith=self.prefix).count()


chain_families: Registry[ChainFamily] = Registry("chain_families", description="log")
