"""How a case reads: timeline texts in the reader's language, and the links its handler
gives (the requester's page, the officer's page)."""

from django.utils.translation import gettext as _

from eloket.cases.handlers import case_handlers
from eloket.cases.models import Case, StatusChange
from eloket.cases.texts import localized, with_params
from eloket.tenants.links import municipality_base_url


def history_text(change: StatusChange, case: Case | None = None) -> str:
    """The plain-language text of a timeline step, in the active language."""
    case = case or change.case
    params = case_handlers[case.case_type.handler].timeline_params(case, dict(change.params))
    if change.message:
        return with_params(_(change.message), params)
    if change.texts:
        return with_params(localized(change.texts), params)
    return case.case_type.status_name(change.to_status)


def timeline_rows(steps: list[StatusChange], case: Case) -> list[tuple[StatusChange, str, str]]:
    """(step, status name, text) for a page."""
    return [
        (step, case.case_type.status_name(step.to_status), history_text(step, case))
        for step in steps
    ]


def case_path(case: Case, *, officer: bool = False) -> str:
    handler = case_handlers[case.case_type.handler]
    return handler.officer_path(case) if officer else handler.citizen_path(case)


def case_url(case: Case, *, officer: bool = False, platform_base_url: str | None = None) -> str:
    """The absolute address of the case's page (for e-mails and the API)."""
    home = municipality_base_url(case.municipality, platform_base_url=platform_base_url)
    return home + case_path(case, officer=officer)
