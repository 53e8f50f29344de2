"""When the register changes, certificates that no longer tell the truth are superseded.

The register announces (through the outbox, once the change is committed) whose data
changed; for every valid certificate about those people, the facts it attests are read
again and compared with the digest stored at issue. The read is logged in the person's
access log as the platform's own check.
"""

import logging
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from eloket.certificates.content import MissingData, certificate_content
from eloket.common.actors import Actor
from eloket.documents.codes import attested_digest
from eloket.documents.models import DocumentStatus, IssuedDocument
from eloket.documents.services import documents_supersede
from eloket.register.events import RegisterListener, register_listeners

log = logging.getLogger(__name__)


@register_listeners.register("certificates.supersede")
class SupersedeOutdated(RegisterListener):
    verbose_name = "supersede certificates that no longer hold"

    def changed(self, municipality: Any, person_ids: list[int]) -> None:
        supersede_outdated(municipality, person_ids)


def supersede_outdated(municipality: Any, person_ids: list[int]) -> int:
    documents = IssuedDocument.objects.select_related("municipality", "subject").filter(
        municipality=municipality, subject_id__in=person_ids, status=DocumentStatus.VALID
    )
    actor = Actor.system(gettext_noop("Validity check of issued certificates"), municipality)
    outdated = []
    for document in documents:
        if document.subject is None:
            continue
        try:
            content = certificate_content(
                kind=document.kind,
                municipality=document.municipality,
                subject=document.subject,
                language=document.language,
                actor=actor,
                purpose=_("The register changed: is certificate %(code)s still true?")
                % {"code": document.display_code},
                case_ref=f"document:{document.code}",
            )
            still_true = attested_digest(content.attested) == document.attested_digest
        except MissingData:
            still_true = False
        except Exception:  # the person moved to another register, say
            log.exception("could not re-check document %s", document.code)
            still_true = False
        if not still_true:
            outdated.append(document)
    return documents_supersede(
        actor=actor,
        municipality=municipality,
        documents=outdated,
        reason=gettext_noop("The register data it attests has changed."),
    )
