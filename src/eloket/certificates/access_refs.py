"""What the certificate references in a person's access log stand for, in words: an
order ("order:<tracking code>": opening it, issuing or posting it) and a document
("document:<code>": the check after a register change). The person reads "Certificate of
residence, order WRDN-53W9" with a link to the order where they ordered it, not the
reference the log keeps."""

from django.utils.translation import gettext as _

from eloket.cases.display import case_path
from eloket.cases.models import Case
from eloket.documents.models import IssuedDocument
from eloket.register.access_log import AccessRef, RefWords, access_refs


def _words(case: Case, reader_user_id: int | None) -> RefWords:
    # What was ordered, in the reader's language (the order's type, not a stored title).
    label = case.order.certificate_type.label
    return RefWords(
        text=_("%(what)s, order %(code)s") % {"what": label, "code": case.display_code},
        municipality=case.municipality,
        path=case_path(case) if reader_user_id and case.requester_id == reader_user_id else "",
    )


def _cases(codes: list[str]) -> dict[str, Case]:
    found = Case.objects.filter(tracking_code__in=codes, order__isnull=False).select_related(
        "municipality", "case_type", "order__certificate_type"
    )
    return {case.tracking_code: case for case in found}


@access_refs.register("order")
class OrderRef(AccessRef):
    verbose_name = "certificate order"

    def describe(self, values: list[str], *, reader_user_id: int | None) -> dict[str, RefWords]:
        return {code: _words(case, reader_user_id) for code, case in _cases(values).items()}


@access_refs.register("document")
class DocumentRef(AccessRef):
    verbose_name = "certificate"

    def describe(self, values: list[str], *, reader_user_id: int | None) -> dict[str, RefWords]:
        documents = dict(
            IssuedDocument.objects.filter(code__in=values, case__isnull=False).values_list(
                "code", "case__tracking_code"
            )
        )
        cases = _cases(list(documents.values()))
        return {
            code: _words(cases[tracking], reader_user_id)
            for code, tracking in documents.items()
            if tracking in cases
        }
