"""Reads of cases: always for one municipality (officers) or one requester (citizens)."""

import datetime as dt

from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from eloket.cases.models import OPEN_STATUSES, Case, CaseMessage, StatusChange
from eloket.cases.services import normalise_tracking_code
from eloket.common.errors import NotFound
from eloket.tenants.models import Municipality


def case_by_code(tracking_code: str) -> Case | None:
    return (
        Case.objects.select_related("municipality", "requester", "assigned_to")
        .filter(tracking_code=normalise_tracking_code(tracking_code))
        .first()
    )


def case_for_requester(*, user: User, tracking_code: str) -> Case:
    case = case_by_code(tracking_code)
    if case is None or case.requester_id != user.pk:
        raise NotFound(_("You have no request with this tracking code."))
    return case


def case_for_municipality(*, municipality: Municipality, tracking_code: str) -> Case:
    case = case_by_code(tracking_code)
    if case is None or case.municipality_id != municipality.pk:
        raise NotFound(_("There is no request with this tracking code here."))
    return case


def cases_of_requester(*, user: User) -> QuerySet[Case]:
    return Case.objects.filter(requester=user).select_related("municipality")


def cases_of_municipality(
    *,
    municipality: Municipality,
    statuses: list[str] | None = None,
    older_than_days: int | None = None,
    assigned_to: User | None = None,
    open_only: bool = False,
) -> QuerySet[Case]:
    qs = Case.objects.filter(municipality=municipality).select_related("assigned_to")
    if statuses:
        qs = qs.filter(status__in=statuses)
    if open_only:
        qs = qs.filter(status__in=OPEN_STATUSES)
    if older_than_days is not None:
        qs = qs.filter(created_at__lte=timezone.now() - dt.timedelta(days=older_than_days))
    if assigned_to is not None:
        qs = qs.filter(assigned_to=assigned_to)
    return qs


def timeline(case: Case) -> QuerySet[StatusChange]:
    return StatusChange.objects.filter(municipality_id=case.municipality_id, case=case)


def messages_of(case: Case) -> QuerySet[CaseMessage]:
    return CaseMessage.objects.filter(municipality_id=case.municipality_id, case=case)


def is_overdue(case: Case) -> bool:
    return case.status in OPEN_STATUSES and case.due_at < timezone.now()
