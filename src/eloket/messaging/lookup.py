"""Asking the national register for a person Eloket's registers do not hold (issue 14,
point 5): a signed `PersonLookupRequest` posted to the register (`ELOKET_REGISTRY_URL` +
`/lookup`), its signed `PersonLookupAnswer` verified against the registry's certificates
and tied to the question by its correlation id. Both are rows of the message log (their
SHA-256, no national number). The answer is shown and used, never copied into a
municipality's register: it is what the national register says today.

The callers (`messaging.services.national_person_lookup` for an officer,
`messaging.services.national_relative_lookup` for a citizen's order about a relative) check
the right and write the access log; this module is the wire. A citizen's question carries
their own number (`RelativeOf`): the register answers the relation and describes the person
only to a relative."""

import datetime as dt
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from eloket.common.errors import ApplicationError
from eloket.messaging import wire
from eloket.messaging.inbox import log_event
from eloket.messaging.keys import ELOKET_PARTY, REGISTRY_PARTY, own_signer, registry_verifier
from eloket.messaging.models import Direction
from eloket.tenants.models import Municipality


class RegistryUnavailable(ApplicationError):
    code = "registry_unavailable"
    status = 503


@dataclass(frozen=True)
class NationalPerson:
    """A person as the national register describes them (never stored by Eloket)."""

    national_number: str
    first_names: str
    last_name: str
    sex: str
    birth_date: dt.date | None
    birth_place: str
    nationality: str
    date_of_death: dt.date | None
    street: str = ""
    house_number: str = ""
    box: str = ""
    postcode: str = ""
    municipality_name: str = ""
    # To a question about a relative: what the person is to the asker (parent, child,
    # sibling). Of a deceased person: the death act as the national register knows it.
    relation: str = ""
    death_place: str = ""
    death_act: str = ""
    death_registering: str = ""
    # The message id of the signed answer (a row of the message log): what was used.
    answer_id: str = ""

    @property
    def full_name(self) -> str:
        return f"{self.first_names} {self.last_name}".strip()


def _date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _person(element: dict[str, Any], body: dict[str, Any], answer_id: str) -> NationalPerson:
    address = element.get("Address") or {}
    death = body.get("Death") or {}
    return NationalPerson(
        relation=str(body.get("Relation") or ""),
        death_place=str(death.get("Place") or ""),
        death_act=str(death.get("ActNumber") or ""),
        death_registering=str(death.get("RegisteringMunicipality") or ""),
        answer_id=answer_id,
        national_number=str(element.get("NationalNumber") or ""),
        first_names=str(element.get("FirstNames") or ""),
        last_name=str(element.get("LastName") or ""),
        sex=str(element.get("Sex") or ""),
        birth_date=_date(element.get("BirthDate")),
        birth_place=str(element.get("BirthPlace") or ""),
        nationality=str(element.get("Nationality") or ""),
        date_of_death=_date(element.get("DateOfDeath")),
        street=str(address.get("Street") or ""),
        house_number=str(address.get("HouseNumber") or ""),
        box=str(address.get("Box") or ""),
        postcode=str(address.get("Postcode") or ""),
        municipality_name=str(address.get("MunicipalityName") or ""),
    )


def _post(data: bytes) -> bytes:
    if not settings.ELOKET_REGISTRY_URL:
        raise ConnectionError("ELOKET_REGISTRY_URL is not set")
    request = urllib.request.Request(  # noqa: S310 (the configured register's URL)
        settings.ELOKET_REGISTRY_URL.rstrip("/") + "/lookup",
        data=data,
        headers={"Content-Type": "application/xml"},
        method="POST",
    )
    timeout = float(settings.ELOKET_REGISTRY_TIMEOUT)
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310  # nosec B310
        return bytes(response.read(int(settings.ELOKET_MESSAGING_MAX_BYTES) + 1))


def registry_lookup(
    *, municipality: Municipality, national_number: str, purpose: str, relative_of: str = ""
) -> NationalPerson | None:
    """The national register's answer for `national_number` (None: it knows nobody by it,
    or, asked for `relative_of`, the person is not that citizen's relative), or
    RegistryUnavailable when it cannot be asked or its answer cannot be trusted."""
    body: list[wire.Field] = [("NationalNumber", national_number), ("Purpose", purpose[:300])]
    if relative_of:
        body.append(("RelativeOf", relative_of))
    root = wire.build(
        "PersonLookupRequest",
        sender=ELOKET_PARTY,
        receiver=REGISTRY_PARTY,
        body=body,
    )
    data = own_signer().sign(root)
    asked = wire.read(root)
    log_event(direction=Direction.OUT, message_type=asked.type, message_id=asked.message_id,
              correlation_id="", event="sent", xml=data, municipality=municipality,
              detail="lookup")  # fmt: skip
    try:
        answer = _post(data)
    except (OSError, urllib.error.URLError) as exc:  # refused, 503, time-out
        log_event(direction=Direction.OUT, message_type=asked.type, message_id=asked.message_id,
                  correlation_id="", event="failed", xml=data, municipality=municipality,
                  detail=type(exc).__name__)  # fmt: skip
        raise RegistryUnavailable(
            _("The national register does not answer just now. Try again in a few minutes.")
        ) from exc
    try:
        verified = wire.receive(
            answer, verifier=registry_verifier(), max_bytes=int(settings.ELOKET_MESSAGING_MAX_BYTES)
        )
    except wire.MessageRefused as exc:
        log_event(direction=Direction.IN, message_type="PersonLookupAnswer", message_id="",
                  correlation_id=asked.message_id, event="refused", xml=answer,
                  municipality=municipality, detail=exc.code)  # fmt: skip
        raise RegistryUnavailable(
            _("The national register's answer could not be trusted, so it is not shown.")
        ) from exc
    message = verified.message
    log_event(direction=Direction.IN, message_type=message.type, message_id=message.message_id,
              correlation_id=message.correlation_id, event="received", xml=answer,
              municipality=municipality, detail="lookup")  # fmt: skip
    if message.type != "PersonLookupAnswer" or message.correlation_id != asked.message_id:
        raise RegistryUnavailable(
            _("The national register's answer could not be trusted, so it is not shown.")
        )
    if str(message.body.get("Found", "")).lower() not in ("true", "1"):
        return None
    if relative_of and message.body.get("Relation") in (None, "", "none"):
        return None
    if not message.body.get("Person"):
        return None
    return _person(message.body["Person"], message.body, message.message_id)


def relative_lookup_count(user_pk: int) -> None:
    """Count one question a citizen asks about someone else than themselves, whether it
    goes to the national register or is answered from the municipality's register (so both
    cost the same): RateLimited past `ELOKET_RELATIVE_LOOKUP_RATE` an hour. Against trying
    number after number to learn who is whose relative, who is alive, who lives here.
    A helper of the services that have checked their actor already (the order's, the
    national relative look-up), not a service itself."""
    from eloket.common.ratelimit import limit_calls

    limit_calls(
        f"relative-lookup:{user_pk}",
        limit=int(settings.ELOKET_RELATIVE_LOOKUP_RATE),
        window=3600,
        message=_(
            "You asked about too many people in a short time. Try again in an hour, or "
            "ask the municipality's desk."
        ),
    )
