"""The demo data of a test, loaded through `demo_load` once a run and copied in after.

    from demo_snapshot import demo_load_once
    demo_load_once(["gent"])

`demo_load(only=["gent"])` takes five seconds or more (the register, the cases, the
forum's analysis), and some twenty fixtures ask for it. The first call in a run (for a
set of municipalities, settings and day) runs the real `demo_load` and keeps the rows it
added, row for row, per table; later calls on a database in the same state insert those
rows again (with their ids) in a second or less.

What it would not reproduce, it does not copy: a load that changed or deleted a row that
was there before, or added a row pointing to one, or a database that is not in the state
the first load started from (other row counts, or other contents in the tables the load
writes), falls back to the real `demo_load`. Files the load writes (officers' keys) stay
where the first load put them: the settings that name those places are part of the key.
The tests of `demo_load` itself (tests/test_demo_data.py) call it directly.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone, translation


@dataclass
class _Table:
    model: type[models.Model]
    columns: list[str]
    pk: int  # the position of the primary key among the columns
    fingerprint: list[int]  # positions compared between databases (no ids, no times)


@dataclass
class _Snapshot:
    usable: bool
    counts: dict[str, int]
    before: dict[str, list[str]]  # the fingerprints of the tables the load writes
    added: dict[str, list[tuple]]


_SNAPSHOTS: dict[tuple, _Snapshot] = {}


def _tables() -> dict[str, _Table]:
    tables: dict[str, _Table] = {}
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.proxy or not meta.managed or meta.db_table in tables:
            continue
        fields = list(meta.local_concrete_fields)
        columns = [field.column for field in fields]
        compared = [
            i
            for i, field in enumerate(fields)
            if not field.primary_key
            and not field.is_relation
            and not isinstance(field, (models.DateTimeField, models.DateField))
        ]
        tables[meta.db_table] = _Table(model, columns, columns.index(meta.pk.column), compared)
    return tables


def _rows(table: str, spec: _Table) -> list[tuple]:
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(map(quote, spec.columns))} FROM {quote(table)}")  # noqa: S608 (names from the models)
        return [tuple(row) for row in cursor.fetchall()]


def _fingerprint(spec: _Table, rows: list[tuple]) -> list[str]:
    return sorted(repr([row[i] for i in spec.fingerprint]) for row in rows)


def _key(only: list[str]) -> tuple:
    named = {k: repr(getattr(settings, k)) for k in dir(settings) if k.startswith("ELOKET_")}
    return (
        tuple(sorted(only)),
        connection.vendor,
        timezone.localdate(),
        translation.get_language(),
        repr(sorted(named.items())),
        repr(settings.OAUTH2_PROVIDER),
    )


def _counts(tables: dict[str, _Table]) -> dict[str, int]:
    quote = connection.ops.quote_name
    counts = {}
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"SELECT COUNT(*) FROM {quote(table)}")  # noqa: S608 (names from the models)
            counts[table] = cursor.fetchone()[0]
    return counts


def _record(only: list[str], tables: dict[str, _Table]) -> _Snapshot:
    from eloket.demo.services import demo_load

    before = {table: _rows(table, spec) for table, spec in tables.items()}
    demo_load(only=only)
    usable, added, fingerprints = True, {}, {}
    before_pks = {table: {row[spec.pk] for row in before[table]} for table, spec in tables.items()}
    for table, spec in tables.items():
        after = _rows(table, spec)
        old = set(before[table])
        if not old <= set(after):
            usable = False  # a row there before was changed or deleted
        new = [row for row in after if row not in old]
        if new:
            added[table] = new
            fingerprints[table] = _fingerprint(spec, before[table])
    for table, rows in added.items():
        for field in tables[table].model._meta.local_concrete_fields:
            if not field.is_relation or field.related_model is None:
                continue
            target = field.related_model._meta.db_table
            position = tables[table].columns.index(field.column)
            if any(row[position] in before_pks.get(target, ()) for row in rows):
                usable = False  # a new row points to one that was there before
    counts = {table: len(rows) for table, rows in before.items()}
    return _Snapshot(usable, counts, fingerprints, added)


def _matches(snapshot: _Snapshot, tables: dict[str, _Table]) -> bool:
    if _counts(tables) != snapshot.counts:
        return False
    return all(
        _fingerprint(tables[table], _rows(table, tables[table])) == fingerprint
        for table, fingerprint in snapshot.before.items()
    )


def _copy_in(snapshot: _Snapshot, tables: dict[str, _Table]) -> None:
    quote = connection.ops.quote_name
    placeholder = "%s"
    # Foreign keys are checked at commit (Django makes them deferred): any order will do.
    with transaction.atomic(), connection.cursor() as cursor:
        for table, rows in snapshot.added.items():
            columns = tables[table].columns
            cursor.executemany(
                f"INSERT INTO {quote(table)} ({', '.join(map(quote, columns))}) "  # noqa: S608 (names from the models)
                f"VALUES ({', '.join([placeholder] * len(columns))})",
                rows,
            )
        # PostgreSQL's sequences go past the copied ids and never back, as in a run without
        # copies (SQLite's follow by themselves).
        if connection.vendor == "postgresql":
            for table in snapshot.added:
                pk = tables[table].model._meta.pk
                if pk.get_internal_type() not in ("AutoField", "BigAutoField", "SmallAutoField"):
                    continue
                sequence = f"pg_get_serial_sequence('{quote(table)}', '{pk.column}')"
                cursor.execute(
                    f"SELECT setval({sequence}, GREATEST(COALESCE(MAX({quote(pk.column)}), 1), "  # noqa: S608 (names from the models)
                    f"nextval({sequence}))) FROM {quote(table)}"
                )


def demo_load_once(only: list[str]) -> None:
    """`demo_load(only=only)`, copied from the run's first load when that gives the same
    rows (see the module's docstring)."""
    from eloket.demo.services import demo_load

    tables = _tables()
    key = _key(only)
    snapshot = _SNAPSHOTS.get(key)
    if snapshot is None:
        _SNAPSHOTS[key] = _record(only, tables)
    elif snapshot.usable and _matches(snapshot, tables):
        _copy_in(snapshot, tables)
    else:
        demo_load(only=only)
