import math
import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.core.cache import cache
from django.db.models import Case as When_
from django.db.models import IntegerField, QuerySet, Value, When
from django.utils.translation import gettext as _

from eloket.common.errors import ApplicationError, NotFound
from eloket.petitions.models import (
    Petition,
    PetitionRules,
    PetitionStatus,
    Signature,
    ThresholdKind,
)
from eloket.register.selectors import age_district_counts
from eloket.tenants.models import Municipality

PUBLIC = [
    PetitionStatus.SIGNING,
    PetitionStatus.THRESHOLD_REACHED,
    PetitionStatus.ANSWERED,
    PetitionStatus.EXPIRED,
    PetitionStatus.INADMISSIBLE,
]


def petitions_of(*, municipality: Municipality, include_all: bool = False) -> QuerySet[Petition]:
    """Petitions in their signing period first, then the others."""
    qs = Petition.objects.filter(municipality=municipality)
    if not include_all:
        qs = qs.filter(status__in=PUBLIC)
    return qs.annotate(
        signing_first=When_(
            When(status=PetitionStatus.SIGNING, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
    ).order_by("signing_first", "-signing_opens_at", "-created_at")


def rules_of(*, municipality: Municipality) -> PetitionRules:
    """The municipality's rules (the defaults until its administrator sets them)."""
    return PetitionRules.objects.filter(municipality=municipality).first() or PetitionRules(
        municipality=municipality
    )


# --- The public list, kept in the shared cache.
#
# The petitions list is read far more often than petitions change, and on each request
# composing its two queries (the list, the rules) cost more than the page's template
# (issue 11, point 11). Its public part (the petitions with their counts, the rules) is
# kept per municipality under a generation token that every write of a petition, a
# signature count or the rules replaces (`petitions_changed`, petitions/signals.py), so a
# change shows on the next page in every process. Nothing of the visitor is in it: whether
# they may take part is asked per request.
LIST_SECONDS = 600
LIST_SIZE = 100


def _generation_key(municipality_id: int) -> str:
    return f"petitions-generation:{municipality_id}"


def petitions_changed(municipality_id: int) -> None:
    """Forget the municipality's cached list and rules, now and again when the writing
    transaction commits (a page read in between saw the rows as they were)."""
    from django.db import transaction

    def forget() -> None:
        cache.set(_generation_key(municipality_id), uuid.uuid4().hex, timeout=None)

    forget()
    transaction.on_commit(forget)


@dataclass(frozen=True)
class PublicList:
    petitions: list[Petition]
    rules: PetitionRules


def public_list(*, municipality: Municipality) -> PublicList:
    """The public petitions (`petitions_of`, the first hundred) and the rules, as the list
    page shows them: from the shared cache while none of them changed."""
    generation_key = _generation_key(municipality.pk)
    generation = cache.get(generation_key)
    if generation is None:
        cache.add(generation_key, uuid.uuid4().hex, timeout=None)
        generation = cache.get(generation_key)
    key = f"petitions-list:{municipality.pk}:{generation}"
    found: PublicList | None = cache.get(key) if generation is not None else None
    if found is None:
        found = PublicList(
            petitions=list(petitions_of(municipality=municipality)[:LIST_SIZE]),
            rules=rules_of(municipality=municipality),
        )
        if generation is not None:
            cache.set(key, found, timeout=LIST_SECONDS)
    found.rules.municipality = municipality  # this request's, not the pickled copy
    return found


def threshold_for(*, municipality: Municipality) -> tuple[int, int]:
    """(signatures needed, eligible residents) from the rules and the register today."""
    rules = rules_of(municipality=municipality)
    eligible_count = sum(
        age_district_counts(municipality=municipality, min_age=rules.min_age).values()
    )
    if rules.threshold_kind == ThresholdKind.COUNT:
        return max(1, int(rules.threshold_value)), eligible_count
    needed = math.ceil(eligible_count * Decimal(rules.threshold_value) / 100)
    return max(1, needed), eligible_count


def has_signed(*, municipality: Municipality, petition: Petition, user: object) -> bool:
    user_id = getattr(user, "pk", None)
    return user_id is not None and (
        Signature.objects.filter(
            municipality=municipality, petition=petition, user_id=user_id
        ).exists()
    )


def why_not_take_part(*, municipality: Municipality, user: object) -> str:
    """Why the logged-in visitor may not start, join or sign petitions here now (too
    young, not a resident, not a citizen), in the words the services refuse with; "" when
    they may, or when nobody is logged in (the page asks them to). The services' own rule
    (`petition_eligibility`), asked before a button is shown rather than after it is
    pressed (issue 11, point 9); the services still check it at the moment of acting."""
    from eloket.identity.eligibility import participant_actor
    from eloket.petitions.eligibility import petition_eligibility

    if not getattr(user, "is_authenticated", False):
        return ""
    try:
        petition_eligibility(participant_actor(user), municipality)  # type: ignore[arg-type]
    except ApplicationError as exc:  # NotEligible, or an officer's PermissionDenied
        return str(exc)
    return ""


def petition_for_officer(*, municipality: Municipality, petition_id: int) -> Petition:
    petition = (
        Petition.objects.select_related("municipality", "initiator", "case")
        .filter(municipality=municipality, pk=petition_id)
        .first()
    )
    if petition is None:
        raise NotFound(_("There is no such petition here."))
    return petition


def petition_get(
    *, municipality: Municipality, petition_id: int, user: object = None, officer: bool = False
) -> Petition:
    petition = (
        Petition.objects.select_related("municipality", "initiator")
        .filter(municipality=municipality, pk=petition_id)
        .first()
    )
    if petition is None:
        raise NotFound(_("There is no such petition here."))
    if petition.status not in PUBLIC and not officer:
        involved = getattr(user, "pk", None) in (
            petition.initiator_id,
            *petition.coinitiators.values_list("user_id", flat=True),
        )
        if not involved and petition.status != PetitionStatus.DRAFT:
            raise NotFound(_("There is no such petition here."))
    return petition
