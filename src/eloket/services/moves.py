"""A move declaration (issue 14, point 6): a service whose definition says
`"register_change": "move"` (the library's `move_declaration`).

The citizen declares their own move (the register person the request is about is always
its requester; the definition may not offer filing for someone else): within the
municipality, or into it from another municipality on this platform (their record passes
from that register to this one, `register.services.person_transfer`, and the mutation
is a `moved_in`). The officer's
confirmation of the residence check (the workflow's `approve`) changes the register
(`register.services.person_move`) and queues the signed `address_change` mutation for the
national register (`messaging.outgoing.mutation_queue`) in the transaction of the step:
refused, nothing changes and nothing is sent. The register's signed acknowledgement makes
the system action `registered`, which closes the request (`MoveRegistered`).
"""

import datetime as dt
import logging
from typing import Any, TypedDict

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from eloket.common.actors import Actor
from eloket.common.errors import ApplicationError
from eloket.common.permissions import Permission, authorize
from eloket.messaging import wire
from eloket.messaging.models import RegistryMessage
from eloket.messaging.outgoing import DeliveryListener, delivery_listeners, mutation_queue

log = logging.getLogger(__name__)

ADDRESS_FIELD, DATE_FIELD = "new_address", "moved_on"
REGISTERED = "registered"  # the system action the register's acknowledgement makes
# A move is declared once one lives there, within days; a year back is the most we take.
OLDEST_DAYS = 365


class _NewAddress(TypedDict):
    """The declared address, as the register's move and transfer take it."""

    street: str
    house_number: str
    box: str
    postcode: str
    municipality_name: str


def register_change_problems(raw: dict[str, Any]) -> list[tuple[str, str]]:
    """What a definition with `register_change: move` must hold, with paths."""
    problems: list[tuple[str, str]] = []
    fields = {f["name"]: f for step in raw["form"]["steps"] for f in step["fields"]}
    for name, kind in ((ADDRESS_FIELD, "address"), (DATE_FIELD, "date")):
        f = fields.get(name)
        if f is None or f["type"] != kind or not f.get("required") or "condition" in f:
            problems.append(
                (
                    "/register_change",
                    _("A move needs the required question “%(name)s” of type %(type)s.")
                    % {"name": name, "type": kind},
                )
            )
    transitions = (raw.get("workflow") or {}).get("transitions", [])
    if not any(t["action"] == REGISTERED and "system" in t["by"] for t in transitions):
        problems.append(
            (
                "/register_change",
                _("A move needs the workflow's action “%(action)s”, made by the system.")
                % {"action": REGISTERED},
            )
        )
    if "approval_chain" in raw:
        # A chain's last approval decides without the handler's `approve`: the register
        # would not change. The residence check is the officer's own confirmation.
        problems.append(
            ("/approval_chain", _("A move is confirmed by the officer's residence check alone."))
        )
    if "on_behalf" in raw:
        problems.append(
            ("/on_behalf", _("A move is declared by the person who moves, for themselves."))
        )
    return problems


def _mover(municipality: Any, user_id: int | None) -> Any:
    """The register person of the requester: a resident of this municipality, or of
    another one on this platform (a move in from there), alive; else None."""
    from eloket.identity.models import Citizen
    from eloket.register.selectors import is_resident, person_for_identifier

    citizen = Citizen.objects.filter(user_id=user_id).first() if user_id else None
    if citizen is None or citizen.country != municipality.country:
        return None
    person = person_for_identifier(national_id=citizen.national_id, country=citizen.country)
    if (
        person is None
        or person.is_deceased
        or not is_resident(person=person, municipality=person.municipality)
    ):
        return None
    return person


def _current_address(person: Any) -> Any:
    return person.addresses.filter(valid_to__isnull=True, is_main_residence=True).first()


def _same_address(current: Any, answer: dict[str, Any]) -> bool:
    def norm(value: Any) -> str:
        return " ".join(str(value or "").lower().split())

    return current is not None and all(
        norm(getattr(current, attr)) == norm(answer.get(key))
        for attr, key in (
            ("street", "street"),
            ("house_number", "number"),
            ("box", "box"),
            ("postcode", "postcode"),
        )
    )


def move_answers_problems(
    *, municipality: Any, requester_id: int | None, answers: dict[str, Any]
) -> dict[str, str]:
    """At submission, after the form's own checks: the date lies between a year ago and
    today, and the address is not the one the register already has. Problems per
    question, in the citizen's language."""
    problems: dict[str, str] = {}
    today = timezone.localdate()
    moved_on = dt.date.fromisoformat(str(answers[DATE_FIELD]))
    if moved_on > today:
        problems[DATE_FIELD] = _("Declare the move once you live there: today at the latest.")
    elif moved_on < today - dt.timedelta(days=OLDEST_DAYS):
        problems[DATE_FIELD] = _("A move more than a year ago is declared at the counter.")
    person = _mover(municipality, requester_id)
    if person is None:
        problems[ADDRESS_FIELD] = _(
            "Only someone living in a municipality on this platform declares a move here."
        )
        return problems
    if person.municipality_id != municipality.pk:
        return problems  # a move in: their address elsewhere is not compared
    current = _current_address(person)
    if _same_address(current, answers[ADDRESS_FIELD]):
        problems[ADDRESS_FIELD] = _("This is the address the register already has.")
    elif current is not None and moved_on <= current.valid_from:
        problems[DATE_FIELD] = _("The move must come after the current address started.")
    return problems


def move_confirm(*, actor: Actor, municipality: Any, case: Any) -> None:
    """The officer confirmed the residence check: the register records the move and the
    signed mutation is queued, in the caller's transaction (refused: both roll back)."""
    from eloket.register.services import person_move, person_transfer
    from eloket.services.selectors import service_request_of

    authorize(actor, municipality, Permission.CASE_HANDLE, department=case.case_type.department)
    if municipality.country != "BE" or not municipality.nis_code:
        raise ApplicationError(
            _("This municipality has no connection to the national register."),
            code="no_registry",
        )
    record = service_request_of(municipality=municipality, case=case)
    person = _mover(municipality, case.requester_id)
    if record is None or person is None:
        raise ApplicationError(
            _("The person who declared this move is not a resident in the register."),
            code="not_resident",
        )
    address = record.answers[ADDRESS_FIELD]
    moved_on = dt.date.fromisoformat(str(record.answers[DATE_FIELD]))
    new_address: _NewAddress = {
        "street": str(address["street"]),
        "house_number": str(address["number"]),
        "box": str(address.get("box", "")),
        "postcode": str(address["postcode"]),
        "municipality_name": str(address["city"]),
    }
    wire_address: list[wire.Field] = [
        ("Street", new_address["street"]),
        ("HouseNumber", new_address["house_number"]),
        ("Box", new_address["box"] or None),
        ("Postcode", new_address["postcode"]),
        ("MunicipalityName", new_address["municipality_name"]),
        ("Municipality", municipality.nis_code),
    ]
    # The register write is the declaration's, confirmed by the officer whose step this
    # is (audited as the case's `approve`); the register's own right is an
    # administrator's, so it is made as the declaration's process.
    process = f"move declaration {case.display_code}"
    with transaction.atomic():
        if person.municipality_id == municipality.pk:
            person_move(
                actor=Actor.system(process, municipality),
                municipality=municipality,
                national_id=person.national_id,
                moved_on=moved_on,
                **new_address,
            )
            kind, fields = "address_change", [("Address", wire_address)]
        else:
            # A move in from another municipality on the platform: one person, one
            # register; the register they leave is closed in the same step, and the
            # national register, told of the move in, tells that municipality.
            person_transfer(
                actor=Actor.system(process, municipality),
                municipality=municipality,
                from_actor=Actor.system(process, person.municipality),
                national_id=person.national_id,
                moved_on=moved_on,
                **new_address,
            )
            kind = "moved_in"
            fields = [
                (
                    "Person",
                    [
                        ("NationalNumber", person.national_id),
                        ("FirstNames", person.first_names),
                        ("LastName", person.last_name),
                        ("Sex", person.sex),
                        ("BirthDate", person.birth_date.isoformat() if person.birth_date else None),
                        ("BirthPlace", person.birth_place or None),
                        ("Nationality", person.nationality),
                        ("Address", wire_address),
                    ],
                )
            ]
        mutation_queue(
            municipality=municipality,
            kind=kind,
            national_number=person.national_id,
            effective_date=moved_on,
            nis=municipality.nis_code,
            fields=fields,
            case_code=case.tracking_code,
        )


@delivery_listeners.register("services.move_registered")
class MoveRegistered(DeliveryListener):
    verbose_name = "close a move declaration when the national register acknowledges it"

    def delivered(self, message: RegistryMessage) -> None:
        from eloket.cases.models import Case
        from eloket.cases.services import case_act

        if not message.case_code or message.municipality is None:
            return
        case = (
            Case.objects.select_related("case_type", "municipality")
            .filter(municipality=message.municipality, tracking_code=message.case_code)
            .first()
        )
        if case is None or case.case_type.spec.transition(REGISTERED, case.status) is None:
            return  # not a move declaration waiting for the register
        case_act(
            actor=Actor.system("national register", message.municipality),
            municipality=message.municipality,
            case=case,
            action=REGISTERED,
        )
