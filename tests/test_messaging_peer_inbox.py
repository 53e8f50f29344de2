"""The real peer process against Eloket's inbox on a live server (issue 14, points 2-4):
mutations it sends are applied once and in order, whatever faults it is told to make."""

import datetime as dt
import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import free_port, person_record
from eloket.messaging import keys
from eloket.messaging.models import MessageLogEntry, MessageState, RegistryMessage
from eloket.register.models import Address, Person

PEER_PORT = free_port()  # chosen once, when the module is read
PEER = f"http://127.0.0.1:{PEER_PORT}"


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("e2e-pki") / "messaging"
    keys.demo_messaging_pki(directory)
    return directory


@pytest.fixture(scope="module")
def peer(pki: Path, live_server) -> Iterator[str]:  # type: ignore[no-untyped-def]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "eloket.conf.test"}
    process = subprocess.Popen(  # nosec B603
        [
            sys.executable,
            "-m",
            "eloket",
            "registry-peer",
            "--port",
            str(PEER_PORT),
            "--pki",
            str(pki),
            "--elsewhere",
            "5",
            "--inbox",
            f"{live_server.url}/api/v1/messaging/inbox",
        ],
        env=env,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{PEER}/healthz", timeout=2):  # noqa: S310
                break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail("the registry peer did not start")
            time.sleep(0.2)
    yield PEER
    process.terminate()
    process.wait(timeout=10)


def call(path: str, body: dict[str, object]) -> object:
    request = urllib.request.Request(  # noqa: S310
        f"{PEER}{path}", data=json.dumps(body).encode(), method="POST"
    )
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
        return json.loads(response.read())


ADDRESS = {
    "street": "Nieuwstraat",
    "house_number": "9",
    "postcode": "9000",
    "municipality_name": "Gent",
    "nis": "44021",
}


def move(number: str, day: str) -> dict[str, object]:
    return {
        "kind": "address_change",
        "national_number": number,
        "effective_date": day,
        "municipality": "44021",
        "address": ADDRESS,
    }


def death(number: str, day: str) -> dict[str, object]:
    return {
        "kind": "death",
        "national_number": number,
        "effective_date": day,
        "municipality": "44021",
    }


@pytest.mark.django_db(transaction=True)
def test_peer_faults_applied_once_and_in_order(  # type: ignore[no-untyped-def]
    peer: str, pki: Path, settings, gent, add_people
) -> None:
    settings.ELOKET_MESSAGING_DIR = str(pki)
    first, second, third = (
        person_record(dt.date(1950, 1, 2), 31),
        person_record(dt.date(1951, 2, 3), 33),
        person_record(dt.date(1952, 3, 4), 35),
    )
    add_people(gent, first, second, third)

    # Duplicates: the same message twice, applied once, acknowledged twice.
    call("/control", {"mode": "duplicate"})
    results = call("/send", move(first.national_id, "2026-11-10"))
    assert [r["status"] for r in results] == [200, 200]  # type: ignore[index, union-attr]
    assert "duplicate" in results[1]["answer"]  # type: ignore[index]
    person = Person.objects.get(national_id=first.national_id)
    assert Address.objects.get(person=person, valid_to__isnull=True).street == "Nieuwstraat"
    assert RegistryMessage.objects.filter(national_number=first.national_id).count() == 1

    # Out of order: the move (1) is held by the peer and arrives after the death (2).
    call("/control", {"mode": "out_of_order"})
    assert call("/send", move(second.national_id, "2026-11-11")) == [{"held": True}]
    call("/send", death(second.national_id, "2026-11-20"))
    states = dict(
        RegistryMessage.objects.filter(national_number=second.national_id).values_list(
            "sequence", "state"
        )
    )
    assert states == {1: MessageState.APPLIED, 2: MessageState.APPLIED}
    person = Person.objects.get(national_id=second.national_id)
    assert person.date_of_death == dt.date(2026, 11, 20)
    assert Address.objects.get(person=person, valid_to__isnull=True).street == "Nieuwstraat"
    assert MessageLogEntry.objects.filter(event="held").count() == 1

    # A bad signature: refused with an Error, nothing stored or changed.
    call("/control", {"mode": "bad_signature"})
    results = call("/send", death(third.national_id, "2026-11-21"))
    assert results[0]["status"] == 400  # type: ignore[index]
    assert "bad_signature" in results[0]["answer"]  # type: ignore[index]
    assert not RegistryMessage.objects.filter(national_number=third.national_id).exists()
    assert Person.objects.get(national_id=third.national_id).date_of_death is None
    call("/control", {"mode": "normal"})


@pytest.mark.django_db(transaction=True)
def test_peer_moves_a_person_from_gent_to_brugge(  # type: ignore[no-untyped-def]
    peer: str, pki: Path, settings, gent, brugge, add_people
) -> None:
    """Point 4: a move between two municipalities Eloket serves, as the register sends
    it (moved out of Gent, then moved in to Brugge): one record, passed from Gent's
    register to Brugge's."""
    settings.ELOKET_MESSAGING_DIR = str(pki)
    mover = person_record(dt.date(1979, 4, 5), 41)
    add_people(gent, mover)
    number = mover.national_id
    call("/control", {"mode": "normal"})
    out = call(
        "/send",
        {
            "kind": "moved_out",
            "national_number": number,
            "effective_date": "2026-11-15",
            "municipality": "44021",
            "to_municipality": "31005",
        },
    )
    moved_in = call(
        "/send",
        {
            "kind": "moved_in",
            "national_number": number,
            "effective_date": "2026-11-15",
            "municipality": "31005",
            "person": {
                "national_number": number,
                "first_names": mover.first_names,
                "last_name": mover.last_name,
                "sex": mover.sex,
                "birth_date": mover.birth_date.isoformat(),
                "nationality": "BE",
                "street": "Markt",
                "house_number": "1",
                "postcode": "8000",
                "municipality_name": "Brugge",
                "nis": "31005",
            },
        },
    )
    assert [r["status"] for r in [*out, *moved_in]] == [200, 200]  # type: ignore[index, misc]
    states = set(
        RegistryMessage.objects.filter(national_number=number).values_list("state", flat=True)
    )
    assert states == {MessageState.APPLIED}
    person = Person.objects.get(national_id=number)
    assert person.municipality == brugge
    here = Address.objects.get(person=person, valid_to__isnull=True)
    assert (here.municipality, here.street) == (brugge, "Markt")
    assert Address.objects.get(person=person, municipality=gent).valid_to == dt.date(2026, 11, 14)
