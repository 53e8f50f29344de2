"""The inbox: mutations from the national register, stored first, acknowledged, then
applied once and in order.

`inbox_receive(data)` is what `POST /api/v1/messaging/inbox` does: read the bytes safely
and verify them (`wire.receive`); refuse what fails with a signed `Error`; store a new
message with its `messaging.apply` outbox row in one transaction and answer a signed
`Acknowledgement` (`received`); a message id seen before is acknowledged again
(`duplicate`) and changes nothing. Every message in and out is a row of the hash-chained
message log (what Eloket signs as an answer with its signed XML: `MessageLogEntry.xml`).
A `MessageBatch` is taken the same way, each message on its own, in one transaction, and
answered with one signed `BatchAcknowledgement`; its messages are applied together, in
the order they came. A batch in which no message verifies is refused whole (one `Error`,
one log entry), as a single message would be.

Applying (`messaging.apply`, a transactional outbox kind: the register change and the
message's new state commit together, so a crash applies it once or not at all): a
person's mutations are applied in their `Sequence` order; one that comes ahead of its
predecessor is `held`, and applied when the gap fills. Changes go through
`register.services` with the registry as a system actor for the municipality, authorized
like an officer's page would be.
"""

import contextlib
import datetime as dt
import hashlib
import logging
import threading
from collections.abc import Iterator
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from eloket.common.actors import Actor
from eloket.common.chain import ChainFamily, chain_append, chain_append_many, chain_families
from eloket.common.errors import ApplicationError
from eloket.common.registry import Plugin, Registry
from eloket.messaging import wire
from eloket.messaging.keys import ELOKET_PARTY, REGISTRY_PARTY, own_signer, registry_verifier
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
XML_KEPT = "signed XML kept"


def _max_bytes() -> int:
    from django.conf import settings

    return int(settings.ELOKET_MESSAGING_MAX_BYTES)


def _entry(
    *,
    direction: str,
    message_type: str,
    message_id: str,
    correlation_id: str,
    event: str,
    xml: bytes,
    municipality: Municipality | None = None,
    detail: str = "",
    keep_xml: bool = False,
) -> MessageLogEntry:
    return MessageLogEntry(
        municipality_slug=municipality.slug if municipality else "",
        direction=direction,
        type=message_type,
        message_id=message_id[:80],
        correlation_id=correlation_id[:80],
        event=event,
        # Chained: an entry whose signed XML was kept says so, and `messages verify` finds
        # it gone should anyone empty it (legacy entries without the word are not asked).
        detail=(XML_KEPT if keep_xml else detail)[:300],
        xml_sha256=hashlib.sha256(xml).hexdigest(),
        xml=xml if keep_xml else b"",
    )


def log_event(**fields: Any) -> MessageLogEntry | None:
    """One entry at the end of the message log (`keep_xml`: the signed XML itself too, for
    what Eloket signs and keeps nowhere else). Inside `deferred_log()` it is collected and
    appended with the others when that block ends (one lock of the chain's head)."""
    pending = getattr(_deferred, "entries", None)
    if pending is not None:
        pending.append(_entry(**fields))
        return None
    return chain_append(_entry(**fields), chain=CHAIN)


def log_events(events: list[dict[str, Any]]) -> list[MessageLogEntry]:
    """Several entries, in order, appended at once (`chain_append_many`)."""
    entries = [_entry(**fields) for fields in events]
    pending = getattr(_deferred, "entries", None)
    if pending is not None:
        pending.extend(entries)
        return entries
    return chain_append_many(entries, chain=CHAIN)


_deferred = threading.local()


@contextlib.contextmanager
def deferred_log() -> Iterator[None]:
    """Log entries written inside are appended together when the block ends (in the
    caller's transaction: a rollback takes them along)."""
    if getattr(_deferred, "entries", None) is not None:  # nested: the outer block appends
        yield
        return
    _deferred.entries = []
    try:
        yield
        entries, _deferred.entries = _deferred.entries, None
        chain_append_many(entries, chain=CHAIN)
    finally:
        _deferred.entries = None


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
        keep_xml=True,
    )
    return data


def _refuse(data: bytes, exc: ApplicationError, envelope: dict[str, str]) -> bytes:
    message_id = envelope.get("message_id", "")
    usable = message_id if _identifier(message_id) else ""
    with transaction.atomic(), deferred_log():
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


def _for_us(verified: wire.Verified, municipalities: dict[str, Any]) -> Municipality:
    """The municipality a verified mutation is for, or MessageRefused."""
    message = verified.message
    if message.type != "RegisterMutation":
        raise wire.MessageRefused(_("The inbox takes register mutations only."), code="wrong_type")
    # The envelope is signed with the rest: a message the register signed for another
    # party (another platform, a copy it was sent) is not Eloket's to apply, and the
    # register does not speak in another sender's name.
    if message.receiver != ELOKET_PARTY:
        raise wire.MessageRefused(
            _("The message is addressed to another party."), code="wrong_receiver"
        )
    if message.sender != REGISTRY_PARTY:
        raise wire.MessageRefused(
            _("The message names a sender other than the national register."),
            code="wrong_sender",
        )
    nis = str(message.body.get("Municipality", ""))
    if nis not in municipalities:
        municipalities[nis] = Municipality.objects.filter(country="BE", nis_code=nis).first()
    if municipalities[nis] is None:
        raise wire.MessageRefused(
            _("This platform does not keep the register of that municipality."),
            code="not_served",
        )
    return municipalities[nis]


def inbox_receive(data: bytes) -> bytes:
    """Take one message, or a `MessageBatch` of them, from a registry; the signed answer
    (an Acknowledgement, a BatchAcknowledgement, or an Error)."""
    max_bytes = _max_bytes()
    try:
        root = wire.parse(data, max_bytes=max_bytes)
        if wire.is_batch(root):
            envelope, items = wire.batch_read(root, verifier=registry_verifier())
            if not any(item.verified is not None for item in items):
                # Nobody trusted sent it: one refusal, not a log entry per message (anyone
                # may post here; a thousand unsigned messages would be a thousand entries).
                raise wire.MessageRefused(
                    _("No message in the batch is signed by a registry trusted here."),
                    code="nothing_verified",
                )
            return _receive_batch(envelope, items)
        verified = registry_verifier().verify(root)
        message = verified.message
        municipality = _for_us(verified, {})
    except wire.MessageRefused as exc:
        envelope_ = wire.envelope_of(data, max_bytes=max_bytes) if len(data) <= max_bytes else {}
        return _refuse(data, exc, envelope_)
    with transaction.atomic(), deferred_log():  # the two entries appended at once
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


def _receive_batch(envelope: wire.Message, items: list[wire.BatchItem]) -> bytes:
    """A batch: each message verified on its own (above), then in one transaction the new
    ones stored with their `messaging.apply` outbox row (one per municipality, applying
    them in order), every message's log entry, and one signed `BatchAcknowledgement`
    listing each message's outcome (received, duplicate, refused with its code)."""
    municipalities: dict[str, Any] = {}
    outcomes: list[wire.Outcome] = []
    taken: list[tuple[wire.BatchItem, wire.Message, Municipality]] = []
    refused: list[tuple[wire.BatchItem, wire.MessageRefused]] = []
    for item in items:
        try:
            if item.verified is None:
                raise item.refused or wire.MessageRefused("refused", code="refused")
            taken.append((item, item.verified.message, _for_us(item.verified, municipalities)))
        except wire.MessageRefused as exc:
            refused.append((item, exc))
    with transaction.atomic():
        existing = set(
            RegistryMessage.objects.select_for_update()
            .filter(direction=Direction.IN, message_id__in=[m.message_id for _i, m, _m in taken])
            .values_list("message_id", flat=True)
        )
        rows: list[RegistryMessage] = []
        events: list[dict[str, Any]] = []
        for item, message, municipality in taken:
            duplicate = message.message_id in existing
            existing.add(message.message_id)
            if not duplicate:
                assert item.verified is not None  # nosec B101
                rows.append(
                    RegistryMessage(
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
                        xml=item.verified.signed_bytes,
                    )
                )
            outcome = "duplicate" if duplicate else "received"
            outcomes.append(wire.Outcome(item.position, message.message_id, outcome))
            events.append(
                dict(
                    direction=Direction.IN,
                    message_type=message.type,
                    message_id=message.message_id,
                    correlation_id=message.correlation_id,
                    event=outcome,
                    detail=message.body.get("Kind", ""),
                    xml=item.verified.signed_bytes if item.verified else item.data,
                    municipality=municipality,
                )
            )
        for item, refusal in refused:
            outcomes.append(
                wire.Outcome(item.position, item.message_id, "refused", refusal.code, str(refusal))
            )
            events.append(
                dict(
                    direction=Direction.IN,
                    message_type="unknown",
                    message_id=item.message_id or "unreadable",
                    correlation_id="",
                    event="refused",
                    detail=refusal.code,
                    xml=item.data,
                )
            )
        created = RegistryMessage.objects.bulk_create(rows)
        by_municipality: dict[int, list[RegistryMessage]] = {}
        for row in created:
            by_municipality.setdefault(row.municipality_id or 0, []).append(row)
        for group in by_municipality.values():
            outbox_put(
                municipality=group[0].municipality,
                kind="messaging.apply",
                payload={"messages": [row.pk for row in group]},
                ref=f"message:{group[0].pk}",
            )
        outcomes.sort(key=lambda o: o.position)
        root = wire.batch_acknowledgement(
            outcomes,
            sender=ELOKET_PARTY,
            receiver=envelope.sender if _identifier(envelope.sender) else "unknown",
            batch_id=envelope.message_id,
        )
        answer = own_signer().sign(root)
        sent = wire.read(root)
        events.append(
            dict(
                direction=Direction.OUT,
                message_type="BatchAcknowledgement",
                message_id=sent.message_id,
                correlation_id=sent.correlation_id,
                event="sent",
                xml=answer,
                keep_xml=True,
            )
        )
        log_events(events)
    return answer


# --- Applying


def _date(value: str) -> dt.date:
    return dt.date.fromisoformat(value)


def _person_record(body: dict[str, Any]) -> Any:
    """The register record of a birth's or a move in's person."""
    from eloket.register.records import AddressRecord, PersonRecord

    person = body.get("Person")
    if not isinstance(person, dict):
        raise ApplicationError(_("The mutation names no person."), code="incomplete")
    address = person.get("Address") or body.get("Address")
    addresses = []
    if isinstance(address, dict):
        addresses.append(
            AddressRecord(
                street=address["Street"],
                house_number=address["HouseNumber"],
                box=address.get("Box", ""),
                postcode=address["Postcode"],
                municipality_name=address["MunicipalityName"],
                valid_from=_date(body["EffectiveDate"]),
            )
        )
    return PersonRecord(
        national_id=person["NationalNumber"],
        first_names=person["FirstNames"],
        last_name=person["LastName"],
        sex=person["Sex"],
        birth_date=_date(person["BirthDate"]),
        birth_place=person.get("BirthPlace", ""),
        nationality=person["Nationality"],
        addresses=addresses,
    )


def _apply_one(message: RegistryMessage, body: dict[str, Any]) -> None:
    """Apply one mutation to the register (raises ApplicationError when it cannot)."""
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
        register_import_records(
            actor=actor, municipality=municipality, persons=[_person_record(body)], events=[]
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
    _apply_in_order(message, order)


def _apply_in_order(message: RegistryMessage | None, order: PersonSequence) -> None:
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
                    body = wire.read(wire.parse(bytes(message.xml), max_bytes=_max_bytes())).body
                    _apply_one(message, body)
                    for listener in applied_listeners:
                        listener.applied(message, body)
                _finish(message, MessageState.APPLIED, "applied")
            except ApplicationError as exc:
                # Refused, and the order moves on: a bad mutation does not stop the next.
                _finish(message, MessageState.REFUSED, "refused", f"{exc.code}: {exc}")
            order.last_applied = expected
            order.save(update_fields=["last_applied"])
        message = _held_next(message, order)


def _held_next(message: RegistryMessage, order: PersonSequence) -> RegistryMessage | None:
    return (
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


BIRTHS_AT_ONCE = 500


def messages_apply(message_pks: list[int]) -> None:
    """A batch's mutations, in the order they came (inside a transaction). A run of births
    of one sender and municipality, each the first of its person's order, is imported
    with one `register_import_records` (one validation, bulk writes); should the register
    refuse any of them, they are applied one by one instead, each refused on its own.
    Everything else goes through `message_apply`."""
    locked = {
        m.pk: m
        for m in RegistryMessage.objects.select_for_update(of=("self",))
        .select_related("municipality")
        .filter(pk__in=message_pks)
    }
    run: list[RegistryMessage] = []
    for pk in message_pks:
        message = locked.get(pk)
        birth = (
            message is not None
            and message.state == MessageState.RECEIVED
            and message.kind == "birth"
            and message.sequence == 1
        )
        if birth and run:
            assert message is not None  # nosec B101
            fits = (
                len(run) < BIRTHS_AT_ONCE
                and message.sender == run[0].sender
                and message.municipality_id == run[0].municipality_id
                and message.national_number not in {m.national_number for m in run}
            )
            if fits:
                run.append(message)
                continue
        if run:
            _births_apply(run)
            run = []
        if birth:
            assert message is not None  # nosec B101
            run = [message]
        else:
            message_apply(pk)
    if run:
        _births_apply(run)


def _births_apply(run: list[RegistryMessage]) -> None:
    from eloket.register.services import register_import_records

    if len(run) == 1 or run[0].municipality is None:
        for message in run:
            message_apply(message.pk)
        return
    sender, municipality = run[0].sender, run[0].municipality
    orders = {
        o.national_number: o
        for o in PersonSequence.objects.select_for_update().filter(
            sender=sender, national_number__in=[m.national_number for m in run]
        )
    }
    ready = []
    for message in run:  # one already in its order (a stale birth) goes the usual way
        order = orders.get(message.national_number)
        if order is not None and order.last_applied != 0:
            message_apply(message.pk)
        else:
            ready.append(message)
    bodies = {m.pk: wire.read(wire.parse(bytes(m.xml), max_bytes=_max_bytes())).body for m in ready}
    try:
        with transaction.atomic():
            register_import_records(
                actor=Actor.system("national register", municipality),
                municipality=municipality,
                persons=[_person_record(bodies[m.pk]) for m in ready],
                events=[],
            )
            for message in ready:
                for listener in applied_listeners:
                    listener.applied(message, bodies[message.pk])
    except ApplicationError:
        for message in ready:  # one by one: each applied, or refused with its own reason
            message_apply(message.pk)
        return
    now = timezone.now()
    RegistryMessage.objects.filter(pk__in=[m.pk for m in ready]).update(
        state=MessageState.APPLIED, error="", applied_at=now
    )
    for message in ready:
        message.state, message.error, message.applied_at = MessageState.APPLIED, "", now
        _log_state(message, "applied")
    known = [orders[m.national_number].pk for m in ready if m.national_number in orders]
    PersonSequence.objects.filter(pk__in=known).update(last_applied=1)
    PersonSequence.objects.bulk_create(
        [
            PersonSequence(sender=sender, national_number=m.national_number, last_applied=1)
            for m in ready
            if m.national_number not in orders
        ]
    )
    # Their next mutations that came first and wait: in order now.
    for held in RegistryMessage.objects.select_for_update().filter(
        direction=Direction.IN,
        sender=sender,
        national_number__in=[m.national_number for m in ready],
        state=MessageState.HELD,
        sequence=2,
    ):
        order = PersonSequence.objects.select_for_update().get(
            sender=sender, national_number=held.national_number
        )
        _apply_in_order(held, order)


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
        # One message, or a batch's (in the order they came): one transaction either way.
        pks = message.payload.get("messages") or [message.payload["message"]]
        with deferred_log():
            if len(pks) == 1:
                message_apply(int(pks[0]))
            else:
                messages_apply([int(pk) for pk in pks])

    def describe(self, message: OutboxMessage) -> str:
        return f"register mutation {message.payload.get('message')}"


@chain_families.register("messages")
class MessageLogChains(ChainFamily):
    verbose_name = "message log"
    prefix = CHAIN

    def entries(self) -> Any:
        return MessageLogEntry.objects.all()
