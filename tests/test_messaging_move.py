"""A move declaration (issue 14, point 6): the citizen declares their own move as a
service of the library, the officer confirms the residence check on the request's page,
the register changes and a signed mutation is queued in that transaction; the national
register peer's signed acknowledgement closes the request. Refusals change nothing."""

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
from django.test import Client
from django.utils import timezone

from conftest import citizen_user, free_port, officer_login_client
from eloket.cases.models import Case, StatusChange
from eloket.common.actors import Actor
from eloket.common.errors import ApplicationError
from eloket.identity.models import OfficerRole
from eloket.identity.selectors import citizen_actor_of, officer_actor
from eloket.messaging import keys, wire
from eloket.messaging.models import MessageState, RegistryMessage
from eloket.messaging.outgoing import KIND
from eloket.outbox.models import OutboxMessage
from eloket.register.models import Address
from eloket.services.definition import service_file_problems
from eloket.services.library import library_definition
from eloket.services.services import InvalidAnswers, service_library_enable, service_request_submit


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("move-pki") / "messaging"
    keys.demo_messaging_pki(directory)
    return directory


@pytest.fixture(scope="module")
def peer(pki: Path) -> Iterator[str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "eloket.conf.test"}
    process = subprocess.Popen(  # nosec B603
        [sys.executable, "-m", "eloket", "registry-peer", "--port", str(port), "--pki", str(pki)],
        env=env,
    )
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


@pytest.fixture(autouse=True)
def configured(pki: Path, settings) -> None:  # type: ignore[no-untyped-def]
    settings.ELOKET_MESSAGING_DIR = str(pki)
    settings.ELOKET_REGISTRY_TIMEOUT = 5


@pytest.fixture
def move(gent, brugge, family, make_officer):  # type: ignore[no-untyped-def]
    for municipality in (gent, brugge):
        service_library_enable(
            actor=Actor.system("test", municipality),
            municipality=municipality,
            code="move_declaration",
        )
    clerk = make_officer("paula", gent)
    OfficerRole.objects.filter(user=clerk).update(department="population")
    other = make_officer("bart", brugge)
    OfficerRole.objects.filter(user=other).update(department="population")
    return {
        "jan": citizen_user(family["Jan"]),
        "sofie": citizen_user(family["Sofie"]),
        "clerk": clerk,
        "clerk_actor": officer_actor(OfficerRole.objects.get(user=clerk)),
        "brugge_clerk": other,
    }


YESTERDAY = timezone.localdate() - dt.timedelta(days=1)
NEW = {"street": "Korenmarkt", "number": "5", "box": "2", "postcode": "9000", "city": "Gent"}


def declare(gent, user, **answers):  # type: ignore[no-untyped-def]
    case, _new = service_request_submit(
        actor=citizen_actor_of(user),
        municipality=gent,
        code="move_declaration",
        answers={"new_address": NEW, "moved_on": YESTERDAY.isoformat(), **answers},
        contact_email="jan@example.org",
    )
    return case


def current(person) -> Address:  # type: ignore[no-untyped-def]
    return Address.objects.get(person=person, valid_to__isnull=True)


def test_the_library_definition_is_valid_and_must_keep_what_a_move_needs() -> None:
    definition = library_definition("move_declaration")
    assert service_file_problems(definition) == []
    assert set(definition["names"]) == {"en", "nl", "fr", "de", "ko"}
    broken = json.loads(json.dumps(definition))
    broken["workflow"]["transitions"] = [
        t for t in broken["workflow"]["transitions"] if t["action"] != "registered"
    ]
    broken["on_behalf"] = {"grounds": ["parent"]}
    broken["approval_chain"] = {
        "steps": [{"name": "head", "title": {"en": "Head"}, "approvers": [{"role": "head"}]}]
    }
    paths = [path for path, _problem in service_file_problems(broken)]
    assert {"/register_change", "/on_behalf", "/approval_chain"} <= set(paths), paths


@pytest.mark.django_db
def test_bad_declarations_are_refused_in_the_citizens_language_and_store_nothing(
    gent, move, family
) -> None:  # type: ignore[no-untyped-def]
    from django.utils import translation

    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    with translation.override("nl"), pytest.raises(InvalidAnswers) as exc:
        declare(gent, move["jan"], moved_on=tomorrow.isoformat())
    assert "vandaag" in exc.value.problems["moved_on"]
    same = {"street": "Veldstraat", "number": "1", "postcode": "9000", "city": "Gent"}
    with pytest.raises(InvalidAnswers) as exc:
        declare(gent, move["jan"], new_address=same)
    assert "already has" in exc.value.problems["new_address"]
    with pytest.raises(InvalidAnswers):
        declare(gent, move["jan"], moved_on="1980-01-01")
    assert not Case.objects.filter(kind="move_declaration").exists()


@pytest.mark.django_db
def test_confirmation_moves_the_requester_and_queues_one_signed_mutation(
    gent, move, family, client, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    jan = family["Jan"]
    case = declare(gent, move["jan"])
    assert case.status == "submitted"
    officer_login_client(client, move["clerk"])
    page = client.get(f"/gent/backoffice/requests/{case.tracking_code}").content.decode()
    assert "Woonstcontrole bevestigen" in page and "Korenmarkt" in page
    with django_capture_on_commit_callbacks(execute=False):
        client.post(f"/gent/backoffice/requests/{case.tracking_code}/act", {"action": "approve"})
    case.refresh_from_db()
    assert case.status == "confirmed" and case.closed_at is None
    address = current(jan)
    assert (address.street, address.house_number, address.box) == ("Korenmarkt", "5", "2")
    assert address.valid_from == YESTERDAY
    # Only the requester moved: Sofie, in the same household, stays where she was.
    assert current(family["Sofie"]).street == "Veldstraat"
    message = RegistryMessage.objects.get(direction="out")
    assert message.case_code == case.tracking_code and message.kind == "address_change"
    assert message.state == MessageState.QUEUED
    body = wire.read(wire.parse(bytes(message.xml), max_bytes=10**7)).body
    assert body["NationalNumber"] == jan.national_id
    assert body["Address"]["Street"] == "Korenmarkt" and body["Municipality"] == "44021"
    assert OutboxMessage.objects.filter(kind=KIND, payload__message=message.pk).count() == 1


@pytest.mark.django_db
def test_a_refused_residence_check_changes_nothing_in_the_register(
    gent, move, family, client
) -> None:  # type: ignore[no-untyped-def]
    case = declare(gent, move["jan"])
    officer_login_client(client, move["clerk"])
    act = f"/gent/backoffice/requests/{case.tracking_code}/act"
    client.post(act, {"action": "reject", "reason": " "})
    assert Case.objects.get(pk=case.pk).status == "submitted"  # a reason is required
    client.post(act, {"action": "reject", "reason": "Nobody lives there; the letterbox is sealed."})
    case.refresh_from_db()
    assert case.status == "rejected" and case.closed_at is not None
    assert current(family["Jan"]).street == "Veldstraat"
    assert not RegistryMessage.objects.exists()
    citizen = Client()
    citizen.force_login(move["jan"])
    assert (
        "letterbox is sealed"
        in citizen.get(f"/gent/requests/{case.tracking_code}").content.decode()
    )


@pytest.mark.django_db
def test_a_failing_mutation_rolls_back_the_register_and_the_step(
    gent, move, family, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from eloket.cases.services import case_act
    from eloket.services import moves

    case = declare(gent, move["jan"])

    def broken(**kwargs: object) -> None:
        raise ApplicationError("the signing key is missing", code="no_key")

    monkeypatch.setattr(moves, "mutation_queue", broken)
    with pytest.raises(ApplicationError):
        case_act(actor=move["clerk_actor"], municipality=gent, case=case, action="approve")
    assert Case.objects.get(pk=case.pk).status == "submitted"
    assert current(family["Jan"]).street == "Veldstraat"
    assert not StatusChange.objects.filter(case=case, action="approve").exists()


@pytest.mark.django_db
def test_only_the_own_move_and_only_the_own_municipality(
    gent, brugge, move, family, client
) -> None:  # type: ignore[no-untyped-def]
    case = declare(gent, move["jan"])
    # Sofie cannot act on Jan's declaration, nor see it.
    sofie = Client()
    sofie.force_login(move["sofie"])
    assert sofie.get(f"/gent/requests/{case.tracking_code}").status_code == 404
    assert sofie.post(
        f"/gent/requests/{case.tracking_code}/act", {"action": "withdraw"}
    ).status_code in (403, 404)
    # A clerk of Brugge: 404 on Gent's request, with Brugge's address or Gent's.
    officer_login_client(client, move["brugge_clerk"])
    assert client.get(f"/gent/backoffice/requests/{case.tracking_code}").status_code in (
        302,
        403,
        404,
    )
    assert client.get(f"/brugge/backoffice/requests/{case.tracking_code}").status_code == 404
    assert (
        client.post(
            f"/brugge/backoffice/requests/{case.tracking_code}/act", {"action": "approve"}
        ).status_code
        == 404
    )
    assert Case.objects.get(pk=case.pk).status == "submitted"
    assert current(family["Jan"]).street == "Veldstraat"
    # The form asks nothing about whose move it is: answers naming someone else are refused.
    with pytest.raises(InvalidAnswers):
        declare(gent, move["jan"], person=str(family["Sofie"].pk))


@pytest.mark.django_db(transaction=True)
def test_round_trip_with_the_national_register_peer(
    gent, move, family, peer: str, settings
) -> None:  # type: ignore[no-untyped-def]
    from eloket.cases.services import case_act

    settings.ELOKET_REGISTRY_URL = peer
    case = declare(gent, move["jan"])
    case_act(actor=move["clerk_actor"], municipality=gent, case=case, action="approve")
    # The outbox tried right after the commit: the register acknowledged it, the request
    # is done, and the citizen reads the last step on their page.
    message = RegistryMessage.objects.get(direction="out", case_code=case.tracking_code)
    assert message.state == MessageState.DELIVERED
    case.refresh_from_db()
    assert case.status == "registered" and case.closed_at is not None
    last = StatusChange.objects.filter(case=case).last()
    assert last.action == "registered" and last.actor_kind == "system"
    with urllib.request.urlopen(f"{peer}/received", timeout=10) as response:  # noqa: S310
        seen = json.loads(response.read())
    assert seen["received"][message.message_id] == "address_change"
    assert seen["posts"][message.message_id] == 1
    citizen = Client()
    citizen.force_login(move["jan"])
    page = citizen.get(f"/gent/requests/{case.tracking_code}").content.decode()
    assert "Het Rijksregister heeft uw nieuwe adres opgenomen." in page
    # The e-mail of the outcome, in the language the declaration was made in.
    assert OutboxMessage.objects.filter(kind="email", ref=f"case:{case.tracking_code}").exists()

    # The request's evidence (docs/messaging.md): the signed mutation and the register's
    # signed acknowledgement, both verified again, and exported for an auditor.
    import io
    import zipfile

    from django.core.management import call_command

    settings.ELOKET_TRUST_ROOTS = str(Path(settings.ELOKET_MESSAGING_DIR).parent / "root.cert.pem")
    said = io.StringIO()
    call_command("messages", "verify", stdout=said)
    assert "The message log is intact." in said.getvalue()
    out = Path(settings.ELOKET_MESSAGING_DIR).parent / f"{case.tracking_code}.zip"
    call_command(
        "messages", "export", "--case", case.tracking_code, "--out", str(out), stdout=io.StringIO()
    )
    with zipfile.ZipFile(out) as archive:
        names = [n for n in archive.namelist() if n.startswith("messages/")]
    assert len(names) == 2 and any(n.endswith(".acknowledgement.xml") for n in names)


@pytest.mark.django_db
def test_the_citizen_declares_on_the_pages_and_a_wrong_date_is_refused_at_its_step(
    gent, move, family
) -> None:  # type: ignore[no-untyped-def]
    jan = Client()
    jan.force_login(move["jan"])
    start = jan.post("/gent/services/move_declaration")
    assert start.status_code == 302
    step_url = start["Location"]
    assert step_url.endswith("/address")
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    address = {f"new_address.{key}": value for key, value in NEW.items()}
    refused = jan.post(step_url, {**address, "moved_on": tomorrow})
    assert refused.status_code == 400
    assert "ten laatste vandaag" in refused.content.decode()  # Gent's language
    went_on = jan.post(step_url, {**address, "moved_on": YESTERDAY.isoformat()})
    assert went_on.status_code == 302
    contact = jan.post(went_on["Location"], {"phone": "+32 9 123 45 67"})
    check = contact["Location"]
    assert check.endswith("/check")
    sent = jan.post(check, {"email": "jan@example.org"})
    assert sent.status_code == 302
    case = Case.objects.get(kind="move_declaration")
    assert case.status == "submitted" and case.contact_email == "jan@example.org"
    assert current(family["Jan"]).street == "Veldstraat"  # nothing moves before the check


@pytest.mark.django_db(transaction=True)
def test_a_move_in_from_another_municipality_declared_where_one_moves_to(
    gent, brugge, move, family, peer: str, settings, seals
) -> None:  # type: ignore[no-untyped-def]
    """Jan of Gent declares at Brugge; Brugge's clerk confirms: his record passes from
    Gent's register to Brugge's in that step, Gent's certificates about him no longer
    hold, and the national register, told of the move in, acknowledges it."""
    from django.test import TestCase

    from eloket.cases.services import case_act
    from eloket.certificates.services import OrderRequest, order_submit
    from eloket.documents.models import IssuedDocument
    from eloket.register.models import Person

    settings.ELOKET_REGISTRY_URL = peer
    jan = family["Jan"]
    with TestCase.captureOnCommitCallbacks(execute=True):
        order, _created = order_submit(
            actor=citizen_actor_of(move["jan"]),
            municipality=gent,
            order_request=OrderRequest(
                certificate_type="residence",
                subject=jan.national_id,
                language="nl",
                delivery="download",
                purpose="",
                contact_email="",
            ),
        )
    residence = IssuedDocument.objects.get(case=order)
    brugge_address = {"street": "Markt", "number": "1", "postcode": "8000", "city": "Brugge"}
    case, _new = service_request_submit(
        actor=citizen_actor_of(move["jan"]),
        municipality=brugge,
        code="move_declaration",
        answers={"new_address": brugge_address, "moved_on": YESTERDAY.isoformat()},
    )
    assert Person.objects.get(pk=jan.pk).municipality == gent  # nothing before the check
    clerk = OfficerRole.objects.get(user=move["brugge_clerk"])
    case_act(actor=officer_actor(clerk), municipality=brugge, case=case, action="approve")
    jan.refresh_from_db()
    assert jan.municipality == brugge
    assert current(jan).street == "Markt" and current(jan).municipality == brugge
    assert Address.objects.get(person=jan, municipality=gent).valid_to == YESTERDAY - dt.timedelta(
        days=1
    )
    message = RegistryMessage.objects.get(direction="out", case_code=case.tracking_code)
    assert message.kind == "moved_in" and message.state == MessageState.DELIVERED
    body = wire.read(wire.parse(bytes(message.xml), max_bytes=10**7)).body
    assert body["Municipality"] == "31005" and body["Person"]["Address"]["Street"] == "Markt"
    case.refresh_from_db()
    assert case.status == "registered"
    residence.refresh_from_db()
    assert residence.status == "superseded"
