"""Reads of read-only requests from the replica, everything else from the primary (issue 16,
point 7; common/dbrouter.py). Here the replica is a second connection to the test
database (a mirror): what is checked is which connection each statement goes through.
`tests/test_cluster.py` runs a real streaming replica when `make cluster REPLICA=1` can."""

import pytest
from django.db import connections, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from eloket.common import dbrouter

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])


@pytest.fixture
def replica_on(settings):
    settings.ELOKET_READ_REPLICA = True


def selects(captured) -> list[str]:
    return [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].lstrip().upper().startswith("SELECT")
    ]


def test_a_visitors_page_is_read_from_the_replica(replica_on, gent):
    with (
        CaptureQueriesContext(connections["default"]) as primary,
        CaptureQueriesContext(connections["replica"]) as replica,
    ):
        answer = Client().get("/gent/")
    assert answer.status_code == 200
    assert selects(replica), "the page read nothing from the replica"
    assert selects(primary) == []
    assert dbrouter.PIN_COOKIE not in answer.cookies


def test_a_session_is_read_from_the_primary_even_on_a_replica_page(replica_on, gent):
    # A GET can write the session (the OIDC login's state): the next GET must see it, and
    # a replica may lag. With the replica a mirror here, the query is what is checked.
    client = Client()
    session = client.session
    session["marker"] = 1
    session.save()
    with (
        CaptureQueriesContext(connections["default"]) as primary,
        CaptureQueriesContext(connections["replica"]) as replica,
    ):
        assert client.get("/gent/").status_code == 200
    assert any("django_session" in sql for sql in selects(primary))
    assert not any("django_session" in sql for sql in selects(replica))
    assert selects(replica), "the page itself is still read from the replica"


def test_without_the_switch_everything_is_read_from_the_primary(gent):
    with CaptureQueriesContext(connections["replica"]) as replica:
        assert Client().get("/gent/").status_code == 200
    assert replica.captured_queries == []


def test_a_form_sent_is_written_to_the_primary_and_the_next_pages_read_it_there(replica_on, gent):
    client = Client()
    with CaptureQueriesContext(connections["replica"]) as replica:
        answer = client.post(
            "/auth/officer/login", {"username": "nobody", "password": "wrong horse", "next": ""}
        )
    assert answer.status_code in (200, 403)  # refused: the user was looked for on the primary
    assert replica.captured_queries == []  # a POST reads what it will write from the primary
    assert answer.cookies[dbrouter.PIN_COOKIE]["max-age"] == 10
    # The page the browser is sent to next is read from the primary: it shows what was sent.
    with CaptureQueriesContext(connections["replica"]) as replica:
        assert client.get("/gent/").status_code == 200
    assert replica.captured_queries == []


def test_reads_that_must_see_the_primary_stay_there(replica_on, gent):
    from eloket.tenants.models import Municipality

    router = dbrouter.ReplicaRouter()
    token = dbrouter._reads_may_lag.set(True)
    try:
        assert router.db_for_read(Municipality) == "replica"
        assert Municipality.objects.filter(pk=gent.pk).db == "replica"
        with transaction.atomic():  # a read-modify-write sees the row it changes
            assert router.db_for_read(Municipality) is None
        # A read for update is a write's first half: it, and the request's reads after it,
        # go to the primary.
        assert Municipality.objects.select_for_update().filter(pk=gent.pk).db == "default"
        assert Municipality.objects.filter(pk=gent.pk).db == "default"
        dbrouter._reads_may_lag.set(True)
        assert router.db_for_write(Municipality) == "default"
        assert router.db_for_read(Municipality) is None  # once written, it reads what it wrote
    finally:
        dbrouter._reads_may_lag.reset(token)


def test_migrations_run_on_the_primary_only():
    router = dbrouter.ReplicaRouter()
    assert router.allow_migrate("replica", "tenants") is False
    assert router.allow_migrate("default", "tenants") is True
