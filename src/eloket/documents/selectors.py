"""Reads of issued documents by the request they were made for: the list a request's
page and the API show, and one document as its requester or an officer opens it."""

from typing import Any

from django.utils.translation import gettext as _

from eloket.common.actors import Actor
from eloket.common.errors import NotFound
from eloket.documents.codes import normalise_code
from eloket.documents.models import IssuedDocument
from eloket.register.models import DataCategory
from eloket.register.selectors import record_read_elsewhere


def case_documents(*, municipality: Any, case: Any) -> list[IssuedDocument]:
    """The documents issued for `case`, oldest first, without their PDFs."""
    return list(
        IssuedDocument.objects.filter(municipality=municipality, case=case)
        .defer("pdf")
        .order_by("issued_at", "pk")
    )


def case_document_opened(
    *, municipality: Any, actor: Actor, case: Any, code: str
) -> IssuedDocument:
    """One of the case's documents as someone opens it (downloads the PDF): a document
    about a person tells them in their access log who opened it, unless it is them.
    The caller has checked that `actor` may see the case."""
    document = (
        IssuedDocument.objects.filter(
            municipality=municipality, case=case, code=normalise_code(code)[:12]
        )
        .select_related("subject")
        .first()
    )
    if document is None:
        raise NotFound(_("This request has no such document."))
    if document.subject is not None:
        record_read_elsewhere(
            municipality=municipality,
            actor=actor,
            person=document.subject,
            data=(DataCategory.CERTIFICATE,),
            purpose=_("Opening document %(document)s of request %(code)s")
            % {"document": document.display_code, "code": case.display_code},
            case_ref=f"case:{case.tracking_code}",
        )
    return document
