"""Look-ups through the national register (issue 14, point 5), against the real peer
process: an officer opens someone the municipality's register does not hold, the signed
question and answer are in the message log, the answer is shown and not copied, and the
read is in the person's access log wherever Eloket keeps their data."""

import datetime as dt
import html
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import Client

from conftest import free_port, officer_login_client, person_record
from eloket.messaging import keys
from eloket.messaging.models import MessageLogEntry
from eloket.register.models import AccessLogEntry, Person
from eloket.register.national_ids import make_belgian_number

JAN = "85073002536"  # a demo resident of Gent, whom the peer's national register knows


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("lookup-pki") / "messaging"
    keys.demo_messaging_pki(directory)
    return directory


@pytest.fixture(scope="module")
def peer(pki: Path) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "eloket.conf.test"}
    process = subprocess.Popen(  # nosec B603
        [sys.executable, "-m", "eloket", "registry-peer", "--port", str(port), "--pki", str(pki)],
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2):  # noqa: S310
                break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail("the registry peer did not start")
            time.sleep(0.2)
    yield url
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def configured(pki: Path, peer: str, settings) -> str:  # type: ignore[no-untyped-def]
    settings.ELOKET_MESSAGING_DIR = str(pki)
    settings.ELOKET_REGISTRY_URL = peer
    settings.ELOKET_REGISTRY_TIMEOUT = 5
    return peer


def nl(text: str) -> str:
    """What the page says in Gent's language."""
    from django.utils.translation import gettext, override

    with override("nl"):
        return gettext(text)


def ask(client: Client, number: str, purpose: str, *, national: bool):
    data = {"national_id": number, "purpose": purpose}
    if national:
        data["source"] = "national"
    return client.post("/gent/backoffice/persons/", data)


@pytest.mark.django_db
def test_an_officer_opens_a_person_the_register_does_not_hold(
    configured, gent, make_officer, make_municipality, add_people
):
    clerk = make_officer("gent.clerk", gent, role="clerk")
    client = officer_login_client(Client(), clerk)
    # Jan lives, for Eloket, in another municipality's register: not in Gent's.
    elsewhere = make_municipality("elsewhere")
    add_people(elsewhere, person_record(dt.date(1985, 7, 30), 25, first="Jan"))
    jan = Person.objects.get(national_id=JAN)
    people_before = Person.objects.filter(municipality=gent).count()

    local = ask(client, JAN, "Death extract ordered by his daughter", national=False)
    assert local.status_code == 404
    assert nl("Ask the national register") in local.content.decode()

    answer = ask(client, JAN, "Death extract ordered by his daughter", national=True)
    page = answer.content.decode()
    assert answer.status_code == 200, page[:500]
    assert "Jan Peeters" in page
    assert nl(
        "From the national register, as it answered just now. Not stored in this municipality's register."
    ) in html.unescape(page)
    # Shown, not copied into Gent's register.
    assert Person.objects.filter(municipality=gent).count() == people_before
    # The question and the answer, both signed, are in the message log (no national number).
    rows = list(MessageLogEntry.objects.filter(type__startswith="PersonLookup").order_by("pk"))
    assert [(r.type, r.direction, r.event) for r in rows] == [
        ("PersonLookupRequest", "out", "sent"),
        ("PersonLookupAnswer", "in", "received"),
    ]
    assert rows[1].correlation_id == rows[0].message_id
    assert all(JAN not in f"{r.detail}{r.message_id}{r.correlation_id}" for r in rows)
    # Jan reads it in "Who consulted my data", where Eloket keeps his register data.
    entry = AccessLogEntry.objects.get(person=jan)
    assert entry.purpose == "Death extract ordered by his daughter"
    assert entry.actor_municipality == gent and entry.actor_user == clerk


@pytest.mark.django_db
def test_nobody_by_that_number_a_missing_purpose_and_a_register_that_is_down(
    configured, gent, make_officer, settings
):
    clerk = make_officer("gent.clerk", gent, role="clerk")
    client = officer_login_client(Client(), clerk)
    unknown = make_belgian_number(dt.date(1961, 2, 3), 997)
    answer = ask(client, unknown, "Checking an address", national=True)
    assert answer.status_code == 200
    assert nl("The national register knows nobody by this number.") in html.unescape(
        answer.content.decode()
    )
    assert ask(client, JAN, "  ", national=True).status_code == 400
    # Not a valid number: refused before anything is sent.
    sent = MessageLogEntry.objects.count()
    assert ask(client, "85073002537", "Checking", national=True).status_code == 400
    assert MessageLogEntry.objects.count() == sent
    settings.ELOKET_REGISTRY_URL = f"http://127.0.0.1:{free_port()}"  # nobody listens
    down = ask(client, JAN, "Checking an address", national=True)
    assert down.status_code == 503
    assert nl(
        "The national register does not answer just now. Try again in a few minutes."
    ) in html.unescape(down.content.decode())
    assert AccessLogEntry.objects.count() == 0


@pytest.mark.django_db
def test_a_citizen_or_another_municipalitys_officer_cannot_ask(
    configured, gent, make_officer, make_municipality
):
    from eloket.common.actors import Actor, ActorKind
    from eloket.common.errors import ApplicationError
    from eloket.messaging.services import national_person_lookup

    other = make_municipality("othertown")
    stranger = make_officer("other.clerk", other, role="clerk")
    client = officer_login_client(Client(), stranger)
    assert ask(client, JAN, "Curious", national=True).status_code in (403, 404)
    with pytest.raises(ApplicationError):
        national_person_lookup(
            actor=Actor(
                kind=ActorKind.CITIZEN,
                label="Someone",
                municipality=gent,
                national_id=JAN,
                country="BE",
            ),
            municipality=gent,
            national_id=JAN,
            purpose="Curious",
        )
    assert not MessageLogEntry.objects.filter(type__startswith="PersonLookup").exists()
