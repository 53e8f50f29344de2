"""Whether a module is on for a municipality: the one check every page, back-office page,
API operation and service of a module goes through (issue 11, point 4).

A module that is off does not exist for that municipality: its pages and operations answer
404, exactly as for an address that never existed, and its links leave the navigation.
"""

from django.utils.translation import gettext as _

from eloket.common.errors import NotFound
from eloket.tenants.models import Module, Municipality


class ModuleOff(NotFound):
    """The municipality does not offer this module (a 404 wherever it surfaces)."""


def module_on(municipality: Municipality, module: str) -> bool:
    """Whether `municipality` has `module` switched on. An empty module means "not a
    module of its own" (requests, the register), which every municipality has."""
    return not module or module in (municipality.modules or [])


def module_check(municipality: Municipality, module: str) -> None:
    """ModuleOff (404) unless `municipality` has `module` switched on."""
    if not module_on(municipality, module):
        raise ModuleOff(_("Nothing was found at this address."))


def modules_on(municipality: Municipality) -> set[str]:
    """The modules `municipality` has switched on (known ones only)."""
    return {m for m in (municipality.modules or []) if m in Module.values}
