"""A document of a request as someone opens it (downloads the PDF) through the API: a
document about a person (a certificate) tells them in their access log who opened it,
unless it is them. A service's documents attest no register data and have no subject."""

from typing import Any

from django.utils.translation import gettext as _

from eloket.common.actors import Actor
from eloket.documents.models import IssuedDocument
from eloket.documents.selectors import case_document
from eloket.register.models import DataCategory
from eloket.register.selectors import record_read_elsewhere


def case_document_opened(
    *, municipality: Any, actor: Actor, case: Any, code: str
) -> IssuedDocument:
    """The caller has checked that `actor` may see the case (its requester, or an
    officer who may handle it)."""
    document = case_document(municipality=municipality, case=case, code=code)
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
