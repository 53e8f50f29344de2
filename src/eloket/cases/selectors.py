"""Reads of cases: always within one municipality, for the requester or for the officers
who may handle the case's type (its department's clerks, heads, administrators)."""

import datetime as dt
from typing import Any

from django.contrib.auth.models import User
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from eloket.cases.codes import normalise_tracking_code
from eloket.cases.definitions import Definition
from eloket.cases.models import Case, CaseMessage, CaseNote, CaseType, StatusChange
from eloket.common.actors import Actor, ActorKind
from eloket.common.errors import NotFound
from eloket.common.permissions import Permission, authorize, role_at_least


def case_municipality_id(*, tracking_code: str) -> int | None:
    """Which municipality a tracking code belongs to, and nothing else: for the few
    addresses without a municipality in them (`/api/v1/requests/{code}`), which then read
    the case through the selectors below, with that municipality."""
    return (
        Case.objects.filter(tracking_code=normalise_tracking_code(tracking_code))
        .values_list("municipality_id", flat=True)
        .first()
    )


def case_get(*, municipality: Any, tracking_code: str) -> Case:
    case = (
        Case.objects.select_related("municipality", "requester", "assigned_to", "case_type")
        .filter(municipality=municipality, tracking_code=normalise_tracking_code(tracking_code))
        .first()
    )
    if case is None:
        raise NotFound(_("There is no request with this tracking code here."))
    return case


def case_for_requester(*, municipality: Any, user: Any, tracking_code: str) -> Case:
    try:
        case = case_get(municipality=municipality, tracking_code=tracking_code)
    except NotFound:
        case = None
    if case is None or case.requester_id != getattr(user, "pk", None):
        raise NotFound(_("You have no request with this tracking code."))
    return case


def case_for_officer(*, municipality: Any, actor: Actor, tracking_code: str) -> Case:
    """The case, if the officer may handle its type (else as if it did not exist)."""
    case = case_get(municipality=municipality, tracking_code=tracking_code)
    authorize(actor, municipality, Permission.CASE_HANDLE, department=case.case_type.department)
    return case


def cases_of_requester(*, user: User, municipality: Any = None) -> QuerySet[Case]:
    """A citizen's own requests: here, or (no municipality) everywhere on the platform."""
    qs = Case.objects.filter(requester=user).select_related("municipality", "case_type")
    return qs if municipality is None else qs.filter(municipality=municipality)


def handled_types(*, municipality: Any, actor: Actor) -> QuerySet[CaseType]:
    """The case types (every version) whose requests the officer may handle."""
    authorize(actor, municipality, Permission.CASE_HANDLE)
    qs = CaseType.objects.filter(municipality=municipality)
    if actor.kind != ActorKind.OFFICER or role_at_least(actor.role, "head"):
        return qs
    return qs.filter(Q(department="") | Q(department=actor.department))


def cases_of_municipality(
    *,
    municipality: Any,
    actor: Actor | None = None,
    kinds: list[str] | None = None,
    statuses: list[str] | None = None,
    open_only: bool = False,
    older_than_days: int | None = None,
    assigned_to: User | None = None,
    department: str | None = None,
    overdue: bool = False,
) -> QuerySet[Case]:
    """The municipality's requests; with an officer, only the kinds they may handle.
    `department`: only the kinds that department handles; `overdue`: past their due
    date while waiting for the municipality (`Case.is_overdue`, as a filter)."""
    qs = Case.objects.filter(municipality=municipality).select_related("assigned_to", "case_type")
    if actor is not None:
        qs = qs.filter(case_type__in=handled_types(municipality=municipality, actor=actor))
    if department is not None:
        qs = qs.filter(case_type__department=department)
    if kinds:
        qs = qs.filter(kind__in=kinds)
    if statuses:
        qs = qs.filter(status__in=statuses)
    if open_only:
        qs = qs.filter(closed_at__isnull=True)
    if older_than_days is not None:
        qs = qs.filter(created_at__lte=timezone.now() - dt.timedelta(days=older_than_days))
    if assigned_to is not None:
        qs = qs.filter(assigned_to=assigned_to)
    if overdue:
        qs = qs.filter(
            _waiting_for_municipality(municipality),
            closed_at__isnull=True,
            due_at__lt=timezone.now(),
        )
    return qs


def _waiting_for_municipality(municipality: Any) -> Q:
    """The (case type, status) pairs in which a case waits for the municipality, read from
    the case types' definitions (every version: a case keeps its own). Case types with the
    same such statuses share one condition, so the filter stays short."""
    by_statuses: dict[frozenset[str], list[int]] = {}
    for pk, definition in CaseType.objects.filter(municipality=municipality).values_list(
        "pk", "definition"
    ):
        spec = Definition(definition)
        waiting = frozenset(code for code in spec.statuses if spec.waits_for_municipality(code))
        if waiting:
            by_statuses.setdefault(waiting, []).append(pk)
    condition = Q(pk__in=[])  # no case type waits: nothing is overdue
    for statuses, type_ids in by_statuses.items():
        condition |= Q(case_type_id__in=type_ids, status__in=sorted(statuses))
    return condition


def departments_of(*, municipality: Any) -> list[str]:
    """The departments whose queues the municipality's kinds of request go to."""
    return sorted(
        set(
            CaseType.objects.filter(municipality=municipality)
            .exclude(department="")
            .values_list("department", flat=True)
        )
    )


def open_counts_by_kind(*, municipality: Any, actor: Actor) -> dict[str, int]:
    rows = (
        cases_of_municipality(municipality=municipality, actor=actor, open_only=True)
        .values("kind")
        .annotate(n=Count("id"))
    )
    return {row["kind"]: row["n"] for row in rows}


def case_types_of(*, municipality: Any, current_only: bool = True) -> QuerySet[CaseType]:
    qs = CaseType.objects.filter(municipality=municipality)
    return qs.filter(current=True) if current_only else qs


def case_types_citizens_start(*, municipality: Any) -> list[CaseType]:
    """The kinds of request citizens ask for on the generic "ask" page (current versions
    whose handler lets citizens start them), by name."""
    from eloket.cases.handlers import case_handlers

    starting = [h.id for h in case_handlers if h.started_by_citizens]
    kinds = list(case_types_of(municipality=municipality).filter(handler__in=starting, active=True))
    return sorted(kinds, key=lambda kind: kind.name().casefold())


def case_type_citizens_start(*, municipality: Any, code: str) -> CaseType:
    """One of those, or NotFound."""
    for kind in case_types_citizens_start(municipality=municipality):
        if kind.code == code:
            return kind
    raise NotFound(_("There is no such kind of request here."))


def timeline(*, municipality: Any, case: Case) -> QuerySet[StatusChange]:
    return StatusChange.objects.filter(municipality=municipality, case=case)


def messages_of(*, municipality: Any, case: Case) -> QuerySet[CaseMessage]:
    return CaseMessage.objects.filter(municipality=municipality, case=case)


def notes_of(*, municipality: Any, case: Case) -> QuerySet[CaseNote]:
    """The officers' internal notes on a case (never for the citizen's eyes)."""
    return CaseNote.objects.filter(municipality=municipality, case=case).select_related("author")
