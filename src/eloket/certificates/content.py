"""What each certificate says: built from the register (through its selectors, so the read
is logged unless the requester is the subject), formatted in the document's language.

`certificate_content` returns the data the typst template lays out, the raw facts the
document attests (their digest tells later whether the register still says the same),
and a minimal public summary (no national number) for the verification page.
"""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import formats, translation
from django.utils.translation import gettext as _

from eloket.certificates.models import CertificateKind
from eloket.common.actors import Actor
from eloket.common.errors import ApplicationError
from eloket.register.labels import country_name
from eloket.register.models import (
    Address,
    CivilEvent,
    CivilEventKind,
    DataCategory,
    HouseholdRelation,
    ParticipantRole,
    Person,
    Sex,
)
from eloket.register.selectors import PersonRecordView, person_record
from eloket.tenants.models import Municipality

RELATION_ORDER = list(HouseholdRelation.values)  # reference person, spouse, partner, ...

NEEDS = {
    CertificateKind.RESIDENCE: (DataCategory.IDENTITY, DataCategory.ADDRESSES),
    CertificateKind.RESIDENCE_HISTORY: (DataCategory.IDENTITY, DataCategory.ADDRESSES),
    CertificateKind.HOUSEHOLD_COMPOSITION: (
        DataCategory.IDENTITY,
        DataCategory.ADDRESSES,
        DataCategory.HOUSEHOLD,
    ),
    CertificateKind.NATIONALITY: (DataCategory.IDENTITY,),
    CertificateKind.LIFE: (DataCategory.IDENTITY, DataCategory.ADDRESSES),
    CertificateKind.BIRTH_EXTRACT: (DataCategory.IDENTITY, DataCategory.EVENTS),
    CertificateKind.MARRIAGE_EXTRACT: (DataCategory.IDENTITY, DataCategory.EVENTS),
    CertificateKind.DEATH_EXTRACT: (DataCategory.IDENTITY, DataCategory.EVENTS),
}


class MissingData(ApplicationError):
    code = "register_incomplete"
    status = 409


@dataclass
class Content:
    data: dict[str, Any]
    attested: Any
    summary: dict[str, Any]
    # What the document will show as unknown, in words for the officer (review_warnings).
    warnings: list[str]


def _date(value: Any) -> str:
    return str(formats.date_format(value, "DATE_FORMAT")) if value else "—"


def _address_text(a: Address) -> str:
    box = f" {_('box')} {a.box}" if a.box else ""
    return f"{a.street} {a.house_number}{box}, {a.postcode} {a.municipality_name}"


def _address_facts(a: Address) -> dict[str, Any]:
    return {
        "street": a.street,
        "number": a.house_number,
        "box": a.box,
        "postcode": a.postcode,
        "municipality": a.municipality_name,
        "from": a.valid_from.isoformat(),
        "to": a.valid_to.isoformat() if a.valid_to else None,
        "main": a.is_main_residence,
    }


def _person(p: Person) -> dict[str, str]:
    born = _date(p.birth_date) + (f", {p.birth_place}" if p.birth_place else "")
    return {
        "name": p.full_name,
        "born": born,
        "nationality": country_name(p.nationality),
        "sex": str(p.get_sex_display()),
    }


def _initials(p: Person) -> str:
    first = "".join(f"{part[0]}." for part in p.first_names.split() if part)
    return f"{first} {p.last_name}".strip()


def _event(record: PersonRecordView, kind: str) -> CivilEvent:
    events = [e for e in record.events if e.kind == kind]
    if kind == CivilEventKind.BIRTH:
        events = [
            e
            for e in events
            if any(
                part.person_id == record.person.pk and part.role == ParticipantRole.SUBJECT
                for part in e.participants.all()
            )
        ]
    if not events:
        raise MissingData(
            _("The register of %(municipality)s holds no %(act)s act for %(name)s.")
            % {
                "municipality": record.person.municipality.display_name(),
                "act": CivilEventKind(kind).label,
                "name": record.person.full_name,
            }
        )
    return events[-1]  # the latest (a second marriage, say)


def review_warnings(*, kind: str, record: PersonRecordView) -> list[str]:
    """What an officer must know before approving a `kind` certificate from `record`:
    facts the document would print as unknown (a birth act that names no parent), or an
    act the register lacks. Sentences in the active language; empty when all is there.
    The document can still be issued over them, but only by an officer who saw them."""
    if kind != CertificateKind.BIRTH_EXTRACT:
        return []
    try:
        event = _event(record, CivilEventKind.BIRTH)
    except MissingData as exc:
        return [str(exc)]
    roles = {part.role for part in event.participants.all()}
    mother, father = ParticipantRole.MOTHER in roles, ParticipantRole.FATHER in roles
    if not mother and not father:
        text = _(
            "The birth act %(act)s names neither parent: the extract will show mother and "
            "father as unknown (—)."
        )
    elif not mother:
        text = _("The birth act %(act)s names no mother: the extract will show her as unknown (—).")
    elif not father:
        text = _("The birth act %(act)s names no father: the extract will show him as unknown (—).")
    else:
        return []
    return [text % {"act": event.act_number}]


def _role(event: CivilEvent, role: str) -> str:
    names = [part.person.full_name for part in event.participants.all() if part.role == role]
    return ", ".join(names) or "—"


def certificate_content(
    *,
    kind: str,
    municipality: Municipality,
    subject: Person,
    language: str,
    actor: Actor,
    purpose: str,
    case_ref: str,
) -> Content:
    """The content of a `kind` certificate about `subject`, or MissingData."""
    record = person_record(
        municipality=municipality,
        national_id=subject.national_id,
        person=subject,
        actor=actor,
        purpose=purpose,
        case_ref=case_ref,
        data=(*(str(c) for c in NEEDS[CertificateKind(kind)]), DataCategory.CERTIFICATE),
    )
    p = record.person
    with translation.override(language):
        data: dict[str, Any] = {"person": _person(p)}
        attested: dict[str, Any] = {
            "kind": kind,
            "person": [p.first_names, p.last_name, str(p.birth_date), p.nationality, p.sex],
        }
        address = record.current_address
        needs_address = kind in (
            CertificateKind.RESIDENCE,
            CertificateKind.RESIDENCE_HISTORY,
            CertificateKind.HOUSEHOLD_COMPOSITION,
        )
        if needs_address and address is None:
            raise MissingData(
                _("%(name)s has no main residence in the register of %(municipality)s.")
                % {"name": p.full_name, "municipality": municipality.display_name()}
            )
        if address is not None:
            data["address"] = {"text": _address_text(address), "since": _date(address.valid_from)}
        else:
            data["address"] = {"text": "—", "since": "—"}
        if kind in (CertificateKind.RESIDENCE, CertificateKind.LIFE):
            attested["address"] = _address_facts(address) if address else None
        if kind == CertificateKind.LIFE:
            attested["alive"] = p.date_of_death is None
        if kind == CertificateKind.RESIDENCE_HISTORY:
            history = [a for a in [address, *record.past_addresses] if a is not None]
            data["addresses"] = [
                {"text": _address_text(a), "from": _date(a.valid_from), "to": _date(a.valid_to)}
                for a in history
            ]
            attested["addresses"] = [_address_facts(a) for a in history]
        if kind == CertificateKind.HOUSEHOLD_COMPOSITION:
            # The reference person first, then spouse or partner, children, parents and
            # others, the eldest first within each (the register gives them in no
            # particular order).
            members = sorted(
                record.household,
                key=lambda m: (
                    RELATION_ORDER.index(m.relation) if m.relation in RELATION_ORDER else 99,
                    m.person.birth_date or dt.date.max,
                    m.person.last_name,
                    m.person.first_names,
                ),
            )
            data["members"] = [
                {
                    "name": m.person.full_name,
                    "born": _date(m.person.birth_date),
                    "relation": str(m.get_relation_display()),
                    "nationality": country_name(m.person.nationality),
                }
                for m in members
            ]
            attested["address"] = _address_facts(address) if address else None
            attested["members"] = sorted(
                [m.person_id, m.relation, m.person.last_name, m.person.first_names] for m in members
            )
        if kind in (
            CertificateKind.BIRTH_EXTRACT,
            CertificateKind.MARRIAGE_EXTRACT,
            CertificateKind.DEATH_EXTRACT,
        ):
            event_kind = {
                CertificateKind.BIRTH_EXTRACT: CivilEventKind.BIRTH,
                CertificateKind.MARRIAGE_EXTRACT: CivilEventKind.MARRIAGE,
                CertificateKind.DEATH_EXTRACT: CivilEventKind.DEATH,
            }[CertificateKind(kind)]
            event = _event(record, event_kind)
            data["act"] = {
                "number": event.act_number,
                "date": _date(event.date),
                "place": event.place,
                "registering": event.registering_municipality,
                "mother": _role(event, ParticipantRole.MOTHER),
                "father": _role(event, ParticipantRole.FATHER),
                "spouses": [
                    part.person.full_name
                    for part in event.participants.all()
                    if part.role == ParticipantRole.SPOUSE
                ],
            }
            attested["act"] = [
                event.act_number,
                str(event.date),
                event.place,
                event.registering_municipality,
                sorted([part.person_id, part.role] for part in event.participants.all()),
            ]
        summary = {
            "subject": _initials(p),
            "municipality": municipality.display_name(language),
        }
    return Content(
        data=data,
        attested=attested,
        summary=summary,
        warnings=review_warnings(kind=kind, record=record),
    )


def national_facts(national: Any) -> dict[str, Any]:
    """What an order keeps of the national register's answer about a subject no register
    here holds (`CertificateOrder.national_subject`): what its document says, and the id
    of the signed answer in the message log. Never the national number."""
    return {
        "name": national.full_name,
        "first_names": national.first_names,
        "last_name": national.last_name,
        "sex": national.sex,
        "birth_date": national.birth_date.isoformat() if national.birth_date else "",
        "birth_place": national.birth_place,
        "nationality": national.nationality,
        "date_of_death": national.date_of_death.isoformat() if national.date_of_death else "",
        "death_place": national.death_place,
        "death_act": national.death_act,
        "death_registering": national.death_registering,
        "relation": national.relation,
        "answer": national.answer_id,
    }


def _iso(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def national_certificate_content(
    *, kind: str, municipality: Municipality, facts: dict[str, Any], language: str
) -> Content:
    """The content of a `kind` certificate (a death extract) about a person only the
    national register holds, from what it answered (`national_facts`), or MissingData."""
    if kind != CertificateKind.DEATH_EXTRACT or not facts.get("date_of_death"):
        raise MissingData(_("The national register's answer does not hold this certificate."))
    first = "".join(f"{part[0]}." for part in str(facts.get("first_names", "")).split() if part)
    born_on, died_on = _iso(facts.get("birth_date")), _iso(facts.get("date_of_death"))
    place = str(facts.get("death_place") or "—")
    with translation.override(language):
        sex = str(Sex(facts["sex"]).label) if facts.get("sex") in Sex.values else "—"
        data: dict[str, Any] = {
            "person": {
                "name": facts.get("name", ""),
                "born": _date(born_on)
                + (f", {facts['birth_place']}" if facts.get("birth_place") else ""),
                "nationality": country_name(str(facts.get("nationality", ""))),
                "sex": sex,
            },
            "address": {"text": "—", "since": "—"},
            "act": {
                "number": facts.get("death_act") or "—",
                "date": _date(died_on),
                "place": place,
                "registering": facts.get("death_registering") or place,
                "mother": "—",
                "father": "—",
                "spouses": [],
            },
        }
        summary = {
            "subject": f"{first} {facts.get('last_name', '')}".strip(),
            "municipality": municipality.display_name(language),
        }
    attested = {
        "kind": kind,
        "source": "national register",
        "answer": facts.get("answer", ""),
        "person": [
            facts.get("first_names"),
            facts.get("last_name"),
            facts.get("birth_date"),
            facts.get("nationality"),
            facts.get("sex"),
        ],
        "act": [
            facts.get("death_act"),
            facts.get("date_of_death"),
            facts.get("death_place"),
            facts.get("death_registering"),
        ],
    }
    return Content(data=data, attested=attested, summary=summary, warnings=[])


# Official names often carry a title; the place of issue is the bare name.
NAME_PREFIXES = (
    "Stad ",
    "Gemeente ",
    "City of ",
    "Municipality of ",
    "Ville de ",
    "Commune de ",
    "Stadt ",
    "Gemeinde ",
)


def place_name(municipality: Municipality, language: str) -> str:
    name = municipality.display_name(language)
    for prefix in NAME_PREFIXES:
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


def document_frame(
    *, municipality: Municipality, language: str, purpose: str, issued_on: Any, logo: str
) -> dict[str, Any]:
    """The parts of the document that come from the municipality, not the register."""
    with translation.override(language):
        return {
            "language": language,
            "municipality": {
                "name": municipality.display_name(language),
                "address": municipality.contact_address,
                "place": place_name(municipality, language),
            },
            "branding": {"primary": municipality.primary_colour},
            "logo": logo,
            "issued_on": _date(issued_on),
            "purpose": purpose,
        }
