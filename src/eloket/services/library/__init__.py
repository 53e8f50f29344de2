"""The library of service definitions shipped with Eloket: one JSON file each, in every
language Eloket speaks, ready to publish as they are (`eloket services enable`, or one
click in the admin's library page). A municipality that wants them otherwise exports
one, edits it and imports it as its next version."""

import json
from functools import cache
from importlib import resources
from typing import Any

from django.utils.translation import gettext as _

from eloket.common.errors import NotFound


@cache
def _files() -> dict[str, str]:
    folder = resources.files(__name__)
    return {
        entry.name.removesuffix(".json"): entry.read_text(encoding="utf-8")
        for entry in folder.iterdir()
        if entry.name.endswith(".json")
    }


def library_codes() -> list[str]:
    return sorted(_files())


def library_definition(code: str) -> dict[str, Any]:
    """A shipped definition (a fresh copy: publishing it never changes the library)."""
    text = _files().get(str(code))
    if text is None:
        raise NotFound(_("The library has no service “%(code)s”.") % {"code": str(code)[:40]})
    definition: dict[str, Any] = json.loads(text)
    return definition


def library_definitions() -> list[dict[str, Any]]:
    return [library_definition(code) for code in library_codes()]


# What `eloket onboard --services default` offers a new municipality, by country: the
# library's services written for its law (the Belgian permits and requests; Seoul's
# one-stop civil complaint). Each can be switched off or edited afterwards.
STARTER_SERVICES: dict[str, tuple[str, ...]] = {
    "BE": (
        "event_permit",
        "building_permit",
        "environmental_permit",
        "housing_information",
        "resident_parking_card",
        "bulky_waste_pickup",
    ),
    "KR": ("civil_complaint",),
}


def library_starter_codes(country: str) -> list[str]:
    """The library's services a new municipality of `country` starts with."""
    return [code for code in STARTER_SERVICES.get(country.upper(), ()) if code in _files()]
