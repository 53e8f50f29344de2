"""Reads of issued documents: those made for a case, listed and opened."""

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from eloket.common.errors import NotFound
from eloket.documents.codes import normalise_code
from eloket.documents.models import IssuedDocument


def case_documents(*, municipality: Any, case: Any) -> QuerySet[IssuedDocument]:
    """The documents made for a case, oldest first, without their PDF."""
    return (
        IssuedDocument.objects.filter(municipality=municipality, case=case)
        .defer("pdf")
        .order_by("issued_at", "id")
    )


def case_document(*, municipality: Any, case: Any, code: str) -> IssuedDocument:
    """One of them with its PDF, by its code (with or without dashes), or NotFound. Who
    may open it is the caller's check (the requester, or an officer who may handle the
    case)."""
    document = IssuedDocument.objects.filter(
        municipality=municipality, case=case, code=normalise_code(code)[:12]
    ).first()
    if document is None:
        raise NotFound(_("No such document."))
    return document
