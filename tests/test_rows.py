"""Rows written without the ORM's composition on the hot paths (docs/adr/0007, "Inserts"):
`common.rows.insert_row` writes what `Model.objects.create` writes; the hash chains'
head, locked and moved in SQL, gives the chain one by one and many at once give; and a
batched outbox kind's commits share one task instead of one task each."""

import datetime as dt

import pytest
from django.db import connection, transaction
from django.forms.models import model_to_dict
from django.test.utils import override_settings
from django.utils import timezone

from eloket.common.chain import GENESIS, chain_append, chain_append_many, chain_verify
from eloket.common.models import ChainHead
from eloket.common.rows import insert_row
from eloket.messaging.inbox import CHAIN, log_event
from eloket.messaging.models import MessageLogEntry, RegistryMessage
from eloket.outbox.kinds import OutboxKind, outbox_kinds
from eloket.outbox.models import OutboxMessage, OutboxState
from eloket.outbox.queue import outbox_put

SKIP = {"id", "created_at", "message_id"}  # message_id: unique, given anew below


def _stored(model, pk):
    row = model._base_manager.get(pk=pk)
    values = {f.attname: getattr(row, f.attname) for f in model._meta.concrete_fields}
    return {k: bytes(v) if isinstance(v, memoryview) else v for k, v in values.items()}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("model", "values"),
    [
        (
            OutboxMessage,
            dict(kind="messaging.send_mutation", ref="message:1", payload={"message": 1, "ä": [1]},
                 max_attempts=8, next_attempt_at=dt.datetime(2026, 11, 29, 10, tzinfo=dt.UTC)),
        ),
        (
            RegistryMessage,
            dict(direction="out", type="RegisterMutation", message_id="m-1", correlation_id="c",
                 sender="eloket", receiver="be-national-register", state="queued",
                 kind="death", national_number="85010112345", sequence=3, xml=b"<a>\xc3\xa9</a>"),
        ),
    ],
)  # fmt: skip
def test_insert_row_writes_what_create_writes(gent, model, values):
    made = insert_row(model, {**values, "municipality": gent})
    assert made.pk and not made._state.adding and made.created_at is not None
    again = {**values, "municipality": gent}
    if "message_id" in again:
        again["message_id"] = "m-2"
    by_orm = model.objects.create(**again)
    ours, theirs = _stored(model, made.pk), _stored(model, by_orm.pk)
    for name in SKIP:
        ours.pop(name, None), theirs.pop(name, None)
    assert ours == theirs
    assert ours["municipality_id"] == gent.pk
    # the instance returned is the row read back (auto_now_add set as save() sets it)
    assert model_to_dict(made) == model_to_dict(model._base_manager.get(pk=made.pk))


@pytest.mark.django_db
def test_insert_row_goes_with_the_transaction(gent):
    with pytest.raises(RuntimeError), transaction.atomic():
        insert_row(OutboxMessage, dict(kind="k", payload={}, next_attempt_at=timezone.now()))
        raise RuntimeError
    assert not OutboxMessage.objects.exists()


def _entries(n: int, start: int = 0) -> list[MessageLogEntry]:
    return [
        MessageLogEntry(
            municipality_slug="gent", direction="in", type="RegisterMutation",
            message_id=f"m-{start + i}", correlation_id="", event="received",
            detail="birth", xml_sha256="0" * 64,
        )
        for i in range(n)
    ]  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_the_head_in_sql_gives_the_same_chain_one_by_one_and_many_at_once():
    with transaction.atomic():
        one_by_one = [chain_append(entry, chain="messages-a") for entry in _entries(3)]
    with transaction.atomic():
        chain_append_many(_entries(3), chain="messages-b")
        chain_append_many(_entries(2, start=3), chain="messages-b")
    head_a = ChainHead.objects.get(chain="messages-a")
    assert (head_a.length, head_a.last_hash) == (3, one_by_one[-1].entry_hash)
    assert one_by_one[0].previous_hash == GENESIS and one_by_one[1].previous_hash == (
        one_by_one[0].entry_hash
    )
    b = list(MessageLogEntry.objects.filter(chain="messages-b").order_by("sequence"))
    assert [e.sequence for e in b] == [1, 2, 3, 4, 5]
    # same content, same place, other chain name: the hashes differ only by the name
    head_b = ChainHead.objects.get(chain="messages-b")
    assert chain_verify(b, chain="messages-b", head_length=5, head_hash=head_b.last_hash) is None
    a = list(MessageLogEntry.objects.filter(chain="messages-a").order_by("sequence"))
    assert chain_verify(a, chain="messages-a", head_length=3, head_hash=head_a.last_hash) is None
    # a rolled back append leaves neither entry nor head behind
    with pytest.raises(RuntimeError), transaction.atomic():
        log_event(direction="in", message_type="RegisterMutation", message_id="x",
                  correlation_id="", event="received", xml=b"<x/>")  # fmt: skip
        raise RuntimeError
    assert not ChainHead.objects.filter(chain=CHAIN).exists()


@pytest.mark.django_db(transaction=True)
def test_the_head_in_sql_locks_on_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite locks the whole database; PostgreSQL the head row (CI's run)")
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        chain_append_many(_entries(2), chain="messages-lock")
    assert any("FOR UPDATE" in q["sql"] for q in queries.captured_queries)


class Collect(OutboxKind):
    batch_size = 10
    taken: list[list[int]] = []

    def deliver_many(self, messages):
        Collect.taken.append([m.payload["n"] for m in messages])
        return {m.pk: None for m in messages}


@pytest.fixture
def collect_kind():
    Collect.taken = []
    outbox_kinds.add("test.collect", Collect())
    yield "test.collect"
    outbox_kinds.remove("test.collect")


@pytest.mark.django_db(transaction=True)
def test_commits_of_a_batched_kind_share_one_task(collect_kind):
    from django_tasks_db.models import DBTaskResult

    from eloket.outbox import delivery
    from eloket.outbox.delivery import KICK_WINDOW, deliver_kind_task

    delivery._kicked.clear()
    with override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}):
        before = timezone.now()
        for n in range(5):  # five changes, each in its own transaction
            with transaction.atomic():
                outbox_put(municipality=None, kind=collect_kind, payload={"n": n})
        tasks = list(DBTaskResult.objects.filter(task_path__endswith="deliver_kind_task"))
        assert len(tasks) == 1  # not five
        assert tasks[0].args_kwargs["args"] == [collect_kind]
        assert tasks[0].run_after >= before + dt.timedelta(seconds=KICK_WINDOW)
        assert not DBTaskResult.objects.filter(task_path__endswith=".deliver_task").exists()
        # the task, when it runs, takes them all up, one batch
        assert deliver_kind_task.call(collect_kind) == 5
    assert Collect.taken == [[0, 1, 2, 3, 4]]
    assert set(OutboxMessage.objects.values_list("state", flat=True)) == {OutboxState.SENT}
    # once the window has passed, the next commit queues a task of its own
    delivery._kicked[collect_kind] -= KICK_WINDOW
    with override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}):
        with transaction.atomic():
            outbox_put(municipality=None, kind=collect_kind, payload={"n": 5})
        assert DBTaskResult.objects.filter(task_path__endswith="deliver_kind_task").count() == 2


@pytest.mark.django_db(transaction=True)
def test_without_deferred_tasks_each_commit_is_kicked_at_once(collect_kind):
    # the test settings' immediate backend cannot defer: each commit delivers at once
    for n in range(3):
        with transaction.atomic():
            outbox_put(municipality=None, kind=collect_kind, payload={"n": n})
    assert Collect.taken == [[0], [1], [2]]


@pytest.mark.django_db
def test_a_model_whose_database_computes_a_column_is_left_to_the_orm():
    from eloket.tenants.models import Municipality

    with pytest.raises(TypeError, match="need the ORM's insert"):
        insert_row(Municipality, {"slug": "x"})
