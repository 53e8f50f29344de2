"""Mutations applied fully (issue 14, point 4): an incoming mutation for a resident also
supersedes the certificates it makes untrue (verification and the API say "superseded"),
e-mails the citizen in their language, and a move between two municipalities served by
Eloket moves the person from one tenant's register to the other's."""

import datetime as dt
from pathlib import Path

import pytest

from conftest import citizen_user
from eloket.certificates.services import OrderRequest, order_submit
from eloket.documents.models import IssuedDocument
from eloket.identity.models import Citizen
from eloket.identity.selectors import citizen_actor_of
from eloket.messaging import keys, wire
from eloket.messaging.models import MessageState, RegistryMessage
from eloket.outbox.models import OutboxMessage
from eloket.register.models import Address, HouseholdMembership, Person
from eloket.register.selectors import person_list, resident_list

INBOX = "/api/v1/messaging/inbox"
MAX = 10 * 1024 * 1024


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("applied-pki") / "messaging"
    keys.demo_messaging_pki(directory)
    return directory


@pytest.fixture(autouse=True)
def configured(pki: Path, settings) -> None:  # type: ignore[no-untyped-def]
    settings.ELOKET_MESSAGING_DIR = str(pki)


@pytest.fixture
def registry(pki: Path) -> wire.Signer:
    return wire.Signer.from_files(pki / "registry.key.pem", pki / "registry.cert.pem")


@pytest.fixture
def send(client, django_capture_on_commit_callbacks, pki: Path):  # type: ignore[no-untyped-def]
    """Post to the inbox; what waits for the commit (applying, then the listeners of the
    register's change) runs, as in production."""
    trusts_eloket = wire.Verifier.from_file(pki / "eloket.cert.pem")

    def post(data: bytes) -> wire.Message:
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(INBOX, data=data, content_type="application/xml")
        return wire.receive(response.content, verifier=trusts_eloket, max_bytes=MAX).message

    return post


def mutation(
    registry: wire.Signer, kind: str, number: str, sequence: int, **parts: object
) -> bytes:
    body: list[wire.Field] = [
        ("Kind", kind),
        ("NationalNumber", number),
        ("Sequence", sequence),
        ("EffectiveDate", str(parts.pop("on", "2026-11-20"))),
        ("Municipality", str(parts.pop("nis", "44021"))),
    ]
    body += list(parts.items())
    return registry.sign(
        wire.build(
            "RegisterMutation", sender=keys.REGISTRY_PARTY, receiver=keys.ELOKET_PARTY, body=body
        )
    )


def address(street: str, postcode: str, city: str, nis: str) -> list[wire.Field]:
    return [
        ("Street", street),
        ("HouseNumber", "3"),
        ("Postcode", postcode),
        ("MunicipalityName", city),
        ("Municipality", nis),
    ]


def person_part(person: Person, where: list[wire.Field]) -> list[wire.Field]:
    return [
        ("NationalNumber", person.national_id),
        ("FirstNames", person.first_names),
        ("LastName", person.last_name),
        ("Sex", person.sex),
        ("BirthDate", person.birth_date.isoformat()),
        ("Nationality", person.nationality),
        ("Address", where),
    ]


def certificate(municipality, person, kind="residence"):  # type: ignore[no-untyped-def]
    from django.test import TestCase

    request = OrderRequest(
        certificate_type=kind,
        subject=person.national_id,
        language="nl",
        delivery="download",
        purpose="",
        contact_email="",
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        case, _created = order_submit(
            actor=citizen_actor_of(citizen_user(person)),
            municipality=municipality,
            order_request=request,
        )
    return IssuedDocument.objects.get(case=case)


def verified(client, document: IssuedDocument) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    page = client.get(f"/verify/{document.code}").content.decode()
    api = client.get(f"/api/v1/verify/{document.code}").json()
    return page, api["status"]


@pytest.mark.django_db
def test_an_address_change_supersedes_certificates_and_emails_the_citizen_in_their_language(
    send, client, gent, family, seals, registry: wire.Signer
) -> None:  # type: ignore[no-untyped-def]
    jan, sofie = family["Jan"], family["Sofie"]
    residence = certificate(gent, jan)
    household = certificate(gent, sofie, "household_composition")
    unrelated = certificate(gent, family["Pieter"])
    user = citizen_user(jan)
    user.email = "jan@example.org"
    user.save(update_fields=["email"])
    Citizen.objects.filter(user=user).update(preferred_language="fr")
    data = mutation(
        registry,
        "address_change",
        jan.national_id,
        1,
        on="2026-11-10",
        Address=address("Kouter", "9000", "Gent", "44021"),
    )
    assert send(data).body["Outcome"] == "received"
    assert RegistryMessage.objects.get().state == MessageState.APPLIED
    for document in (residence, household):
        document.refresh_from_db()
        assert document.status == "superseded"
        page, status = verified(client, document)
        assert status == "superseded"
        assert "superseded" in page or "achterhaald" in page
    unrelated.refresh_from_db()
    assert unrelated.status == "valid"
    (mail,) = [
        m
        for m in OutboxMessage.objects.filter(kind="email")
        if m.payload["to"] == ["jan@example.org"]
    ]
    assert "registre de la population" in mail.payload["subject"]
    assert "votre adresse a changé" in mail.payload["body"]
    assert "« dépassé »" in mail.payload["body"]
    assert jan.national_id not in mail.payload["body"] + mail.payload["subject"]
    # Sofie gave no e-mail address: nobody else is written to.
    assert OutboxMessage.objects.filter(kind="email").count() == 1


@pytest.mark.django_db
def test_a_death_or_a_citizen_without_address_sends_no_email(
    send, gent, family, registry: wire.Signer
) -> None:  # type: ignore[no-untyped-def]
    user = citizen_user(family["Pieter"])
    user.email = "pieter@example.org"
    user.save(update_fields=["email"])
    send(mutation(registry, "death", family["Pieter"].national_id, 1, on="2026-11-10"))
    send(mutation(registry, "name_change", family["Jan"].national_id, 1, LastName="Peters"))
    assert set(RegistryMessage.objects.values_list("state", flat=True)) == {MessageState.APPLIED}
    assert not OutboxMessage.objects.filter(kind="email").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("order", ["out_then_in", "in_then_out", "in_only"])
def test_a_move_between_two_served_municipalities_moves_the_register_record(
    order, send, client, gent, brugge, family, seals, registry: wire.Signer
) -> None:  # type: ignore[no-untyped-def]
    jan = family["Jan"]
    residence = certificate(gent, jan)
    household = certificate(gent, family["Sofie"], "household_composition")
    user = citizen_user(jan)
    user.email = "jan@example.org"
    user.save(update_fields=["email"])
    moved_out = mutation(
        registry, "moved_out", jan.national_id, 1, on="2026-11-15", ToMunicipality="31005"
    )
    moved_in = mutation(
        registry,
        "moved_in",
        jan.national_id,
        2 if order != "in_only" else 1,
        on="2026-11-15",
        nis="31005",
        Person=person_part(jan, address("Markt", "8000", "Brugge", "31005")),
    )
    batch = {
        "out_then_in": [moved_out, moved_in],
        "in_then_out": [moved_in, moved_out],  # the second waits for the first (sequence)
        "in_only": [moved_in],
    }[order]
    for data in batch:
        assert send(data).type == "Acknowledgement"
    assert set(RegistryMessage.objects.values_list("state", flat=True)) == {MessageState.APPLIED}
    jan.refresh_from_db()
    # Opened in Brugge: one person, in Brugge's register, living there.
    assert jan.municipality == brugge
    assert Person.objects.filter(national_id=jan.national_id).count() == 1
    assert jan in resident_list(municipality=brugge)
    here = Address.objects.get(person=jan, valid_to__isnull=True)
    assert (here.municipality, here.street, here.valid_from) == (
        brugge,
        "Markt",
        dt.date(2026, 11, 15),
    )
    assert HouseholdMembership.objects.get(person=jan, valid_to__isnull=True).municipality == brugge
    # Closed in Gent: the former address ends the day before, no household there any more.
    assert jan not in person_list(municipality=gent)
    before = Address.objects.get(person=jan, municipality=gent)
    assert before.valid_to == dt.date(2026, 11, 14)
    assert not HouseholdMembership.objects.filter(
        person=jan, municipality=gent, valid_to__isnull=True
    ).exists()
    # Gent's certificates about him (his residence, the household he left) no longer hold.
    for name, document in (("residence", residence), ("household", household)):
        assert (name, verified(client, document)[1]) == (name, "superseded")
    # Brugge knows him from now on: his account finds his record there.
    from eloket.identity.selectors import citizen_person

    assert citizen_person(user).municipality == brugge
    # He is told (once per register that changed), and nobody else.
    mails = list(OutboxMessage.objects.filter(kind="email"))
    assert mails and all(m.payload["to"] == ["jan@example.org"] for m in mails)
    assert any("Brugge" in m.payload["subject"] for m in mails)


@pytest.mark.django_db
def test_a_move_in_from_elsewhere_that_cannot_hold_changes_neither_register(
    send, gent, brugge, family, registry: wire.Signer
) -> None:  # type: ignore[no-untyped-def]
    jan = family["Jan"]
    # Before his current address started (1985): refused, both registers as they were.
    send(
        mutation(
            registry,
            "moved_in",
            jan.national_id,
            1,
            on="1980-01-01",
            nis="31005",
            Person=person_part(jan, address("Markt", "8000", "Brugge", "31005")),
        )
    )
    message = RegistryMessage.objects.get()
    assert message.state == MessageState.REFUSED and "invalid_date" in message.error
    jan.refresh_from_db()
    assert jan.municipality == gent
    assert Address.objects.get(person=jan, valid_to__isnull=True).street == "Veldstraat"
    assert not Address.objects.filter(municipality=brugge).exists()
