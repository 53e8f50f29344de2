"""Who may start, join and sign a municipality's petitions (identity/eligibility.py
decides, with the municipality's rules)."""

from django.utils.translation import gettext as _

from eloket.common.actors import Actor
from eloket.common.permissions import Permission, authorize
from eloket.identity.eligibility import eligible_resident
from eloket.petitions.selectors import rules_of
from eloket.register.models import Person
from eloket.tenants.models import Municipality


def petition_eligibility(actor: Actor, municipality: Municipality) -> Person:
    """The register person behind a citizen who may start, join and sign petitions
    here now (a resident, old enough), or NotEligible saying why."""
    authorize(actor, municipality, Permission.PARTICIPATE)
    rules = rules_of(municipality=municipality)
    return eligible_resident(
        actor=actor,
        municipality=municipality,
        min_age=rules.min_age,
        not_resident=_("Only residents of %(municipality)s sign its petitions.")
        % {"municipality": municipality.display_name()},
        too_young=_("You must be %(age)d or older to sign petitions here.")
        % {"age": rules.min_age},
    )
