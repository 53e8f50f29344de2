"""Posting certificates: one merged PDF of every pending postal order (an address sheet
for a window envelope, then the certificate), and marking what was posted."""

import io
import json

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from pypdf import PdfReader, PdfWriter

from eloket.cases import messages as texts
from eloket.cases.codes import normalise_tracking_code
from eloket.cases.models import Case
from eloket.cases.services import case_transition
from eloket.certificates.models import CertificateOrder
from eloket.certificates.selectors import document_opened, postal_orders_pending
from eloket.common.actors import Actor
from eloket.common.errors import ApplicationError
from eloket.common.permissions import Permission, authorize
from eloket.documents.render import TEMPLATES
from eloket.register.selectors import person_record
from eloket.tenants.models import Module, Municipality
from eloket.tenants.modules import module_check


def _recipient(case: Case, actor: Actor) -> dict[str, str]:
    """The requester's address in the register (they receive the post)."""
    from eloket.identity.selectors import citizen_of

    citizen = citizen_of(case.requester)
    if citizen is None:
        raise ApplicationError(_("This order has no citizen to post to."))
    record = person_record(
        municipality=case.municipality,
        national_id=citizen.national_id,
        actor=actor,
        purpose=_("Posting order %(code)s") % {"code": case.display_code},
        case_ref=f"order:{case.tracking_code}",
        data=("identity", "addresses"),
    )
    address = record.current_address
    if address is None:
        raise ApplicationError(
            _("%(code)s: the requester has no address in the register.")
            % {"code": case.display_code}
        )
    box = f" {_('box')} {address.box}" if address.box else ""
    return {
        "name": record.person.full_name,
        "street": f"{address.street} {address.house_number}{box}",
        "city": f"{address.postcode} {address.municipality_name}",
        "reference": case.display_code,
    }


def postal_batch(*, actor: Actor, municipality: Municipality) -> tuple[bytes, list[str]]:
    """One PDF for the printer: per pending order, an address sheet then the certificate.
    Returns the PDF and the tracking codes it holds (to mark them sent afterwards).
    Reading the addresses is written to each requester's access log."""
    module_check(municipality, Module.CERTIFICATES)
    import typst

    authorize(actor, municipality, Permission.POSTAL)
    cases = list(postal_orders_pending(municipality=municipality, actor=actor))
    if not cases:
        raise ApplicationError(
            _("There are no certificates waiting to be posted."), code="empty_batch"
        )
    sheets = [_recipient(case, actor) for case in cases]
    language = municipality.default_language
    with translation.override(language):
        data = {
            "language": language,
            "sender": {
                "name": municipality.display_name(language),
                "address": municipality.contact_address,
            },
            "sheets": sheets,
        }
    address_pdf = typst.compile(
        str(TEMPLATES / "address_sheets.typ"),
        root=str(TEMPLATES),
        sys_inputs={"data": json.dumps(data, ensure_ascii=False)},
    )
    addresses = PdfReader(io.BytesIO(address_pdf))
    writer = PdfWriter()
    for index, case in enumerate(cases):
        writer.add_page(addresses.pages[index])
        document = document_opened(municipality=municipality, actor=actor, case=case)
        if document is not None:
            for page in PdfReader(io.BytesIO(bytes(document.pdf))).pages:
                writer.add_page(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue(), [case.tracking_code for case in cases]


def postal_mark_sent(*, actor: Actor, municipality: Municipality, codes: list[str]) -> int:
    """Mark the printed orders as posted: the post channel's `deliver` transition."""
    module_check(municipality, Module.CERTIFICATES)
    authorize(actor, municipality, Permission.POSTAL)
    wanted = {normalise_tracking_code(code) for code in codes if code}
    count = 0
    for case in postal_orders_pending(municipality=municipality, actor=actor):
        if case.tracking_code not in wanted:
            continue
        with transaction.atomic():
            CertificateOrder.objects.filter(case=case).update(posted_at=timezone.now())
            case_transition(
                actor=actor,
                municipality=municipality,
                case=case,
                action="deliver",
                message=texts.DELIVERED_POST,
            )
        count += 1
    return count
