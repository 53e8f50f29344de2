"""Reads of the audit trail: one municipality's events, newest first."""

from typing import Any

from django.db.models import QuerySet

from eloket.audit.models import AuditEvent


def audit_events(
    *, municipality: Any, object_type: str = "", object_ref: str = ""
) -> QuerySet[AuditEvent]:
    qs = AuditEvent.objects.filter(municipality=municipality)
    if object_type:
        qs = qs.filter(object_type=object_type)
    if object_ref:
        qs = qs.filter(object_ref=object_ref)
    return qs
