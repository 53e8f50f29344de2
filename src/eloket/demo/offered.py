"""The services of the shipped library (issue 12) that the demo municipalities offer, and
the demo clerks of the departments that handle them, so that a request reaches its
department's queue and not every clerk's. Idempotent: a service the municipality has
already published (perhaps since edited, or disabled on purpose) is left as it is."""

from eloket.common.actors import Actor
from eloket.tenants.models import Municipality

# Gent offers seven of the eight (a move declaration too, issue 14); Seoul its civil complaint (민원) in Korean first.
DEMO_SERVICES: dict[str, list[str]] = {
    "gent": [
        "event_permit",
        "building_permit",
        "environmental_permit",
        "housing_information",
        "resident_parking_card",
        "bulky_waste_pickup",
        "move_declaration",
    ],
    "brugge": ["event_permit", "resident_parking_card", "bulky_waste_pickup", "move_declaration"],
    "seoul": ["civil_complaint"],
}

# Per municipality: (username suffix, department, (first name, last name)). A clerk works
# in one department; heads and administrators act for every department.
DEPARTMENT_CLERKS: dict[str, list[tuple[str, str, tuple[str, str]]]] = {
    "gent": [
        ("events", "events", ("Sofie", "De Smet")),
        ("planning", "urban_planning", ("Pieter", "Claeys")),
        ("environment", "environment", ("Lotte", "Wouters")),
        ("mobility", "mobility", ("Bram", "Jacobs")),
        ("waste", "waste", ("Hanne", "Mertens")),
        ("population", "population", ("Wim", "Van Damme")),
    ],
    "brugge": [
        ("events", "events", ("Lien", "Vermeulen")),
        ("mobility", "mobility", ("Tom", "Desmet")),
        ("waste", "waste", ("Eva", "Goossens")),
        ("population", "population", ("Ines", "Maes")),
    ],
    "seoul": [("civil", "civil_affairs", ("서연", "이"))],
}


# Heads of the departments whose services have an approval chain (issue 13): the event
# permit above 1,000 expected visitors goes to the head of events; every building and
# environmental permit to the head of urban planning or environment, then the board.
DEPARTMENT_HEADS: dict[str, list[tuple[str, str, tuple[str, str]]]] = {
    "gent": [
        ("events_head", "events", ("Jonas", "Peeters")),
        ("planning_head", "urban_planning", ("Karel", "Vandenberghe")),
        ("environment_head", "environment", ("Marie", "Dubois")),
    ],
    "brugge": [("events_head", "events", ("Ann", "Maes"))],
}


# The alderman for urban planning and the environment, who signs building and
# environmental permits last for the board of mayor and aldermen (issue 13).
ALDERMEN: dict[str, list[tuple[str, str, tuple[str, str]]]] = {
    "gent": [("alderman", "urban_planning", ("Astrid", "Vermeire"))],
}


def department_clerk_suffixes(slug: str) -> set[str]:
    return {suffix for suffix, _department, _name in DEPARTMENT_CLERKS.get(slug, [])}


def demo_services_ensure(municipality: Municipality) -> list[str]:
    """Publish the demo municipality's library services it has not published yet; the
    codes published now."""
    from eloket.cases.models import CaseType
    from eloket.services.services import service_library_enable

    actor = Actor.system("eloket demo load", municipality)
    published = []
    for code in DEMO_SERVICES.get(municipality.slug, []):
        if CaseType.objects.filter(municipality=municipality, code=code).exists():
            continue
        service_library_enable(actor=actor, municipality=municipality, code=code)
        published.append(code)
    return published
