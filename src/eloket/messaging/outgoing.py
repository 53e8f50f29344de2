"""Signed register mutations that Eloket sends to the national register (issue 14, point 3).

`mutation_queue` is called inside the transaction that changes the register: the signed
message (a `RegistryMessage`, direction out, state queued) and its outbox row are written
with the change, so either both exist or neither. The task worker posts it to the
register (`ELOKET_REGISTRY_URL` + `/mutations`) through the outbox, with its retries and
exponential back-off; after `max_attempts` the outbox row is failed (a dead letter the
operator sees and can resend in the back office). The register's signed acknowledgement
of the message id marks the message delivered. A message sent twice (the worker died
after the register took it) is acknowledged as a duplicate and counted once there.
"""

import datetime as dt
import urllib.error
import urllib.request
from typing import Any

from django.conf import settings
from django.db import transaction

from eloket.common.registry import Plugin, Registry
from eloket.messaging import wire
from eloket.messaging.inbox import log_event
from eloket.messaging.keys import ELOKET_PARTY, REGISTRY_PARTY, own_signer, registry_verifier
from eloket.messaging.models import Direction, MessageState, PersonSequence, RegistryMessage
from eloket.outbox.kinds import OutboxKind, outbox_kinds
from eloket.outbox.models import OutboxMessage
from eloket.outbox.queue import outbox_put

KIND = "messaging.send_mutation"
OUT_ORDER = f"out:{ELOKET_PARTY}"  # PersonSequence.sender of Eloket's own mutations


class NotAcknowledged(Exception):
    """The register answered, but not with an acknowledgement of this message."""


class DeliveryListener(Plugin):
    """What follows the register's acknowledgement of one of Eloket's mutations (a move
    declaration's request is done): called in the transaction that marks it delivered,
    once per message. Apps above messaging register here, so it imports none of them."""

    def delivered(self, message: RegistryMessage) -> None:
        raise NotImplementedError


delivery_listeners: Registry[DeliveryListener] = Registry(
    "delivery_listeners", description="acknowledged outgoing mutation listener"
)


def mutation_queue(
    *,
    municipality: Any,
    kind: str,
    national_number: str,
    effective_date: dt.date,
    nis: str,
    fields: list[wire.Field] | None = None,
    correlation_id: str = "",
    case_code: str = "",
) -> RegistryMessage:
    """Sign a RegisterMutation and put it in the outbox, in the caller's transaction.
    `case_code`: the request it carries out, moved on by `delivery_listeners` when the
    register acknowledges it (and whose evidence `eloket messages export --case` writes)."""
    order, _created = PersonSequence.objects.select_for_update().get_or_create(
        sender=OUT_ORDER, national_number=national_number
    )
    order.last_applied += 1
    order.save(update_fields=["last_applied"])
    root = wire.build(
        "RegisterMutation",
        sender=ELOKET_PARTY,
        receiver=REGISTRY_PARTY,
        correlation_id=correlation_id,
        body=[
            ("Kind", kind),
            ("NationalNumber", national_number),
            ("Sequence", order.last_applied),
            ("EffectiveDate", effective_date.isoformat()),
            ("Municipality", nis),
            *(fields or []),
        ],
    )
    data = own_signer().sign(root)
    envelope = wire.read(root)
    message = RegistryMessage.objects.create(
        municipality=municipality,
        direction=Direction.OUT,
        type="RegisterMutation",
        message_id=envelope.message_id,
        correlation_id=envelope.correlation_id,
        sender=ELOKET_PARTY,
        receiver=REGISTRY_PARTY,
        state=MessageState.QUEUED,
        kind=kind,
        national_number=national_number,
        sequence=order.last_applied,
        case_code=case_code,
        xml=data,
    )
    log_event(
        direction=Direction.OUT,
        message_type=message.type,
        message_id=message.message_id,
        correlation_id=envelope.correlation_id,
        event="queued",
        xml=data,
        municipality=municipality,
        detail=kind,
    )
    outbox_put(
        municipality=municipality,
        kind=KIND,
        payload={"message": message.pk},
        ref=f"message:{message.pk}",
    )
    return message


def _post(data: bytes) -> bytes:
    if not settings.ELOKET_REGISTRY_URL:
        raise ConnectionError("ELOKET_REGISTRY_URL is not set")
    request = urllib.request.Request(  # noqa: S310
        settings.ELOKET_REGISTRY_URL.rstrip("/") + "/mutations",
        data=data,
        headers={"Content-Type": "application/xml"},
        method="POST",
    )
    timeout = float(settings.ELOKET_REGISTRY_TIMEOUT)
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310  # nosec B310 (configured register URL)
        return bytes(response.read())


def mutation_deliver(message_pk: int) -> None:
    """One attempt: post the signed message; raise unless the register acknowledged it."""
    message = RegistryMessage.objects.get(pk=message_pk)
    if message.state == MessageState.DELIVERED:
        return
    data = bytes(message.xml)
    answer = _post(data)
    verified = wire.receive(
        answer, verifier=registry_verifier(), max_bytes=int(settings.ELOKET_MESSAGING_MAX_BYTES)
    )
    reply = verified.message
    if reply.type != "Acknowledgement" or reply.correlation_id != message.message_id:
        raise NotAcknowledged(f"{reply.type}: {reply.body.get('Code', '')}"[:200])
    with transaction.atomic():
        updated = (
            RegistryMessage.objects.filter(pk=message.pk)
            .exclude(state=MessageState.DELIVERED)
            .update(state=MessageState.DELIVERED, error="", answer_xml=answer)
        )
        if not updated:
            return
        log_event(
            direction=Direction.OUT,
            message_type=message.type,
            message_id=message.message_id,
            correlation_id=message.correlation_id,
            event="delivered",
            xml=answer,
            municipality=message.municipality,
            detail=str(reply.body.get("Outcome", ""))[:300],
        )
        message.state = MessageState.DELIVERED
        for listener in delivery_listeners:
            listener.delivered(message)


@outbox_kinds.register(KIND)
class SendMutation(OutboxKind):
    verbose_name = "send a register mutation to the national register"
    max_attempts = 8

    def deliver(self, message: OutboxMessage) -> None:
        mutation_deliver(int(message.payload["message"]))

    def is_permanent(self, exc: Exception) -> bool:
        return isinstance(exc, (NotAcknowledged, wire.MessageRefused))

    def describe(self, message: OutboxMessage) -> str:
        return f"register mutation out {message.payload.get('message')}"
