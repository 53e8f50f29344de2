"""The message log's evidence (issue 14, point 7): RFC 3161 time-stamps of the chain's
head in batches from a TSA on loopback (tokens that `openssl ts -verify` accepts),
`eloket messages verify` (chain, signatures, time-stamps; passes before the first batch,
fails with the reason on a tampered row), and `eloket messages export --case` (a zip
whose XML passes xmlsec1, whose token passes openssl, whose chain recomputes)."""

import datetime as dt
import io
import shutil
import subprocess  # nosec B404
import sys
import threading
import zipfile
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils import timezone

from conftest import person_record
from eloket.common.actors import Actor
from eloket.documents.pki import demo_tsa
from eloket.documents.tsa import serve_tsa
from eloket.messaging import keys, wire
from eloket.messaging.models import MessageLogEntry, MessageLogTimestamp, RegistryMessage
from eloket.messaging.outgoing import mutation_deliver, mutation_queue
from eloket.messaging.peer import RegistryPeer, serve
from eloket.messaging.timestamps import MessageLogTimestampJob, head_timestamp

INBOX = "/api/v1/messaging/inbox"
needs_openssl = pytest.mark.skipif(shutil.which("openssl") is None, reason="no openssl")


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("evidence-pki")
    keys.demo_messaging_pki(directory / "messaging")
    demo_tsa(directory)
    return directory


@pytest.fixture(scope="module")
def tsa(pki: Path):  # type: ignore[no-untyped-def]
    server = serve_tsa(pki / "tsa.cert.pem", pki / "tsa.key.pem", chain=[pki / "root.cert.pem"])
    yield server
    server.shutdown()


@pytest.fixture(scope="module")
def peer(pki: Path):  # type: ignore[no-untyped-def]
    """The registry peer in a thread (a free port), to acknowledge Eloket's mutations."""
    directory = pki / "messaging"
    registry = RegistryPeer(
        signer=wire.Signer.from_files(
            directory / "registry.key.pem", directory / "registry.cert.pem"
        ),
        verifier=wire.Verifier.from_file(directory / "eloket.cert.pem"),
    )
    server = serve(registry, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield registry, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(autouse=True)
def configured(pki: Path, tsa, peer, settings) -> None:  # type: ignore[no-untyped-def]
    settings.ELOKET_MESSAGING_DIR = str(pki / "messaging")
    settings.ELOKET_TRUST_ROOTS = str(pki / "root.cert.pem")
    settings.ELOKET_MESSAGING_TSA_URL = tsa.url
    settings.ELOKET_REGISTRY_URL = peer[1]
    settings.ELOKET_REGISTRY_TIMEOUT = 5


def incoming(client, pki: Path, number: str, sequence: int = 1) -> None:  # type: ignore[no-untyped-def]
    directory = pki / "messaging"
    registry = wire.Signer.from_files(
        directory / "registry.key.pem", directory / "registry.cert.pem"
    )
    data = registry.sign(
        wire.build(
            "RegisterMutation",
            sender=keys.REGISTRY_PARTY,
            receiver=keys.ELOKET_PARTY,
            body=[
                ("Kind", "death"),
                ("NationalNumber", number),
                ("Sequence", sequence),
                ("EffectiveDate", "2026-11-20"),
                ("Municipality", "44021"),
            ],
        )
    )
    answer = client.post(INBOX, data=data, content_type="application/xml")
    assert answer.status_code == 200, answer.content


def outgoing(municipality, number: str = "85073100358", case=None) -> RegistryMessage:  # type: ignore[no-untyped-def]
    with transaction.atomic():
        return mutation_queue(
            municipality=municipality,
            kind="death",
            national_number=number,
            effective_date=dt.date(2026, 11, 2),
            nis="44021",
            case_code=case.tracking_code if case else "",
        )


def verify() -> str:
    out = io.StringIO()
    call_command("messages", "verify", stdout=out, stderr=io.StringIO())
    return out.getvalue()


def verify_fails() -> str:
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("messages", "verify", stdout=io.StringIO(), stderr=err)
    return err.getvalue()


def openssl_verify(
    token: Path, digest: str, pki: Path, tsa_pem: Path
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # nosec B603 B607
        [
            "openssl", "ts", "-verify", "-token_in", "-in", str(token), "-digest", digest,
            "-CAfile", str(pki / "root.cert.pem"), "-untrusted", str(tsa_pem),
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_verify_passes_on_a_fresh_log_before_the_first_batch(client, gent, pki, settings) -> None:  # type: ignore[no-untyped-def]
    settings.ELOKET_MESSAGING_DIR = ""  # an empty log needs no messaging keys to check
    assert "intact" in verify()
    settings.ELOKET_MESSAGING_DIR = str(pki / "messaging")
    incoming(client, pki, "85073100358")
    outgoing(gent)
    said = verify()
    # the mutation in and Eloket's signed acknowledgement of it (kept in the log); the
    # mutation out and the register's acknowledgement of it (the outbox sent it when the
    # transaction committed)
    assert "No time-stamp yet" in said and "4 signatures of 2 messages verified" in said
    assert not MessageLogTimestamp.objects.exists()

    from eloket.messaging.evidence import messages_verify

    said_progress: list[tuple[str, int, int]] = []
    messages_verify(progress=lambda *step: said_progress.append(step))
    assert ("signatures", 2, 2) in said_progress and said_progress[0][0] == "chain"


@needs_openssl
@pytest.mark.django_db(transaction=True)
def test_the_head_is_time_stamped_once_per_batch_and_openssl_accepts_the_token(  # type: ignore[no-untyped-def]
    client, gent, pki, tsa, tmp_path
) -> None:
    job = MessageLogTimestampJob()
    assert job.run(timezone.now()) == 0  # nothing logged: nothing to ask
    for n in range(5):
        outgoing(gent, number=f"8507310{n:04d}")
    asked = tsa.requests_answered
    assert job.run(timezone.now()) == 1  # five messages, one request
    assert tsa.requests_answered == asked + 1
    stamp = MessageLogTimestamp.objects.get()
    head = MessageLogEntry.objects.order_by("-sequence").first()
    assert (stamp.length, stamp.head_hash) == (head.sequence, head.entry_hash)
    assert stamp.length == 10  # each queued, then delivered
    assert job.run(timezone.now()) == 0 and tsa.requests_answered == asked + 1  # not grown
    outgoing(gent, number="85073100999")
    assert head_timestamp() is not None and tsa.requests_answered == asked + 2

    token = tmp_path / "token.tsr"
    token.write_bytes(bytes(stamp.token))
    tsa_pem = pki / "tsa.cert.pem"
    checked = openssl_verify(token, stamp.head_hash, pki, tsa_pem)
    assert checked.returncode == 0 and "Verification: OK" in checked.stdout, checked.stderr
    other = MessageLogEntry.objects.get(sequence=4).entry_hash
    assert openssl_verify(token, other, pki, tsa_pem).returncode != 0  # another head: refused

    said = verify()
    assert "2 time-stamps verified" in said and "Time-stamped up to entry 12" in said


@pytest.mark.django_db(transaction=True)
def test_verify_names_a_tampered_row_and_fails(client, gent, pki, settings) -> None:  # type: ignore[no-untyped-def]
    incoming(client, pki, "85073100358")
    message = outgoing(gent)
    head_timestamp()
    verify()

    # The stored XML changed (a person's number): its signature no longer verifies.
    original = bytes(message.xml)
    RegistryMessage.objects.filter(pk=message.pk).update(
        xml=original.replace(b"85073100358", b"85073100359")
    )
    said = verify_fails()
    assert f"message {message.pk}" in said and "signature does not verify" in said
    RegistryMessage.objects.filter(pk=message.pk).update(xml=original)
    verify()

    # A log entry changed behind the ORM's back: the chain names it.
    entry = MessageLogEntry.objects.get(sequence=2)
    MessageLogEntry._base_manager.filter(pk=entry.pk).update(detail="forged")
    said = verify_fails()
    assert "number 2" in said and "changed after it was written" in said
    MessageLogEntry._base_manager.filter(pk=entry.pk).update(detail=entry.detail)

    # A time-stamp token altered, or one that names another head.
    stamp = MessageLogTimestamp.objects.get()
    token = bytes(stamp.token)
    MessageLogTimestamp._base_manager.filter(pk=stamp.pk).update(token=token[:-40] + bytes(40))
    assert "time-stamp" in verify_fails()
    MessageLogTimestamp._base_manager.filter(pk=stamp.pk).update(token=token, length=1)
    assert "dates another entry" in verify_fails()
    MessageLogTimestamp._base_manager.filter(pk=stamp.pk).update(length=stamp.length)

    # A token from a TSA the platform does not trust.
    settings.ELOKET_TRUST_ROOTS = str(pki / "messaging" / "registry.cert.pem")
    assert "not from a time-stamping authority the platform trusts" in verify_fails()


def _case(gent):  # type: ignore[no-untyped-def]
    from django.contrib.auth.models import User

    from eloket.cases.models import Case
    from eloket.cases.services import case_type_ensure

    case_type = case_type_ensure(
        actor=Actor.for_municipality(gent), municipality=gent, code="certificate_order"
    )
    return Case.objects.create(
        municipality=gent,
        case_type=case_type,
        kind=case_type.code,
        tracking_code="MVDCL234",
        status="submitted",
        requester=User.objects.create(username="citizen-mover"),
        language="nl",
        title="Move",
        due_at=timezone.now() + dt.timedelta(days=5),
    )


@needs_openssl
@pytest.mark.skipif(shutil.which("xmlsec1") is None, reason="xmlsec1 is not installed")
@pytest.mark.django_db(transaction=True)
def test_a_cases_evidence_exports_as_a_zip_an_auditor_checks(  # type: ignore[no-untyped-def]
    client, gent, add_people, pki, tmp_path
) -> None:
    from eloket.register.models import AccessLogEntry, Person

    record = person_record(dt.date(1985, 7, 30), 33, household="H1", relation="reference")
    add_people(gent, record)
    case = _case(gent)
    incoming(client, pki, "85073100111")  # another message, before
    message = outgoing(gent, number=record.national_id, case=case)
    mutation_deliver(message.pk)  # the peer acknowledges it (signed)
    message.refresh_from_db()
    assert message.state == "delivered" and bytes(message.answer_xml)
    outgoing(gent, number="85073100222")  # another, after

    out = tmp_path / "evidence.zip"
    said = io.StringIO()  # before the first batch: the proof runs to the head, and says so
    call_command("messages", "export", "--case", "mvdc-l234", "--out", str(out), stdout=said)
    assert "(not time-stamped yet)" in said.getvalue()
    with zipfile.ZipFile(out) as archive:
        assert "timestamp/token.tsr" not in archive.namelist()
        assert "No time-stamp covers these entries yet" in archive.read("README.txt").decode()
    assert head_timestamp() is not None
    said = io.StringIO()
    call_command("messages", "export", "--case", "MVDC-L234", "--out", str(out), stdout=said)
    assert "to the time-stamped head" in said.getvalue()

    folder = tmp_path / "unzipped"
    with zipfile.ZipFile(out) as archive:
        names = archive.namelist()
        archive.extractall(folder)
    xml = sorted(n for n in names if n.startswith("messages/"))
    assert len(xml) == 2 and xml[0].endswith(".acknowledgement.xml")  # the mutation, its ack
    assert {"README.txt", "log.jsonl", "chain/proof.jsonl", "chain/head.json",
            "timestamp/token.tsr", "certificates/tsa.pem", "certificates/root.cert.pem",
            "check_chain.py"} <= set(names)  # fmt: skip
    readme = (folder / "README.txt").read_text()
    assert "openssl ts -verify" in readme and "xmlsec1 --verify" in readme
    for name in xml:
        checked = subprocess.run(  # nosec B603 B607
            ["xmlsec1", "--verify", "--trusted-pem", "certificates/root.cert.pem", name],
            cwd=folder, capture_output=True, text=True, timeout=30, check=False,
        )  # fmt: skip
        assert checked.returncode == 0 and "OK" in checked.stderr, (name, checked.stderr)
    import json

    head = json.loads((folder / "chain/head.json").read_text())
    last = MessageLogEntry.objects.order_by("-sequence").first()
    first = MessageLogEntry.objects.filter(message_id=message.message_id).order_by("sequence")[0]
    assert head["time_stamped"] and head["length"] == last.sequence
    checked = openssl_verify(
        folder / "timestamp/token.tsr", head["head_hash"], folder / "certificates",
        folder / "certificates/tsa.pem",
    )  # fmt: skip
    assert checked.returncode == 0 and "Verification: OK" in checked.stdout, checked.stderr
    recomputed = subprocess.run(  # nosec B603
        [sys.executable, "check_chain.py"],
        cwd=folder, capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert (
        recomputed.returncode == 0
        and f"OK: {last.sequence - first.sequence + 1} entries" in recomputed.stdout
    ), recomputed.stderr
    assert record.national_id not in (folder / "log.jsonl").read_text()  # the log holds none

    # An auditor's copy that was tampered with no longer recomputes.
    proof = folder / "chain/proof.jsonl"
    proof.write_text(proof.read_text().replace('"delivered"', '"refused"'))
    broken = subprocess.run(  # nosec B603
        [sys.executable, "check_chain.py"],
        cwd=folder, capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert broken.returncode != 0

    # Exporting the signed XML is a read of the person's data: in their access log.
    person = Person.objects.get(national_id=record.national_id)
    assert AccessLogEntry.objects.filter(person=person, purpose__contains="MVDCL234").exists()

    with pytest.raises(CommandError, match="no request"):
        call_command("messages", "export", "--case", "NOPE1234", "--out", str(out))


@pytest.mark.django_db(transaction=True)
def test_operators_browse_every_municipalitys_log_in_the_admin(  # type: ignore[no-untyped-def]
    client, gent, brugge, make_officer, pki
) -> None:
    from django.contrib.auth.models import User
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from conftest import officer_login_client

    case = _case(gent)
    ours = outgoing(gent, number="85073100358", case=case)
    theirs = outgoing(brugge, number="85073100459")
    incoming(client, pki, "85073100560")
    head_timestamp()
    operator = User.objects.create_superuser("op", password="correct horse 42")
    TOTPDevice.objects.create(user=operator, name="t", confirmed=True)
    officer_login_client(client, operator)

    url = "/admin/messaging/registrymessage/"
    listed = client.get(url).content.decode()
    assert ours.message_id in listed and theirs.message_id in listed
    for query, shown, hidden in [
        (f"?municipality__id__exact={brugge.pk}", theirs, ours),
        ("?case=MVDCL234", ours, theirs),
        ("?type__exact=RegisterMutation&direction__exact=out&state__exact=delivered", ours, None),
        (f"?created_at__day={dt.date.today().day}&created_at__month={dt.date.today().month}"
         f"&created_at__year={dt.date.today().year}", ours, None),
        ("?state__exact=held", None, ours),
    ]:  # fmt: skip
        page = client.get(url + query)
        assert page.status_code == 200, query
        text = page.content.decode()
        assert shown is None or shown.message_id in text, query
        assert hidden is None or hidden.message_id not in text, query
    detail = client.get(f"{url}{ours.pk}/change/").content.decode()
    assert ours.message_id in detail and "delivered" in detail
    assert "85073100358" not in detail and "85073100358" not in listed  # no person's number
    assert client.post(f"{url}{ours.pk}/change/", {"state": "refused"}).status_code == 403

    log = client.get("/admin/messaging/messagelogentry/?event__exact=delivered").content.decode()
    assert ours.message_id in log and theirs.message_id in log
    assert client.get("/admin/messaging/messagelogtimestamp/").status_code == 200

    # A municipality's administrator: their own messages only, and not the whole chain.
    client.logout()
    admin = make_officer("gent.admin", gent, role="admin")
    officer_login_client(client, admin)
    listed = client.get(url).content.decode()
    assert ours.message_id in listed and theirs.message_id not in listed
    assert client.get(f"{url}{theirs.pk}/change/").status_code in (302, 404)
    assert client.get("/admin/messaging/messagelogentry/").status_code == 403

    # In their back office and the API, by request too (its tracking code, as typed).
    other = outgoing(gent, number="85073100661")
    page = "/gent/backoffice/registry-messages/"
    everything = client.get(page).content.decode()
    assert ours.message_id[:24] in everything and other.message_id[:24] in everything
    assert "?case=MVDCL234" in everything  # the request is named, and links to its filter
    for query in ("?case=mvdc-l234", "?case=MVDCL234&direction=out"):
        text = client.get(page + query).content.decode()
        assert ours.message_id[:24] in text and other.message_id[:24] not in text, query
    assert other.message_id[:24] not in client.get(page + "?case=NOPE").content.decode()
    from conftest import bearer

    api = "/api/v1/m/gent/backoffice/messages"
    found = client.get(api + "?case=MVDC-L234", **bearer(admin)).json()
    assert [(m["id"], m["case"]) for m in found] == [(ours.pk, "MVDCL234")]


def test_the_demo_tsa_listens_on_loopback_only(pki: Path) -> None:
    with pytest.raises(ValueError, match="loopback"):
        serve_tsa(pki / "tsa.cert.pem", pki / "tsa.key.pem", host="0.0.0.0")  # noqa: S104  # nosec B104


@needs_openssl
def test_the_demo_tsa_answers_openssls_own_queries(pki: Path, tsa, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Any RFC 3161 client: openssl makes the query, the answer verifies with openssl."""
    import urllib.request

    data = tmp_path / "data.txt"
    data.write_text("hello")
    query = tmp_path / "q.tsq"
    subprocess.run(  # nosec B603 B607
        ["openssl", "ts", "-query", "-data", str(data), "-sha256", "-cert", "-out", str(query)],
        capture_output=True, timeout=30, check=True,
    )  # fmt: skip
    request = urllib.request.Request(  # noqa: S310
        tsa.url, data=query.read_bytes(), headers={"Content-Type": "application/timestamp-query"}
    )
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310  # nosec B310
        (tmp_path / "r.tsr").write_bytes(answer.read())
    checked = subprocess.run(  # nosec B603 B607
        ["openssl", "ts", "-verify", "-data", str(data), "-in", str(tmp_path / "r.tsr"),
         "-CAfile", str(pki / "root.cert.pem"), "-untrusted", str(pki / "tsa.cert.pem")],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert checked.returncode == 0 and "Verification: OK" in checked.stdout, checked.stderr
    refused = urllib.request.Request(tsa.url, data=b"not a query")  # noqa: S310
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(refused, timeout=10)  # noqa: S310  # nosec B310
    assert error.value.code == 400


@pytest.mark.django_db(transaction=True)
def test_a_tsa_that_is_down_holds_nothing_up_and_the_next_tick_asks_again(  # type: ignore[no-untyped-def]
    gent, tsa, settings
) -> None:
    import socket

    with socket.socket() as probe:  # a free port nothing listens on
        probe.bind(("127.0.0.1", 0))
        settings.ELOKET_MESSAGING_TSA_URL = f"http://127.0.0.1:{probe.getsockname()[1]}/"
    outgoing(gent)
    assert MessageLogTimestampJob().run(timezone.now()) == 0
    assert not MessageLogTimestamp.objects.exists()
    assert "No time-stamp yet" in verify()  # the log is intact, only not dated yet
    settings.ELOKET_MESSAGING_TSA_URL = tsa.url
    assert MessageLogTimestampJob().run(timezone.now()) == 1
    from eloket.common.schedule import periodic_jobs

    assert "message_log_timestamp" in periodic_jobs.ids()
