"""The inbox: mutations from the national register, stored first, acknowledged, then
applied once and in order.

`inbox_receive(data)` is what `POST /api/v1/messaging/inbox` does: read the bytes safely
and verify them (`wire.receive`); refuse what fails with a signed `Error`; store a new
message with its `messaging.apply` outbox row in one transaction and answer a signed
`Acknowledgement` (`received`); a message id seen before is acknowledged again
(`duplicate`) and changes nothing. Every message in and out is a row of the hash-chained
message log.

Applying (`messaging.apply`, a transactional outbox kind: the register change and the
message's new state commit together, so a crash applies it once or not at all): a
person's mutations are applied in their `Sequence` order; one that comes ahead of its
predecessor is `held`, and applied when the gap fills. Changes go through
`register.services` with the registry as a system actor for the municipality, authorized
like an officer's page would be.
"""

import datetime as dt
import hashlib
import logging
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from eloket.common.actors import Actor
from eloket.common.chain import ChainFamily, chain_append, chain_families
from eloket.common.errors import ApplicationError
from eloket.common.registry import Plugin, Registry
from eloket.messaging import wire
from eloket.messaging.keys import ELOKET_PARTY, own_signer, registry_verifier
from eloket.messaging.models import (
    Direction,
    MessageLogEntry,
    MessageState,
    PersonSequence,
    RegistryMessage,
)
from eloket.outbox.kinds import OutboxKind, outbox_kinds
from eloket.outbox.models import OutboxMessage
from eloket.outbox.queue import outbox_put
from eloket.tenants.models import Municipality

log = logging.getLogger(__name__)
CHAIN = "messages"


def _max_bytes() -> int:
    from django.conf import settings

    return int(settings.ELOKET_MESSAGING_MAX_BYTES)


def log_event(
    *,
    direction: str,
    message_type: str,
    message_id: str,
    correlation_id: str,
    event: str,
    xml: bytes,
    municipality: Municipality | None = None,
    detail: str = "",
) -> MessageLogEntry:
    return chain_append(
        MessageLogEntry(
            municipality_slug=municipality.slug if municipality else "",
            direction=direction,
            type=message_type,
            message_id=message_id[:80],
            correlation_id=correlation_id[:80],
            event=event,
            detail=detail[:300],
            xml_sha256=hashlib.sha256(xml).hexdigest(),
        ),
        chain=CHAIN,
    )


def _answer(
    message_type: str,
    *,
    receiver: str,
    correlation_id: str,
    body: list[wire.Field],
    municipality: Municipality | None = None,
) -> bytes:
    root = wire.build(
        message_type,
        sender=ELOKET_PARTY,
        receiver=receiver or "unknown",
        correlation_id=correlation_id if correlation_id else "",
        body=body,
    )
    data = own_signer().sign(root)
    sent = wire.read(root)
    log_event(
        direction=Direction.OUT,
        message_type=message_type,
        message_id=sent.message_id,
        correlation_id=sent.correlation_id,
        event="sent",
        xml=data,
        municipality=municipality,
    )
    return data


def _refuse(data: bytes, exc: ApplicationError, envelope: dict[str, str]) -> bytes:
    message_id = envelope.get("message_id", "")
    usable = message_id if _identifier(message_id) else ""
    with transaction.atomic():
        log_event(
            direction=Direction.IN,
            message_type="unknown",
            message_id=message_id or "unreadable",
            correlation_id="",
            event="refused",
            detail=exc.code,
            xml=data,
        )
        return _answer(
            "Error",
            receiver=envelope.get("sender", "") if _identifier(envelope.get("sender", "")) else "",
            correlation_id=usable,
            body=[
                ("RefersTo", message_id or "unknown"),
                ("Code", exc.code),
                ("Text", str(exc)[:1000]),
            ],
        )


def _identifier(value: str) -> bool:
    import re

    return bool(re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._:\-]{0,79}", value or ""))


def inbox_receive(data: bytes) -> bytes:
    """Take one message from a registry; the signed answer (Acknowledgement or Error)."""
    max_bytes = _max_bytes()
    try:
        verified = wire.receive(data, verifier=registry_verifier(), max_bytes=max_bytes)
        message = verified.message
        if message.type != "RegisterMutation":
            raise wire.MessageRefused(
                _("The inbox takes register mutations only."), code="wrong_type"
            )
        municipality = Municipality.objects.filter(
            country="BE", nis_code=message.body.get("Municipality", "")
        ).first()
        if municipality is None:
            raise wire.MessageRefused(
                _("This platform does not keep the register of that municipality."),
                code="not_served",
            )
    except wire.MessageRefused as exc:
        envelope = wire.envelope_of(data, max_bytes=max_bytes) if len(data) <= max_bytes else {}
        return _refuse(data, exc, envelope)
    with transaction.atomic():
        existing = (
            RegistryMessage.objects.select_for_update()
            .filter(direction=Direction.IN, message_id=message.message_id)
            .first()
        )
        if existing is None:
            stored = RegistryMessage.objects.create(
                municipality=municipality,
                direction=Direction.IN,
                type=message.type,
                message_id=message.message_id,
                correlation_id=message.correlation_id,
                sender=message.sender,
                receiver=message.receiver,
                state=MessageState.RECEIVED,
                kind=message.body.get("Kind", ""),
                national_number=message.body.get("NationalNumber", ""),
                sequence=int(message.body.get("Sequence", 0)),
                xml=verified.signed_bytes,
            )
            outbox_put(
                municipality=municipality,
                kind="messaging.apply",
                payload={"message": stored.pk},
                ref=f"message:{stored.pk}",
            )
        log_event(
            direction=Direction.IN,
            message_type=message.type,
            message_id=message.message_id,
            correlation_id=message.correlation_id,
            event="received" if existing is None else "duplicate",
            detail=message.body.get("Kind", ""),
            xml=verified.signed_bytes,
            municipality=municipality,
        )
        return _answer(
            "Acknowledgement",
            receiver=message.sender,
            correlation_id=message.message_id,
            body=[
                ("Acknowledged", message.message_id),
                ("Outcome", "received" if existing is None else "duplicate"),
            ],
            municipality=municipality,
        )


# --- Applying


def _date(value: str) -> dt.date:
    return dt.date.fromisoformat(value)


def _apply_one(message: RegistryMessage) -> None:
    """Apply one mutation to the register (raises ApplicationError when it cannot)."""
    from eloket.register.records import AddressRecord, PersonRecord
    from eloket.register.services import (
        person_move,
        person_move_out,
        person_record_death,
        person_record_marriage,
        person_rename,
        person_transfer,
        register_import_records,
    )

    municipality = message.municipality
    assert municipality is not None  # nosec B101 (inbox_receive sets it)
    body = wire.read(wire.parse(bytes(message.xml), max_bytes=_max_bytes())).body
    actor = Actor.system("national register", municipality)
    effective = _date(body["EffectiveDate"])
    kind = body["Kind"]
    if kind in ("birth", "moved_in"):
        person = body.get("Person")
        if not isinstance(person, dict):
            raise ApplicationError(_("The mutation names no person."), code="incomplete")
        address = person.get("Address") or body.get("Address")
        elsewhere = _registered_elsewhere(municipality, person["NationalNumber"])
        if kind == "moved_in" and elsewhere is not None:
            # From another municipality this platform serves: one person, one register.
            if not isinstance(address, dict):
                raise ApplicationError(_("The mutation names no address."), code="incomplete")
            person_transfer(
                actor=actor,
                municipality=municipality,
                from_actor=Actor.system("national register", elsewhere),
                national_id=person["NationalNumber"],
                street=address["Street"],
                house_number=address["HouseNumber"],
                box=address.get("Box", ""),
                postcode=address["Postcode"],
                municipality_name=address["MunicipalityName"],
                moved_on=effective,
            )
            return
        addresses = []
        if isinstance(address, dict):
            addresses.append(
                AddressRecord(
                    street=address["Street"],
                    house_number=address["HouseNumber"],
                    box=address.get("Box", ""),
                    postcode=address["Postcode"],
                    municipality_name=address["MunicipalityName"],
                    valid_from=effective,
                )
            )
        register_import_records(
            actor=actor,
            municipality=municipality,
            persons=[
                PersonRecord(
                    national_id=person["NationalNumber"],
                    first_names=person["FirstNames"],
                    last_name=person["LastName"],
                    sex=person["Sex"],
                    birth_date=_date(person["BirthDate"]),
                    birth_place=person.get("BirthPlace", ""),
                    nationality=person["Nationality"],
                    addresses=addresses,
                )
            ],
            events=[],
        )
    elif kind == "death":
        person_record_death(
            actor=actor,
            municipality=municipality,
            national_id=body["NationalNumber"],
            died_on=effective,
        )
    elif kind == "address_change":
        address = body.get("Address")
        if not isinstance(address, dict):
            raise ApplicationError(_("The mutation names no address."), code="incomplete")
        person_move(
            actor=actor,
            municipality=municipality,
            national_id=body["NationalNumber"],
            street=address["Street"],
            house_number=address["HouseNumber"],
            box=address.get("Box", ""),
            postcode=address["Postcode"],
            municipality_name=address["MunicipalityName"],
            moved_on=effective,
        )
    elif kind == "moved_out":
        if _registered_elsewhere(municipality, body["NationalNumber"]) is not None:
            return  # their `moved_in` elsewhere on the platform came first and closed it
        person_move_out(
            actor=actor,
            municipality=municipality,
            national_id=body["NationalNumber"],
            moved_on=effective,
        )
    elif kind == "name_change":
        person_rename(
            actor=actor,
            municipality=municipality,
            national_id=body["NationalNumber"],
            on=effective,
            first_names=body.get("FirstNames", ""),
            last_name=body.get("LastName", ""),
        )
    elif kind == "marriage":
        person_record_marriage(
            actor=actor,
            municipality=municipality,
            national_id=body["NationalNumber"],
            married_on=effective,
        )
    else:
        raise ApplicationError(
            _("Eloket does not apply this kind of mutation yet."), code="not_supported"
        )


def _registered_elsewhere(municipality: Municipality, national_number: str) -> Any:
    """The other municipality on this platform whose register holds the person, or None."""
    from eloket.register.selectors import person_for_identifier

    person = person_for_identifier(national_id=national_number, country=municipality.country)
    if person is None or person.municipality_id == municipality.pk:
        return None
    return person.municipality


class AppliedListener(Plugin):
    """What follows a mutation applied to the register (the citizen is told): called in
    the transaction that applies it. Apps above messaging register here."""

    def applied(self, message: RegistryMessage, body: dict[str, Any]) -> None:
        raise NotImplementedError


applied_listeners: Registry[AppliedListener] = Registry(
    "applied_listeners", description="applied incoming mutation listener"
)


def message_apply(message_pk: int) -> None:
    """Apply a received mutation if it is next in its person's order, then any held
    mutation of that person it was waiting for. Call inside a transaction."""
    message = RegistryMessage.objects.select_for_update().filter(pk=message_pk).first()
    if message is None or message.state != MessageState.RECEIVED:
        return
    order, _created = PersonSequence.objects.select_for_update().get_or_create(
        sender=message.sender, national_number=message.national_number
    )
    while message is not None:
        expected = order.last_applied + 1
        if (message.sequence or 0) > expected:
            message.state = MessageState.HELD
            message.save(update_fields=["state"])
            _log_state(message, "held")
            return
        if (message.sequence or 0) < expected:
            _finish(message, MessageState.REFUSED, "stale", "an earlier number than applied")
        else:
            try:
                with transaction.atomic():
                    _apply_one(message)
                    body = wire.read(wire.parse(bytes(message.xml), max_bytes=_max_bytes())).body
                    for listener in applied_listeners:
                        listener.applied(message, body)
                _finish(message, MessageState.APPLIED, "applied")
            except ApplicationError as exc:
                # Refused, and the order moves on: a bad mutation does not stop the next.
                _finish(message, MessageState.REFUSED, "refused", f"{exc.code}: {exc}")
            order.last_applied = expected
            order.save(update_fields=["last_applied"])
        message = (
            RegistryMessage.objects.select_for_update()
            .filter(
                direction=Direction.IN,
                sender=message.sender,
                national_number=message.national_number,
                state=MessageState.HELD,
                sequence=order.last_applied + 1,
            )
            .first()
        )


def _finish(message: RegistryMessage, state: str, event: str, error: str = "") -> None:
    message.state = state
    message.error = error[:1000]
    message.applied_at = timezone.now()
    message.save(update_fields=["state", "error", "applied_at"])
    _log_state(message, event, detail=error.split(":")[0])


def _log_state(message: RegistryMessage, event: str, detail: str = "") -> None:
    log_event(
        direction=message.direction,
        message_type=message.type,
        message_id=message.message_id,
        correlation_id=message.correlation_id,
        event=event,
        detail=detail or message.kind,
        xml=bytes(message.xml),
        municipality=message.municipality,
    )


@outbox_kinds.register("messaging.apply")
class ApplyMutation(OutboxKind):
    verbose_name = "apply a register mutation from the national register"
    transactional = True
    inline = True

    def deliver(self, message: OutboxMessage) -> None:
        message_apply(int(message.payload["message"]))

    def describe(self, message: OutboxMessage) -> str:
        return f"register mutation {message.payload.get('message')}"


@chain_families.register("messages")
class MessageLogChains(ChainFamily):
    verbose_name = "message log"
    prefix = CHAIN

    def entries(self) -> Any:
        return MessageLogEntry.objects.all()
