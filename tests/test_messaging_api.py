"""The back-office API over the messages with the national registries (issue 14, point 8):
administrators of the municipality only, its own messages only, dead letters resent."""

import datetime as dt

import pytest
from django.db import transaction

from conftest import bearer
from eloket.messaging import keys
from eloket.messaging.outgoing import KIND, mutation_queue
from eloket.outbox.models import OutboxMessage, OutboxState


@pytest.fixture(autouse=True)
def configured(tmp_path, settings) -> None:  # type: ignore[no-untyped-def]
    directory = tmp_path / "messaging"
    keys.demo_messaging_pki(directory)
    settings.ELOKET_MESSAGING_DIR = str(directory)
    settings.ELOKET_REGISTRY_URL = "http://127.0.0.1:8352"  # nothing listens: every try fails
    settings.ELOKET_REGISTRY_TIMEOUT = 1


def queued(municipality, national_number="85073100358"):  # type: ignore[no-untyped-def]
    with transaction.atomic():
        return mutation_queue(
            municipality=municipality,
            kind="death",
            national_number=national_number,
            effective_date=dt.date(2026, 11, 2),
            nis="44021",
        )


@pytest.mark.django_db(transaction=True)
def test_administrators_list_read_and_resend_their_own_messages(  # type: ignore[no-untyped-def]
    client, gent, brugge, make_officer
) -> None:
    admin = make_officer("admin", gent, role="admin")
    clerk = make_officer("clerk", gent, role="clerk")
    other = make_officer("other", brugge, role="admin")
    message = queued(gent)
    queued(brugge)
    url = "/api/v1/m/gent/backoffice/messages"

    listed = client.get(url, **bearer(admin)).json()
    assert [(m["id"], m["direction"], m["state"], m["attempts"]) for m in listed] == [
        (message.pk, "out", "queued", 1)
    ]
    assert listed[0]["correlation_id"] == message.correlation_id
    assert client.get(url + "?type=Acknowledgement", **bearer(admin)).json() == []
    assert client.get(url + "?state=queued", **bearer(admin)).json()[0]["id"] == message.pk

    detail = client.get(f"{url}/{message.pk}", **bearer(admin)).json()
    assert detail["xml"].startswith("<") and "Signature" in detail["xml"]

    assert client.get(url, **bearer(clerk)).status_code == 403
    assert client.get(url, **bearer(other)).status_code == 403
    assert (
        client.get(
            f"/api/v1/m/brugge/backoffice/messages/{message.pk}", **bearer(other)
        ).status_code
        == 404
    )

    # not failed yet: nothing to resend
    assert client.post(f"{url}/{message.pk}/retry", **bearer(admin)).status_code == 400
    row = OutboxMessage.objects.get(kind=KIND, payload__message=message.pk)
    row.state = OutboxState.FAILED
    row.attempts = row.max_attempts
    row.save()
    assert client.get(url + "?state=dead", **bearer(admin)).json()[0]["id"] == message.pk
    resent = client.post(f"{url}/{message.pk}/retry", **bearer(admin))
    assert resent.status_code == 200, resent.content
    row.refresh_from_db()
    assert row.state == OutboxState.PENDING and row.attempts == 1  # tried again at once
    assert resent.json()["state"] == "queued"


@pytest.mark.django_db(transaction=True)
def test_administrators_browse_the_log_in_the_back_office_and_reading_one_is_logged(  # type: ignore[no-untyped-def]
    client, gent, brugge, make_officer, add_people
) -> None:
    from conftest import officer_login_client, person_record
    from eloket.register.models import AccessLogEntry, Person

    record = person_record(dt.date(1985, 7, 30), 33, household="H1", relation="reference")
    add_people(gent, record)
    admin = make_officer("admin", gent, role="admin")
    clerk = make_officer("clerk", gent, role="clerk")
    message = queued(gent, record.national_id)
    theirs = queued(brugge)

    officer_login_client(client, admin)
    page = client.get("/gent/backoffice/")
    assert "/gent/backoffice/registry-messages/" in page.content.decode()
    listed = client.get("/gent/backoffice/registry-messages/").content.decode()
    assert message.message_id[:24] in listed and theirs.message_id[:24] not in listed
    assert record.national_id not in listed  # never a national number on the list
    for query, shown in [
        ("?direction=out&type=RegisterMutation", True),
        ("?direction=in", False),
        ("?state=delivered", False),
        (f"?day={dt.date.today().isoformat()}", True),
        ("?day=2001-01-01", False),
        ("?day=not-a-day&type=<script>", True),  # ignored, not an error
    ]:
        answer = client.get("/gent/backoffice/registry-messages/" + query)
        assert answer.status_code == 200
        assert (message.message_id[:24] in answer.content.decode()) is shown, query

    person = Person.objects.get(national_id=record.national_id)
    assert not AccessLogEntry.objects.filter(person=person).exists()
    detail = client.get(f"/gent/backoffice/registry-messages/{message.pk}")
    assert detail.status_code == 200 and "Signature" in detail.content.decode()
    read = AccessLogEntry.objects.get(person=person)
    assert read.actor_user_id == admin.pk and message.message_id[:40] in read.purpose
    assert client.get(f"/gent/backoffice/registry-messages/{theirs.pk}").status_code == 404

    client.logout()
    officer_login_client(client, clerk)
    assert client.get("/gent/backoffice/registry-messages/").status_code in (302, 403)
