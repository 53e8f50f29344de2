from django.db.models import Case as When_
from django.db.models import IntegerField, QuerySet, Value, When
from django.utils.translation import gettext as _

from eloket.common.errors import NotFound
from eloket.petitions.models import Petition, PetitionStatus
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
