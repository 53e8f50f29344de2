"""Filing a request for a citizen who came to the counter, phoned or wrote (issue 12,
point 10): choose the service and the channel, find the citizen in the register (a read
of their data, written to the access log with its purpose; the national number travels
in a POST body, never in an address), then fill in the whole form on one page. The
request is the citizen's: they find it in "My requests"."""

from typing import Any

from django.contrib import messages
from django.core import signing
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from eloket.cases.models import CaseType
from eloket.common.actors import Actor
from eloket.common.errors import ApplicationError
from eloket.common.nocache import never_cache
from eloket.common.permissions import Permission, may
from eloket.common.uploads import upload_limit
from eloket.identity.access import officer_page
from eloket.register.models import DataCategory, Person
from eloket.register.selectors import household_members, person_in_register, person_record
from eloket.services.form import Field, Form
from eloket.services.handler import form_of
from eloket.services.models import Channel
from eloket.services.selectors import services_offered
from eloket.services.services import InvalidAnswers, service_request_file_for_person
from eloket.tenants.links import tenant_reverse
from eloket.tenants.models import Municipality

CHANNELS = (Channel.COUNTER, Channel.PHONE, Channel.LETTER)
ADDRESS_PARTS = ("street", "number", "box", "postcode", "city")
# The found citizen is carried between the two steps as a signed register id (not the
# national number): it proves this officer looked them up (and the access log has it).
SUBJECT_SALT = "eloket.backoffice.file-for"
SUBJECT_MAX_AGE = 2 * 60 * 60


def _services_for(tenant: Municipality, actor: Actor) -> list[CaseType]:
    """The offered services whose department the officer works for."""
    return [
        t
        for t in services_offered(municipality=tenant)
        if may(actor, tenant, Permission.CASE_HANDLE, department=t.department)
    ]


def _subject_token(actor: Actor, person: Person, service: str, channel: str) -> str:
    return signing.dumps(
        {"p": person.pk, "u": actor.user_id, "s": service, "c": channel}, salt=SUBJECT_SALT
    )


def _subject(token: str, actor: Actor) -> dict[str, Any]:
    try:
        found = signing.loads(token, salt=SUBJECT_SALT, max_age=SUBJECT_MAX_AGE)
    except signing.BadSignature as exc:
        raise ApplicationError(
            _("Look the citizen up again: this form is too old."), code="subject_expired"
        ) from exc
    if found.get("u") != actor.user_id:
        raise ApplicationError(_("Look the citizen up again."), code="subject_expired")
    return found


def answers_from_post(form: Form, data: QueryDict) -> dict[str, Any]:
    """The page's values as the form's answers: typed, and only those the answers
    themselves ask (a question hidden by another answer is dropped)."""
    answers: dict[str, Any] = {}
    for f in form.fields.values():
        if f.is_file:
            continue
        value: Any
        if f.type == "address":
            value = _address(data, f.name)
        elif f.type == "location":
            address = _address(data, f.name)
            value = {"address": address} if address else None
            if value is not None and f.coordinates:
                for axis in ("lat", "lon"):
                    number = form.clean_value(
                        Field(name=axis, type="number", labels={}), data.get(f"{f.name}.{axis}")
                    )
                    if number is not None:
                        value[axis] = number
        elif f.type == "choice" and f.multiple:
            value = [v for v in data.getlist(f.name) if v] or None
        elif f.type == "choice":
            value = data.get(f.name) or None
        else:
            value = form.clean_value(f, data.get(f.name))
        if value is not None:
            answers[f.name] = value
    # Drop what is not asked; again, since a dropped answer may hide another question.
    for _round in range(len(form.fields) + 1):
        kept = {k: v for k, v in answers.items() if form.fields[k].shown(answers)}
        if kept == answers:
            break
        answers = kept
    return answers


def _address(data: QueryDict, name: str) -> dict[str, str] | None:
    parts = {part: data.get(f"{name}.{part}", "").strip() for part in ADDRESS_PARTS}
    if not any(parts.values()):
        return None
    if not parts["box"]:
        del parts["box"]
    return parts


def _prefilled(form: Form, record: Any) -> dict[str, Any]:
    """What the register says, where the form asks for it (the officer checks it with
    the citizen)."""
    person, address = record.person, record.current_address
    known: dict[str, Any] = {
        "name": person.full_name,
        "first_name": person.first_names,
        "last_name": person.last_name,
        "date_of_birth": person.birth_date.isoformat() if person.birth_date else None,
        "address": {
            "street": address.street,
            "number": address.house_number,
            "box": address.box,
            "postcode": address.postcode,
            "city": address.municipality_name,
        }
        if address is not None
        else None,
    }
    return {
        f.name: known[f.prefill]
        for f in form.fields.values()
        if f.prefill in known and known[f.prefill] is not None
    }


def _field_rows(form: Form, answers: dict[str, Any]) -> list[dict[str, Any]]:
    """Each step with its questions and their current values, for the one-page form."""
    return [
        {
            "title": step.title(),
            "help": step.help(),
            "conditional": step.condition is not None,
            "fields": [(f, answers.get(f.name)) for f in step.fields],
        }
        for step in form.steps
    ]


@upload_limit("ELOKET_ATTACHMENTS_UPLOAD_MAX_BYTES")
@require_http_methods(["GET", "POST"])
@never_cache
@officer_page()
def request_new(request: HttpRequest, tenant: Municipality, actor: Actor) -> HttpResponse:
    services = _services_for(tenant, actor)
    by_code = {t.code: t for t in services}
    context: dict[str, Any] = {
        "services": services,
        "channels": [(c.value, c.label) for c in CHANNELS],
        "chosen": request.POST.get("service", ""),
        "channel": request.POST.get("channel", Channel.COUNTER),
        "contact_email": request.POST.get("contact_email", ""),
        "active": "backoffice",
    }
    action = request.POST.get("action", "") if request.method == "POST" else ""
    if action == "find":
        return _find(request, tenant, actor, by_code, context)
    if action == "file":
        return _file(request, tenant, actor, by_code, context)
    return render(request, "backoffice/request_new.html", {**context, "stage": "find"})


def _find(
    request: HttpRequest,
    tenant: Municipality,
    actor: Actor,
    by_code: dict[str, CaseType],
    context: dict[str, Any],
) -> HttpResponse:
    service = by_code.get(context["chosen"])
    channel = context["channel"]
    error = ""
    record = None
    if service is None:
        error = _("Choose the service.")
    elif channel not in CHANNELS:
        error = _("Say how the citizen asked: at the counter, by phone or by letter.")
    else:
        try:
            record = person_record(
                municipality=tenant,
                national_id=request.POST.get("national_id", ""),
                actor=actor,
                purpose=_("Filing a request for you: %(service)s (%(channel)s)")
                % {"service": service.name(), "channel": Channel(channel).label},
                data=(DataCategory.IDENTITY, DataCategory.ADDRESSES, DataCategory.HOUSEHOLD),
            )
        except ApplicationError as exc:
            error = str(exc)
    if record is None or service is None:
        return render(
            request,
            "backoffice/request_new.html",
            {**context, "stage": "find", "error": error},
            status=400,
        )
    form = form_of(service)
    return render(
        request,
        "backoffice/request_new.html",
        {
            **context,
            "stage": "answers",
            **_answers_context(
                actor, service, record.person, channel, _prefilled(form, record), household=None
            ),
        },
    )


def _answers_context(
    actor: Actor,
    service: CaseType,
    person: Person,
    channel: str,
    answers: dict[str, Any],
    household: list[tuple[str, str]] | None,
    problems: dict[str, str] | None = None,
) -> dict[str, Any]:
    form = form_of(service)
    if household is None:
        household = [
            (str(m.person.pk), m.person.full_name) for m in household_members(person=person)
        ]
    return {
        "service": service,
        "person": person,
        "subject": _subject_token(actor, person, service.code, channel),
        "channel_label": Channel(channel).label,
        "steps": _field_rows(form, answers),
        "household": household,
        # In the order of the form, as the error summary lists them.
        "problems": {
            name: (problems or {})[name] for name in ["", *form.fields] if name in (problems or {})
        },
        "language": get_language(),
    }


def _file(
    request: HttpRequest,
    tenant: Municipality,
    actor: Actor,
    by_code: dict[str, CaseType],
    context: dict[str, Any],
) -> HttpResponse:
    try:
        subject = _subject(request.POST.get("subject", ""), actor)
        service = by_code.get(subject["s"])
        if service is None:
            raise ApplicationError(_("This service is not offered at the moment."))
        person = person_in_register(municipality=tenant, pk=subject["p"])
    except ApplicationError as exc:
        return render(
            request,
            "backoffice/request_new.html",
            {**context, "stage": "find", "error": str(exc)},
            status=400,
        )
    channel = subject["c"]
    form = form_of(service)
    answers = answers_from_post(form, request.POST)
    try:
        case = service_request_file_for_person(
            actor=actor,
            municipality=tenant,
            code=service.code,
            person=person,
            answers=answers,
            channel=channel,
            contact_email=context["contact_email"],
            files={
                f.name: request.FILES.getlist(f.name)
                for f in form.fields.values()
                if f.is_file and f.shown(answers)
            },
        )
    except InvalidAnswers as exc:
        problems = exc.problems
    except ApplicationError as exc:
        problems = {"": str(exc)}
    else:
        messages.success(
            request,
            _("The request is filed: %(name)s finds it in “My requests”.")
            % {"name": person.full_name},
        )
        return HttpResponseRedirect(
            tenant_reverse(request, "backoffice:request", code=case.tracking_code)
        )
    return render(
        request,
        "backoffice/request_new.html",
        {
            **context,
            "stage": "answers",
            **_answers_context(actor, service, person, channel, answers, None, problems),
        },
        status=400,
    )
