"""Signed register mutations that Eloket sends to the national register (issue 14, point 3).

`mutation_queue` is called inside the transaction that changes the register: the signed
message (a `RegistryMessage`, direction out, state queued) and its outbox row are written
with the change, so either both exist or neither. The task worker posts it to the
register (`ELOKET_REGISTRY_URL` + `/mutations`) through the outbox, with its retries and
exponential back-off; after `max_attempts` the outbox row is failed (a dead letter the
operator sees and can resend in the back office). The register's signed acknowledgement
of the message id marks the message delivered. A message sent twice (the worker died
after the register took it) is acknowledged as a duplicate and counted once there.

Due mutations go many to a request (`SendMutation.batch_size`): the outbox claims them
together, `mutations_deliver` posts one `MessageBatch` (each message keeps its own
signature) over a kept-alive connection and marks those the register's signed
`BatchAcknowledgement` took delivered in one transaction.
"""

import datetime as dt
import http.client
import threading
import urllib.parse
from typing import Any

from django.conf import settings
from django.db import connection, transaction

from eloket.common.registry import Plugin, Registry
from eloket.common.rows import insert_row
from eloket.messaging import wire
from eloket.messaging.inbox import log_event, log_events
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


def _next_sequence(national_number: str) -> int:
    """Eloket's next sequence number for the person, in one statement: an upsert (the row
    made at 1, or counted up; locked until the caller's transaction ends). Written out in
    SQL on a measured hot path (docs/adr/0007): the ORM's `select_for_update` and
    `get_or_create` took five statements with their savepoint, a third of
    `mutation_queue`'s time in `benchmarks/messaging.py --profile out`;
    `tests/test_messaging_batch.py` holds it to what they did."""
    table = connection.ops.quote_name(PersonSequence._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (sender, national_number, last_applied) VALUES (%s, %s, 1) "  # noqa: S608  # nosec B608 (the model's table)
            "ON CONFLICT (sender, national_number) "
            f"DO UPDATE SET last_applied = {table}.last_applied + 1 RETURNING last_applied",
            [OUT_ORDER, national_number],
        )
        return int(cursor.fetchone()[0])


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
    sequence = _next_sequence(national_number)
    root = wire.build(
        "RegisterMutation",
        sender=ELOKET_PARTY,
        receiver=REGISTRY_PARTY,
        correlation_id=correlation_id,
        body=[
            ("Kind", kind),
            ("NationalNumber", national_number),
            ("Sequence", sequence),
            ("EffectiveDate", effective_date.isoformat()),
            ("Municipality", nis),
            *(fields or []),
        ],
    )
    data = own_signer().sign(root)
    envelope = wire.read(root)
    message = insert_row(  # RegistryMessage.objects.create, composed once (docs/adr/0007)
        RegistryMessage,
        dict(
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
            sequence=sequence,
            case_code=case_code,
            xml=data,
        ),
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


_connections = threading.local()


def _post(data: bytes) -> bytes:
    """POST to the register's `/mutations` over a kept-alive connection (one per thread;
    opened again once when the register closed it)."""
    if not settings.ELOKET_REGISTRY_URL:
        raise ConnectionError("ELOKET_REGISTRY_URL is not set")
    url = urllib.parse.urlsplit(settings.ELOKET_REGISTRY_URL.rstrip("/") + "/mutations")
    timeout = float(settings.ELOKET_REGISTRY_TIMEOUT)
    where = (url.scheme, url.hostname, url.port, timeout)
    for attempt in (1, 2):
        connection = getattr(_connections, "open", None)
        if connection is None or getattr(_connections, "where", None) != where:
            if connection is not None:
                connection.close()
            factory = (
                http.client.HTTPSConnection if url.scheme == "https" else http.client.HTTPConnection
            )
            connection = factory(url.hostname or "", url.port, timeout=timeout)
            _connections.open, _connections.where = connection, where
        try:
            connection.request(
                "POST", url.path, body=data, headers={"Content-Type": "application/xml"}
            )
            response = connection.getresponse()
            answer = response.read()
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
            connection.close()
            _connections.open = None
            if attempt == 2:
                raise
            continue  # a kept-alive connection the register had closed: once more, fresh
        except Exception:
            connection.close()
            _connections.open = None
            raise
        if response.status >= 400:
            raise ConnectionError(f"HTTP Error {response.status}: {response.reason}")
        return bytes(answer)
    raise AssertionError("unreachable")


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


def mutations_deliver(message_pks: list[int]) -> dict[int, Exception | None]:
    """One attempt at several: post them in one `MessageBatch` (each message keeps its own
    signature), read the register's signed `BatchAcknowledgement`, and mark those it took
    (`applied`, or `duplicate`: taken before) delivered in one transaction. Per message
    pk: None when delivered, else why not (a `refused` item is NotAcknowledged)."""
    if len(message_pks) == 1:
        try:
            mutation_deliver(message_pks[0])
            return {message_pks[0]: None}
        except Exception as exc:
            return {message_pks[0]: exc}
    messages = {
        m.pk: m
        for m in RegistryMessage.objects.select_related("municipality").filter(pk__in=message_pks)
    }
    results: dict[int, Exception | None] = {
        pk: LookupError(f"no registry message {pk}") for pk in message_pks if pk not in messages
    }
    waiting = [messages[pk] for pk in message_pks if pk in messages]
    for message in waiting:
        if message.state == MessageState.DELIVERED:
            results[message.pk] = None
    waiting = [m for m in waiting if m.state != MessageState.DELIVERED]
    if not waiting:
        return results
    batch_id, data = wire.batch_build(
        [bytes(m.xml) for m in waiting], sender=ELOKET_PARTY, receiver=REGISTRY_PARTY
    )
    answer = _post(data)
    verified = wire.receive(
        answer, verifier=registry_verifier(), max_bytes=int(settings.ELOKET_MESSAGING_MAX_BYTES)
    )
    reply = verified.message
    if reply.type != "BatchAcknowledgement" or reply.correlation_id != batch_id:
        raise NotAcknowledged(f"{reply.type}: {reply.body.get('Code', '')}"[:200])
    outcomes = {item.message_id: item for item in wire.batch_outcomes(reply) if item.message_id}
    taken = []
    for message in waiting:
        item = outcomes.get(message.message_id)
        if item is None:
            results[message.pk] = NotAcknowledged("the acknowledgement does not name it")
        elif item.outcome not in ("applied", "duplicate", "received"):
            results[message.pk] = NotAcknowledged(f"{item.outcome}: {item.code}"[:200])
        else:
            taken.append(message)
    with transaction.atomic():
        fresh = set(
            RegistryMessage.objects.select_for_update()
            .filter(pk__in=[m.pk for m in taken])
            .exclude(state=MessageState.DELIVERED)
            .values_list("pk", flat=True)
        )
        RegistryMessage.objects.filter(pk__in=fresh).update(
            state=MessageState.DELIVERED, error="", answer_xml=answer
        )
        delivered = [m for m in taken if m.pk in fresh]
        log_events(
            [
                dict(
                    direction=Direction.OUT,
                    message_type=m.type,
                    message_id=m.message_id,
                    correlation_id=m.correlation_id,
                    event="delivered",
                    xml=answer,
                    municipality=m.municipality,
                    detail=outcomes[m.message_id].outcome,
                )
                for m in delivered
            ]
        )
        for message in delivered:
            message.state = MessageState.DELIVERED
            for listener in delivery_listeners:
                listener.delivered(message)
    for message in taken:
        results[message.pk] = None
    return results


@outbox_kinds.register(KIND)
class SendMutation(OutboxKind):
    verbose_name = "send a register mutation to the national register"
    max_attempts = 8
    # Due mutations go to the register 50 to a request (a MessageBatch).
    batch_size = 50

    def deliver(self, message: OutboxMessage) -> None:
        mutation_deliver(int(message.payload["message"]))

    def deliver_many(self, messages: list[OutboxMessage]) -> dict[int, Exception | None]:
        by_message = {int(m.payload["message"]): m.pk for m in messages}
        results = mutations_deliver(list(by_message))
        return {by_message[pk]: outcome for pk, outcome in results.items() if pk in by_message}

    def is_permanent(self, exc: Exception) -> bool:
        return isinstance(exc, (NotAcknowledged, wire.MessageRefused))

    def describe(self, message: OutboxMessage) -> str:
        return f"register mutation out {message.payload.get('message')}"
