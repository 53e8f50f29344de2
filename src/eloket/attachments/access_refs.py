"""What "case:<tracking code>" stands for in a person's access log ("Request ABCD-EFGH:
building permit"), with a link where the request is the reader's own."""

from django.utils.translation import gettext as _

from eloket.cases.display import case_path
from eloket.cases.models import Case
from eloket.register.access_log import AccessRef, RefWords, access_refs


@access_refs.register("case")
class CaseRef(AccessRef):
    verbose_name = "request"

    def describe(self, values: list[str], *, reader_user_id: int | None) -> dict[str, RefWords]:
        found = Case.objects.filter(tracking_code__in=values).select_related(
            "municipality", "case_type"
        )
        return {
            case.tracking_code: RefWords(
                text=_("%(what)s, request %(code)s")
                % {"what": case.case_type.name(), "code": case.display_code},
                municipality=case.municipality,
                path=case_path(case)
                if reader_user_id and case.requester_id == reader_user_id
                else "",
            )
            for case in found
        }
