"""Register records as the API shows them."""

from typing import Any

from eloket.register.models import Person
from eloket.register.selectors import PersonRecordView


def _address(a: Any) -> dict[str, Any]:
    return {
        "street": a.street,
        "house_number": a.house_number,
        "box": a.box,
        "municipality_name": a.municipality_name,
        "postcode": a.postcode,
        "district": a.district,
        "is_main_residence": a.is_main_residence,
        "valid_from": a.valid_from,
        "valid_to": a.valid_to,
    }


def record_out(view: PersonRecordView) -> dict[str, Any]:
    person: Person = view.person
    return {
        "municipality": person.municipality.slug,
        "person": person,
        "current_address": _address(view.current_address) if view.current_address else None,
        "past_addresses": [_address(a) for a in view.past_addresses],
        "household": [
            {
                "full_name": m.person.full_name,
                "relation": m.relation,
                "birth_date": m.person.birth_date,
                "is_you": m.person_id == person.pk,
            }
            for m in view.household
        ],
        "events": [
            {
                "kind": e.kind,
                "date": e.date,
                "place": e.place,
                "act_number": e.act_number,
                "registering_municipality": e.registering_municipality,
                "persons": [
                    {"full_name": p.person.full_name, "role": p.role} for p in e.participants.all()
                ],
            }
            for e in view.events
        ],
    }
