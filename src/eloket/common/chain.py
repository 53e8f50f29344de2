"""Append-only, hash-chained logs (the access log, the audit trail; later the message log).

Each entry stores the hash of the entry before it in the same chain and its own hash over
its content and that previous hash. `ChainHead` keeps, per chain, the sequence number and
hash of the last entry: appending locks that row, so concurrent writers queue up instead
of forking the chain, and deleting the last entry is detected too. `chain_verify` walks a
chain and names the first entry that does not fit.

The head row is in the same database as the entries, so someone who deletes the newest
entries and sets the head back to an earlier entry's hash (or deletes a chain with its
head) leaves a chain that fits together. Checkpoints (`common/checkpoints.py`) keep the
heads outside the database; an `Anchor` is one chain's head as a checkpoint saw it, and
`chain_verify` checks that the chain still reaches it.
"""

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.db import connections, models, router, transaction

from eloket.common.registry import Plugin, Registry
from eloket.common.rows import insert_instances

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


def _head_locked(chain: str, model: type[models.Model]) -> tuple[int, str]:
    """The chain's length and last hash, its head row locked until the caller's
    transaction ends (made at the chain's first entry). Written out in SQL on a measured
    hot path (docs/adr/0007): every access-log, audit and message-log entry takes it."""
    from eloket.common.models import ChainHead

    connection = connections[router.db_for_write(model)]
    table = connection.ops.quote_name(ChainHead._meta.db_table)
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    with connection.cursor() as cursor:
        select = f"SELECT length, last_hash FROM {table} WHERE chain = %s{lock}"  # noqa: S608  # nosec B608 (the model's table)
        cursor.execute(select, [chain])
        row = cursor.fetchone()
        if row is None:  # the chain's first entry (two may start it at once)
            cursor.execute(
                f"INSERT INTO {table} (chain, length, last_hash) VALUES (%s, 0, %s) "  # noqa: S608  # nosec B608
                "ON CONFLICT (chain) DO NOTHING",
                [chain, GENESIS],
            )
            cursor.execute(select, [chain])
            row = cursor.fetchone()
    return int(row[0]), str(row[1])


def _head_move(chain: str, model: type[models.Model], length: int, last_hash: str) -> None:
    from eloket.common.models import ChainHead

    connection = connections[router.db_for_write(model)]
    table = connection.ops.quote_name(ChainHead._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET length = %s, last_hash = %s WHERE chain = %s",  # noqa: S608  # nosec B608
            [length, last_hash, chain],
        )


def chain_append[E: models.Model](entry: E, *, chain: str) -> E:
    """Link `entry` (unsaved) to the end of `chain` and save it. Call inside the caller's
    transaction: the head row stays locked until it commits."""
    return chain_append_many([entry], chain=chain)[0]


def chain_append_many[E: models.Model](entries: list[E], *, chain: str) -> list[E]:
    """Link `entries` (unsaved, in order) to the end of `chain` and save them with one
    lock of the head, hashes computed here, and one write of the head: the chain is the
    same as appending each in turn would make. Call inside the caller's transaction."""
    if not entries:
        return entries
    model = type(entries[0])
    # No savepoint of its own (two statements fewer): it is all or nothing with the caller's.
    with transaction.atomic(using=router.db_for_write(model), savepoint=False):
        sequence, previous = _head_locked(chain, model)
        for entry in entries:
            sequence += 1
            entry.chain = chain  # type: ignore[attr-defined]
            entry.sequence = sequence  # type: ignore[attr-defined]
            entry.previous_hash = previous  # type: ignore[attr-defined]
            previous = entry_digest(
                chain=chain,
                sequence=sequence,
                previous_hash=previous,
                content=entry.chained_content(),  # type: ignore[attr-defined]
            )
            entry.entry_hash = previous  # type: ignore[attr-defined]
        # Not the ORM's bulk_create: its composition of a batch of wide rows (the message
        # log's signed XML) cost more than the database's writing them.
        insert_instances(entries)
        _head_move(chain, model, sequence, previous)
    return entries


@dataclass(frozen=True)
class Anchor:
    """A chain's length and head hash as a checkpoint saw them (`seen_by` names it)."""

    length: int
    head: str
    seen_by: str = field(default="", compare=False)


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
    entries: Iterable[ChainedEntry],
    *,
    chain: str,
    head_length: int,
    head_hash: str,
    anchor: Anchor | None = None,
) -> ChainProblem | None:
    """The first problem in one chain (entries in sequence order), or None when intact.
    With an `anchor`, the chain must also still hold the entry the checkpoint saw last."""
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
        if anchor and entry.sequence == anchor.length and entry.entry_hash != anchor.head:
            return ChainProblem(
                chain,
                entry.sequence,
                entry.pk,
                f"is not the entry {anchor.seen_by or 'the checkpoint'} saw there: the "
                "chain was cut back and written again",
            )
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
    remaining = last.sequence if last else 0
    if anchor and remaining < anchor.length:
        seen = anchor.seen_by or "the last checkpoint"
        if remaining == 0:
            reason = (
                "is missing with all after it: the whole chain was deleted with its head "
                f"({seen} saw {anchor.length} entries)"
            )
        else:
            reason = (
                "is missing with all after it: the newest entries were deleted and the head "
                f"set back ({seen} saw {anchor.length} entries, {remaining} remain)"
            )
        return ChainProblem(chain, remaining + 1, None, reason)
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

    def chains(self, anchors: dict[str, Anchor] | None = None) -> list[str]:
        """Every chain of the family: with a head, with entries, or in a checkpoint (a
        chain deleted with its head is known only there)."""
        from eloket.common.models import ChainHead

        names = set(
            ChainHead.objects.filter(chain__startswith=self.prefix).values_list("chain", flat=True)
        )
        names |= set(self.entries().order_by().values_list("chain", flat=True).distinct())
        names |= {chain for chain in anchors or {} if chain.startswith(self.prefix)}
        return sorted(names)

    def verify(
        self,
        *,
        anchors: dict[str, Anchor] | None = None,
        progress: Callable[[int, int, int], None] | None = None,
    ) -> list[ChainProblem]:
        """The first problem of every broken chain of the family (empty when intact).
        `anchors`: the chains' heads in the last checkpoint. `progress(chains done, chains,
        entries read)` is called after each chain and every few thousand entries (one
        municipality's access log can hold millions)."""
        from eloket.common.models import ChainHead

        heads = {h.chain: h for h in ChainHead.objects.filter(chain__startswith=self.prefix)}
        entries = self.entries()
        chains = self.chains(anchors)
        problems = []
        read = 0

        def counted(chain_entries: Iterable[Any], done: int) -> Iterator[Any]:
            nonlocal read
            for entry in chain_entries:
                read += 1
                if progress and read % 5000 == 0:
                    progress(done, len(chains), read)
                yield entry

        for done, chain in enumerate(chains):
            head = heads.get(chain)
            problem = chain_verify(
                counted(iterate_in_order(entries.filter(chain=chain)), done),
                chain=chain,
                head_length=head.length if head else 0,
                head_hash=head.last_hash if head else GENESIS,
                anchor=(anchors or {}).get(chain),
            )
            if problem:
                problems.append(problem)
            if progress:
                progress(done + 1, len(chains), read)
        return problems

    def chain_count(self, anchors: dict[str, Anchor] | None = None) -> int:
        return len(self.chains(anchors))


chain_families: Registry[ChainFamily] = Registry("chain_families", description="log")
