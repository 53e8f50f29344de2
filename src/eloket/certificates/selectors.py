"""Reads of certificate orders: for their requester, or for the officers of the
municipality that holds them. Nothing of one municipality reaches another's officers."""

from typing import Any

from django.contrib.auth.models import User
from django.db.models import QuerySet

from eloket.cases.models import Case, CaseKind
from eloket.cases.selectors import case_for_municipality, case_for_requester, cases_of_municipality
from eloket.certificates.models import CertificateOrder
from eloket.documents.models import IssuedDocument
from eloket.tenants.models import Municipality


def order_of(case: Case) -> CertificateOrder:
    return CertificateOrder.objects.select_related("certificate_type", "subject").get(
        municipality_id=case.municipality_id, case=case
    )


def order_for_requester(*, user: User, tracking_code: str) -> tuple[Case, CertificateOrder]:
    case = case_for_requester(user=user, tracking_code=tracking_code)
    return case, order_of(case)


def order_for_officer(
    *, municipality: Municipality, tracking_code: str
) -> tuple[Case, CertificateOrder]:
    case = case_for_municipality(municipality=municipality, tracking_code=tracking_code)
    return case, order_of(case)


def order_queue(
    *,
    municipality: Municipality,
    status: str = "",
    certificate_type: str = "",
    older_than_days: int | None = None,
    mine: User | None = None,
) -> QuerySet[Case]:
    qs = cases_of_municipality(
        municipality=municipality,
        statuses=[status] if status else None,
        older_than_days=older_than_days,
        assigned_to=mine,
    ).filter(kind=CaseKind.CERTIFICATE_ORDER)
    if certificate_type:
        qs = qs.filter(order__certificate_type__code=certificate_type)
    return qs.select_related("order__certificate_type", "order__subject").order_by("due_at")


def documents_of_case(case: Case) -> QuerySet[IssuedDocument]:
    return IssuedDocument.objects.filter(municipality_id=case.municipality_id, case=case).defer(
        "pdf"
    )


def document_pdf(case: Case) -> IssuedDocument | None:
    return (
        IssuedDocument.objects.filter(municipality_id=case.municipality_id, case=case)
        .order_by("-issued_at")
        .first()
    )


def postal_orders_pending(*, municipality: Municipality) -> QuerySet[Case]:
    from eloket.cases.models import Status

    return (
        Case.objects.filter(
            municipality=municipality,
            kind=CaseKind.CERTIFICATE_ORDER,
            status=Status.ISSUED,
            order__delivery="post",
            order__posted_at__isnull=True,
        )
        .select_related("order__subject", "order__certificate_type")
        .order_by("created_at")
    )


def queue_counts(*, municipality: Municipality) -> dict[str, Any]:
    from django.db.models import Count

    rows = (
        cases_of_municipality(municipality=municipality)
        .filter(kind=CaseKind.CERTIFICATE_ORDER)
        .values("status")
        .annotate(n=Count("id"))
    )
    return {row["status"]: row["n"] for row in rows}
