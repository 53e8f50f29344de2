"""Sealed documents as e-mail attachments: the outbox names them by code and reads the
PDF when the e-mail goes out."""

from eloket.documents.codes import display_code
from eloket.documents.models import IssuedDocument
from eloket.outbox.email import Attachment, AttachmentSource, attachment_sources


@attachment_sources.register("document")
class SealedDocument(AttachmentSource):
    verbose_name = "sealed document"

    def load(self, ref: str) -> Attachment:
        document = IssuedDocument.objects.get(code=ref)
        return Attachment(
            filename=f"{document.kind}-{display_code(document.code)}.pdf",
            content=bytes(document.pdf),
            mimetype="application/pdf",
        )
