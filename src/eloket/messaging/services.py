"""Officers' reads and writes of the messages exchanged with the national registries
(issue 14, point 8): the municipality's administrators and its own processes."""

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from eloket.common.actors import Actor
from eloket.common.errors import ApplicationError, NotFound
from eloket.common.permissions import Permission, authorize
from eloket.messaging.models import RegistryMessage
from eloket.messaging.outgoing import KIND
from eloket.outbox.models import OutboxMessage, OutboxState
from eloket.outbox.services import outbox_retry
from eloket.register.access_log import access_log_write
from eloket.register.models import DataCategory, Person

if TYPE_CHECKING:
    from eloket.messaging.lookup import NationalPerson

DEAD = "dead"  # the state shown for an outgoing message whose outbox row failed


def _dead_ids(municipality: Any) -> set[int]:
    return {
        int(payload["message"])
        for payload in OutboxMessage.objects.filter(
            municipality=municipality, kind=KIND, state=OutboxState.FAILED
        ).values_list("payload", flat=True)
    }


def _attempts(municipality: Any, pks: list[int]) -> dict[int, tuple[int, str]]:
    rows = OutboxMessage.objects.filter(municipality=municipality, kind=KIND).values_list(
        "payload", "attempts", "state"
    )
    return {
        int(payload["message"]): (attempts, state)
        for payload, attempts, state in rows
        if int(payload["message"]) in pks
    }


def messages_list(
    *,
    actor: Actor,
    municipality: Any,
    state: str = "",
    type: str = "",
    direction: str = "",
    day: dt.date | None = None,
    case_code: str = "",
) -> list[dict[str, Any]]:
    """The municipality's messages, newest first, with the tries of the outgoing ones;
    of one type, state, direction (`in`, `out`), day or request (tracking code) if asked."""
    authorize(actor, municipality, Permission.MESSAGES)
    rows: QuerySet[RegistryMessage] = RegistryMessage.objects.filter(municipality=municipality)
    if type:
        rows = rows.filter(type=type)
    if direction:
        rows = rows.filter(direction=direction)
    if day is not None:
        rows = rows.filter(created_at__date=day)
    if case_code:
        rows = rows.filter(case_code=case_code)
    dead = _dead_ids(municipality)
    if state == DEAD:
        rows = rows.filter(pk__in=dead)
    elif state:
        rows = rows.filter(state=state).exclude(pk__in=dead)
    messages = list(rows[:500])
    tries = _attempts(municipality, [m.pk for m in messages])
    return [_view(m, tries.get(m.pk)) for m in messages]


def _view(message: RegistryMessage, tries: tuple[int, str] | None) -> dict[str, Any]:
    attempts, outbox_state = tries or (0, "")
    return {
        "id": message.pk,
        "type": message.type,
        "direction": message.direction,
        "state": DEAD if outbox_state == OutboxState.FAILED else message.state,
        "attempts": attempts,
        "correlation_id": message.correlation_id,
        "message_id": message.message_id,
        "kind": message.kind,
        "created_at": message.created_at,
        "error": message.error,
        "case": message.case_code,
    }


def _get(municipality: Any, message_pk: int) -> RegistryMessage:
    message = RegistryMessage.objects.filter(municipality=municipality, pk=message_pk).first()
    if message is None:
        raise NotFound(_("There is no such message."))
    return message


def message_detail(*, actor: Actor, municipality: Any, message_pk: int) -> dict[str, Any]:
    """One message with its signed XML. The XML of a mutation or a look-up carries a
    person's register data: reading it is written to that person's access log (when they
    are in this municipality's register), like any read of their record."""
    authorize(actor, municipality, Permission.MESSAGES)
    message = _get(municipality, message_pk)
    if message.national_number:
        person = Person.objects.filter(
            municipality=municipality, national_id=message.national_number
        ).first()
        if person is not None:
            access_log_write(
                person=person,
                actor=actor,
                data=[DataCategory.IDENTITY, DataCategory.ADDRESSES],
                purpose=_("Reading message %(id)s exchanged with the national register")
                % {"id": message.message_id[:40]},
            )
    view = _view(message, _attempts(municipality, [message.pk]).get(message.pk))
    view["xml"] = bytes(message.xml).decode("utf-8")
    return view


def message_retry(*, actor: Actor, municipality: Any, message_pk: int) -> dict[str, Any]:
    """Send a dead letter again (its outbox row back in line with a fresh count)."""
    authorize(actor, municipality, Permission.MESSAGES)
    message = _get(municipality, message_pk)
    row = OutboxMessage.objects.filter(
        municipality=municipality, kind=KIND, payload__message=message.pk
    ).first()
    if row is None or row.state != OutboxState.FAILED:
        raise ApplicationError(_("Only a message that failed is sent again."), code="wrong_state")
    outbox_retry(actor=actor, municipality=municipality, message=row)
    return message_detail(actor=actor, municipality=municipality, message_pk=message.pk)


def national_person_lookup(
    *, actor: Actor, municipality: Any, national_id: str, purpose: str
) -> "NationalPerson | None":
    """An officer asks the national register for a person the municipality's register does
    not hold (issue 14, point 5): the answer is shown and used, not copied into the
    register. The purpose travels with the question, and the read is written to the
    person's access log wherever Eloket keeps their register data (they read it in "Who
    consulted my data"), as a local read is."""
    from eloket.common.text import refuse_hidden_characters
    from eloket.messaging.lookup import registry_lookup
    from eloket.register.national_ids import parse_national_id

    authorize(actor, municipality, Permission.REGISTER_READ)
    refuse_hidden_characters(purpose)
    if not purpose.strip():
        raise ApplicationError(_("State why you need this person's data."), code="purpose_required")
    number = parse_national_id(national_id, municipality.country).digits
    found = registry_lookup(municipality=municipality, national_number=number, purpose=purpose)
    if found is not None:
        for person in Person.objects.filter(national_id=number):
            access_log_write(
                person=person,
                actor=actor,
                data=[DataCategory.IDENTITY, DataCategory.ADDRESSES],
                purpose=purpose.strip(),
            )
    return found


def national_relative_lookup(
    *, actor: Actor, municipality: Any, national_id: str, purpose: str
) -> "NationalPerson | None":
    """A citizen's order needs a relative whom no register of the municipality holds (the
        death extract of a parent who lived and died elsewhere; issue 14, point 5): ask the
        national register about them for the citizen (`RelativeOf`, the citizen's own number).
        The register answers the relation and describes the person only to a relative (None
        otherwise, as for nobody by that number); the answer is used, never copied into a
        register. The purpose travels with the question (the register keeps it in its own
        consultation log), and a person found is written to their access log wherever Eloket
        keeps their register data. RegistryUnavailable when the register cannot be asked;
    RateLimited past `ELOKET_RELATIVE_LOOKUP_RATE` questions an hour (`lookup.relative_lookup_count`)."""
    from eloket.messaging.lookup import registry_lookup, relative_lookup_count
    from eloket.register.national_ids import normalise, parse_national_id

    authorize(actor, municipality, Permission.REQUEST)
    if not actor.national_id:
        raise ApplicationError(
            _("Certificates are ordered by citizens logged in with their eID."),
            code="not_a_citizen",
        )
    number = parse_national_id(national_id, municipality.country).digits
    relative_lookup_count(actor.user_pk)
    found = registry_lookup(
        municipality=municipality,
        national_number=number,
        purpose=purpose,
        relative_of=normalise(actor.national_id),
    )
    if found is not None:
        for person in Person.objects.filter(national_id=number):
            access_log_write(
                person=person,
                actor=actor,
                data=[DataCategory.IDENTITY, DataCategory.EVENTS],
                purpose=purpose.strip(),
            )
    return found
