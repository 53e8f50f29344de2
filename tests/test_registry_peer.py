"""The national-registry peer as its own process (issue 14, point 2): `eloket registry-peer`
on a loopback port with its own key and database; look-ups, Eloket's mutations (applied
once), mutations it sends to an inbox, and the faults it can be told to make."""

import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from conftest import free_port
from eloket.messaging import keys, wire

PEER_PORT = free_port()  # chosen once, when the module is read
INBOX_PORT = 8211
PEER = f"http://127.0.0.1:{PEER_PORT}"
MAX = 10 * 1024 * 1024


class Inbox:
    """A stand-in for Eloket's inbox: keeps what it is sent."""

    def __init__(self) -> None:
        self.received: list[bytes] = []
        inbox = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                inbox.received.append(self.rfile.read(int(self.headers["Content-Length"])))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        self.server = ThreadingHTTPServer(("127.0.0.1", INBOX_PORT), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("peer-pki") / "messaging"
    keys.demo_messaging_pki(directory)
    return directory


@pytest.fixture(scope="module")
def inbox() -> Iterator[Inbox]:
    box = Inbox()
    yield box
    box.server.shutdown()
    box.server.server_close()


@pytest.fixture(scope="module")
def peer(pki: Path, inbox: Inbox) -> Iterator[str]:
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
            f"http://127.0.0.1:{INBOX_PORT}/api/v1/messaging/inbox",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{PEER}/healthz", timeout=2):  # noqa: S310
                break
        except OSError:
            if process.poll() is not None:
                pytest.fail(process.stdout.read().decode() if process.stdout else "peer died")
            time.sleep(0.2)
    else:
        process.kill()
        pytest.fail("the registry peer did not start")
    yield PEER
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="module")
def eloket(pki: Path) -> wire.Signer:
    return wire.Signer.from_files(pki / "eloket.key.pem", pki / "eloket.cert.pem")


@pytest.fixture(scope="module")
def trusts_peer(pki: Path) -> wire.Verifier:
    return wire.Verifier.from_file(pki / "registry.cert.pem")


@pytest.fixture(autouse=True)
def normal(peer: str) -> Iterator[None]:
    yield
    control(peer, "normal")


def control(peer: str, mode: str, delay: float = 0) -> None:
    post(f"{peer}/control", json.dumps({"mode": mode, "delay": delay}).encode())


def post(url: str, data: bytes, timeout: float = 10) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=data, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def lookup(eloket: wire.Signer, number: str) -> bytes:
    return eloket.sign(
        wire.build(
            "PersonLookupRequest",
            sender=keys.ELOKET_PARTY,
            receiver=keys.REGISTRY_PARTY,
            body=[("NationalNumber", number), ("Purpose", "test")],
        )
    )


BABY = "26111099701"


def birth(eloket: wire.Signer) -> bytes:
    person = [
        ("NationalNumber", BABY),
        ("FirstNames", "Mira"),
        ("LastName", "Test"),
        ("Sex", "F"),
        ("BirthDate", "2026-11-10"),
        ("Nationality", "BE"),
        (
            "Address",
            [
                ("Street", "Veldstraat"),
                ("HouseNumber", "3"),
                ("Postcode", "9000"),
                ("MunicipalityName", "Gent"),
                ("Municipality", "44021"),
            ],
        ),
    ]
    return eloket.sign(
        wire.build(
            "RegisterMutation",
            sender=keys.ELOKET_PARTY,
            receiver=keys.REGISTRY_PARTY,
            body=[
                ("Kind", "birth"),
                ("NationalNumber", BABY),
                ("Sequence", 1),
                ("EffectiveDate", "2026-11-10"),
                ("Municipality", "44021"),
                ("Person", person),
            ],
        )
    )


def test_mutation_applied_once_then_looked_up(
    peer: str, eloket: wire.Signer, trusts_peer: wire.Verifier
) -> None:
    status, answer = post(f"{peer}/lookup", lookup(eloket, BABY))
    assert status == 200
    assert (
        wire.receive(answer, verifier=trusts_peer, max_bytes=MAX).message.body["Found"] == "false"
    )

    message = birth(eloket)
    outcomes = []
    for _ in range(2):
        status, answer = post(f"{peer}/mutations", message)
        ack = wire.receive(answer, verifier=trusts_peer, max_bytes=MAX).message
        assert ack.type == "Acknowledgement"
        assert ack.correlation_id == wire.parse(message, max_bytes=MAX)[0][0].text
        outcomes.append(ack.body["Outcome"])
    assert outcomes == ["applied", "duplicate"]

    status, answer = post(f"{peer}/lookup", lookup(eloket, BABY))
    found = wire.receive(answer, verifier=trusts_peer, max_bytes=MAX).message
    assert found.type == "PersonLookupAnswer"
    assert found.body["Found"] == "true"
    assert found.body["Person"]["FirstNames"] == "Mira"
    assert found.body["Person"]["Address"]["Municipality"] == "44021"


def test_peer_refuses_what_eloket_did_not_sign(
    peer: str, pki: Path, trusts_peer: wire.Verifier
) -> None:
    stranger = wire.Signer.from_files(pki / "registry.key.pem", pki / "registry.cert.pem")
    _status, answer = post(f"{peer}/lookup", lookup(stranger, BABY))
    error = wire.receive(answer, verifier=trusts_peer, max_bytes=MAX).message
    assert error.type == "Error"
    assert error.body["Code"] == "untrusted_signer"
    bomb = b'<!DOCTYPE x [<!ENTITY a "aaaa">]><PersonLookupRequest xmlns="urn:eloket:registry:1">&a;</PersonLookupRequest>'
    _status, answer = post(f"{peer}/lookup", bomb)
    assert wire.receive(answer, verifier=trusts_peer, max_bytes=MAX).message.body["Code"] == (
        "dtd_refused"
    )


def test_down_slow_and_bad_signature(
    peer: str, eloket: wire.Signer, trusts_peer: wire.Verifier
) -> None:
    control(peer, "down")
    status, _answer = post(f"{peer}/lookup", lookup(eloket, BABY))
    assert status == 503
    control(peer, "slow", delay=1.5)
    with pytest.raises(TimeoutError):
        post(f"{peer}/lookup", lookup(eloket, BABY), timeout=0.5)
    control(peer, "bad_signature")
    status, answer = post(f"{peer}/lookup", lookup(eloket, BABY))
    assert status == 200
    with pytest.raises(wire.MessageRefused) as caught:
        wire.receive(answer, verifier=trusts_peer, max_bytes=MAX)
    assert caught.value.code == "bad_signature"


def sent(peer: str, number: str, day: str) -> list[dict[str, object]]:
    spec = {
        "kind": "death",
        "national_number": number,
        "effective_date": day,
        "municipality": "44021",
    }
    status, answer = post(f"{peer}/send", json.dumps(spec).encode())
    assert status == 200, answer
    return list(json.loads(answer))


def test_sends_mutations_with_sequences_duplicates_and_out_of_order(
    peer: str, inbox: Inbox, trusts_peer: wire.Verifier
) -> None:
    inbox.received.clear()
    sent(peer, "50010100101", "2026-11-01")
    control(peer, "duplicate")
    sent(peer, "50010100101", "2026-11-02")
    control(peer, "out_of_order")
    assert sent(peer, "50010100101", "2026-11-03") == [{"held": True}]
    sent(peer, "50010100101", "2026-11-04")
    messages = [
        wire.receive(data, verifier=trusts_peer, max_bytes=MAX).message for data in inbox.received
    ]
    assert [m.body["Sequence"] for m in messages] == ["1", "2", "2", "4", "3"]
    assert messages[1].message_id == messages[2].message_id  # the same message twice
    assert {m.sender for m in messages} == {"be-national-register"}
