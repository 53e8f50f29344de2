"""Reads of services: what a municipality offers, one service's current version, a
citizen's drafts, a request's answers as a readable summary, and what the register and
the eID fill in."""

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from eloket.cases.models import Case, CaseType
from eloket.common.actors import Actor
from eloket.common.errors import NotFound
from eloket.services.form import Form
from eloket.services.models import Draft, ServiceRequest

HANDLER = "service"


def services_offered(*, municipality: Any) -> list[CaseType]:
    """The current versions of the services citizens may apply for, by name."""
    kinds = CaseType.objects.filter(
        municipality=municipality, handler=HANDLER, current=True, active=True
    )
    return sorted(kinds, key=lambda kind: kind.name().casefold())


def services_all(*, municipality: Any) -> list[CaseType]:
    """Every service's current version, offered or not (for the administrator)."""
    kinds = CaseType.objects.filter(municipality=municipality, handler=HANDLER, current=True)
    return sorted(kinds, key=lambda kind: kind.name().casefold())


def service_current(*, municipality: Any, code: str) -> CaseType:
    """The current version of an offered service, or NotFound (also for a service of
    another municipality, or one no longer offered)."""
    found = CaseType.objects.filter(
        municipality=municipality, code=str(code)[:40], handler=HANDLER, current=True, active=True
    ).first()
    if found is None:
        raise NotFound(_("There is no such service here."))
    return found


def service_version_current(*, municipality: Any, code: str) -> CaseType:
    """The current version of a service, offered or not (the administrator exports or
    enables it again), or NotFound."""
    found = CaseType.objects.filter(
        municipality=municipality, code=str(code)[:40], handler=HANDLER, current=True
    ).first()
    if found is None:
        raise NotFound(_("There is no such service here."))
    return found


def drafts_of(*, municipality: Any, user: Any) -> list[Draft]:
    return list(
        Draft.objects.filter(
            municipality=municipality, user=user, expires_at__gte=timezone.now()
        ).select_related("case_type")
    )


def draft_get(*, municipality: Any, user: Any, token: str) -> Draft:
    try:
        draft = (
            Draft.objects.select_related("case_type")
            .filter(
                municipality=municipality, user=user, token=token, expires_at__gte=timezone.now()
            )
            .first()
        )
    except Exception:  # a token that is not a UUID
        draft = None
    if draft is None:
        raise NotFound(_("There is no such draft: it may have expired or been submitted."))
    return draft


def request_from_draft(*, municipality: Any, user: Any, token: str) -> Case | None:
    """The request a submitted draft became (its token was the idempotency key): a second
    click on "Submit" finds it, when the draft itself is gone."""
    from eloket.cases.models import IdempotencyRecord

    record = (
        IdempotencyRecord.objects.select_related("case")
        .filter(municipality=municipality, user=user, key=str(token)[:100])
        .first()
    )
    return record.case if record is not None else None


def service_request_of(*, municipality: Any, case: Case) -> ServiceRequest | None:
    if case.case_type.handler != HANDLER or case.municipality_id != municipality.pk:
        return None
    return ServiceRequest.objects.filter(municipality=municipality, case=case).first()


def service_file(*, municipality: Any, case_type: CaseType) -> dict[str, Any]:
    """The definition file of a published version: importing it publishes the same."""
    from eloket.services.handler import DEFAULT_WORKFLOW

    if case_type.handler != HANDLER or case_type.municipality_id != municipality.pk:
        raise NotFound(_("This kind of request has no form to export."))
    exported: dict[str, Any] = {
        "code": case_type.code,
        "names": case_type.names,
        "department": case_type.department,
        "processing_days": case_type.processing_days,
        "audience": case_type.audience,
    }
    if case_type.definition != DEFAULT_WORKFLOW:
        exported["workflow"] = case_type.definition
    exported.update(case_type.options)
    return exported


def prefill(*, actor: Actor, municipality: Any, form: Form) -> dict[str, Any]:
    """What the register and the eID fill in where the form asks for it: the applicant's
    own data, read by themselves (no access log: nobody else reads it)."""
    from django.contrib.auth.models import User

    from eloket.identity.selectors import citizen_person_in

    # Several questions may ask the same (the organiser and the bar's manager: a name).
    wanted = [f for f in form.fields.values() if f.prefill]
    if not wanted:
        return {}
    person = citizen_person_in(actor, municipality)
    values: dict[str, Any] = {}
    if person is not None:
        values["name"] = person.full_name
        values["first_name"] = person.first_names
        values["last_name"] = person.last_name
        if person.birth_date:
            values["date_of_birth"] = person.birth_date.isoformat()
        address = person.addresses.filter(valid_to__isnull=True, is_main_residence=True).first()
        if address is not None:
            values["address"] = {
                "street": address.street,
                "number": address.house_number,
                **({"box": address.box} if address.box else {}),
                "postcode": address.postcode,
                "city": address.municipality_name,
            }
    user = User.objects.filter(pk=actor.user_id).first() if actor.user_id is not None else None
    if user is not None and user.email:
        values["email"] = user.email
    answers: dict[str, Any] = {}
    for f in wanted:
        key = f.prefill
        value = values.get(key)
        if value is None:
            continue
        if f.type == "location" and key == "address":
            value = {"address": value}
        answers[f.name] = value
    return answers


def household_refs(*, actor: Actor, municipality: Any) -> dict[str, str]:
    """The applicant's household as a household-member question offers it: reference →
    name. Their own entry included (a parking card for oneself)."""
    from eloket.identity.selectors import citizen_person_in
    from eloket.register.selectors import household_members

    person = citizen_person_in(actor, municipality)
    if person is None or person.municipality_id != municipality.pk:
        return {}
    return {str(m.person.pk): m.person.full_name for m in household_members(person=person)}
