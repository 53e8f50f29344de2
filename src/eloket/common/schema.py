"""A fresh database in one go: the tables of the migrations' final state, and every
migration recorded as applied (issue 11).

`migrate` on an empty database replays some hundred migrations (Django's, the third-party
apps', Eloket's), re-rendering the model state after each operation: two to three minutes
of a fresh `make run` on a busy two-core machine, for tables that are empty throughout.
The state those migrations end in is what `migrate` would have built, so creating it
directly gives the same schema (tests/test_migrations.py compares the two) in seconds.
Only for a database with no tables at all: the data migrations then have no rows to move.
Every later migration runs as usual on top.
"""

from django.core.management.sql import emit_post_migrate_signal
from django.db import DEFAULT_DB_ALIAS, connections, router
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.operations import RunSQL


def database_is_empty(alias: str = DEFAULT_DB_ALIAS) -> bool:
    connection = connections[alias]
    return not connection.introspection.table_names()


def fresh_schema_create(alias: str = DEFAULT_DB_ALIAS) -> bool:
    """Create the schema of the final migration state in an empty database and record
    every migration applied. False (nothing done) when the database holds tables or a
    migration to apply runs SQL of its own, which only `migrate` replays faithfully."""
    connection = connections[alias]
    if not database_is_empty(alias):
        return False
    executor = MigrationExecutor(connection)
    targets = executor.loader.graph.leaf_nodes()
    plan = executor.migration_plan(targets)
    if any(isinstance(op, RunSQL) for migration, _back in plan for op in migration.operations):
        return False
    state = executor.loader.project_state(targets, at_end=True)
    models = [
        model
        for model in state.apps.get_models(include_auto_created=False)
        if model._meta.can_migrate(connection) and router.allow_migrate_model(alias, model)
    ]
    with connection.schema_editor(atomic=connection.features.can_rollback_ddl) as editor:
        for model in models:
            editor.create_model(model)
    executor.recorder.ensure_schema()
    for migration, _backwards in plan:
        executor.record_migration(migration.app_label, migration.name)
    # What `migrate` does after applying: content types and permissions of every model.
    emit_post_migrate_signal(0, False, alias, apps=state.apps, plan=plan)
    return True
