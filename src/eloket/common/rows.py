"""Inserting rows without the ORM's statement composition, on measured hot paths
(docs/adr/0007, "Inserts").

`Model.objects.create()` spent about 120 µs composing an INSERT that the database ran in
20 µs (`benchmarks/messaging.py --profile out`: a third of the time of queuing a register
mutation went into the message row, its log entry and its outbox row). `insert_row` writes
the same row: the statement is composed once per model and kept, and each value still goes
through its field (`pre_save`: `auto_now_add`; the field's default when a value is not
given; `get_db_prep_save`: JSON, dates, binary), so what lands in the table is what
`create()` would have written (`tests/test_rows.py` compares them field by field).

It skips what `save()` adds around the INSERT, so it is for models without save() logic
or signals that matter on creation (the outbox, the logs), and it always writes a new row.
"""

from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

from django.db import connections, models, router


@cache
def _statement(model: type[models.Model], alias: str) -> tuple[str, tuple[models.Field, ...]]:
    """The INSERT of one row of `model` (every concrete column but an automatic primary
    key), returning the primary key, and the fields in the order of its placeholders."""
    meta = model._meta
    fields = tuple(
        field
        for field in meta.concrete_fields
        if not (field.primary_key and isinstance(field, models.AutoField))
    )
    unsupported = [
        field.name
        for field in fields
        if getattr(field, "generated", False) or field.db_default is not models.NOT_PROVIDED
    ]
    if unsupported:  # the database computes these: the ORM's INSERT knows how
        raise TypeError(f"{meta.label}: {', '.join(unsupported)} need the ORM's insert")
    quote = connections[alias].ops.quote_name
    columns = ", ".join(quote(str(field.column)) for field in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    pk = quote(str(meta.pk.column))
    return (
        # the model's table and columns; every value a parameter
        f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({placeholders}) RETURNING {pk}",  # noqa: S608  # nosec B608
        fields,
    )


def insert_row[M: models.Model](model: type[M], values: Mapping[str, Any]) -> M:
    """`model.objects.create(**values)`, composed once: the instance with its primary key."""
    return insert_instances([model(**values)])[0]


def insert_instances[M: models.Model](instances: Iterable[M]) -> list[M]:
    """Save new instances (all of one model) one INSERT each, prepared once, in the
    caller's transaction, in order; they get their primary keys."""
    made = list(instances)
    if not made:
        return made
    model = type(made[0])
    alias = router.db_for_write(model)
    connection = connections[alias]
    sql, fields = _statement(model, alias)
    with connection.cursor() as cursor:
        for instance in made:
            params = [
                # pre_save: auto_now(_add) sets the moment on the instance, as save() does
                field.get_db_prep_save(field.pre_save(instance, add=True), connection=connection)
                for field in fields
            ]
            cursor.execute(sql, params)
            instance.pk = cursor.fetchone()[0]
            instance._state.adding = False
            instance._state.db = alias
    return made
