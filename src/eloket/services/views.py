"""Citizens' pages of services: a service's start page, its form one step per page,
"check your answers", and the confirmation with the tracking code.

Every page works without JavaScript (GOV.UK Forms' pattern): a step is a plain form
posted to the server, which keeps its answers in the draft even when they are wrong,
so that "Back" and a later visit lose nothing. Errors come back on the same page with
the error summary at the top and the message next to each field. Thin: the services
decide what is kept, what is refused and what is submitted."""

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from eloket.cases.display import case_path
from eloket.cases.models import CaseType
from eloket.cases.selectors import case_for_requester
from eloket.cases.texts import localized
from eloket.common.actors import Actor
from eloket.common.errors import ApplicationError
from eloket.common.nocache import never_cache
from eloket.common.uploads import upload_limit
from eloket.identity.selectors import citizen_actor_of
from eloket.services.display import answers_summary, fee_label
from eloket.services.form import TEXT_LIMIT, Field, Form, Step
from eloket.services.handler import form_of
from eloket.services.models import Draft, Ground
from eloket.services.selectors import (
    draft_get,
    drafts_of,
    household_refs,
    prefill,
    request_from_draft,
    service_current,
)
from eloket.services.services import (
    InvalidAnswers,
    check_may_apply,
    draft_delete,
    draft_save_step,
    draft_set_contact,
    draft_set_on_behalf,
    draft_start,
    draft_submit,
)
from eloket.tenants.decorators import tenant_page
from eloket.tenants.links import tenant_reverse
from eloket.tenants.models import Municipality

# The parts of an address as the form asks them, with the autocomplete token each has
# (WCAG 1.3.5); a house number and a box have none of their own.
ADDRESS_PARTS = (
    ("street", "address-line1", True),
    ("number", "", True),
    ("box", "", False),
    ("postcode", "postal-code", True),
    ("city", "address-level2", True),
)
# More options than this are a drop-down list rather than a column of radio buttons.
RADIOS_AT_MOST = 8


def _login_redirect(request: HttpRequest) -> HttpResponse:
    login = tenant_reverse(request, "identity:login")
    return HttpResponseRedirect(f"{login}?next={request.get_full_path()}")


def _citizen(request: HttpRequest) -> Actor:
    actor = citizen_actor_of(request.user)
    if actor is None:
        raise Http404(_("This is for citizens logged in with their eID."))
    return actor


def _draft(request: HttpRequest, tenant: Municipality, code: str, token: UUID) -> Draft:
    """The logged-in citizen's own draft of this service (else no such page)."""
    try:
        draft = draft_get(municipality=tenant, user=request.user, token=str(token))
    except ApplicationError as exc:
        raise Http404(str(exc)) from exc
    if draft.case_type.code != code:
        raise Http404(_("There is no such draft."))
    return draft


def _url(request: HttpRequest, name: str, draft: Draft, **kwargs: Any) -> str:
    return tenant_reverse(
        request, f"services:{name}", code=draft.case_type.code, token=draft.token, **kwargs
    )


def _step_url(request: HttpRequest, draft: Draft, step: str, returning: bool = False) -> str:
    return _url(request, "step", draft, step=step) + ("?return=check" if returning else "")


def _offers_on_behalf(case_type: CaseType) -> bool:
    return bool(case_type.options.get("on_behalf", {}).get("grounds"))


def _where_to_go_on(request: HttpRequest, draft: Draft, form: Form) -> str:
    """The first step shown with the answers so far that is not done yet, else the
    "check your answers" page."""
    for step in form.shown_steps(draft.answers):
        if step.name not in draft.done:
            return _step_url(request, draft, step.name)
    return _url(request, "check", draft)


def _refusal(actor: Actor | None, tenant: Municipality, case_type: CaseType) -> str:
    if actor is None:
        return _("This is for citizens logged in with their eID.")
    try:
        check_may_apply(actor=actor, municipality=tenant, case_type=case_type)
    except ApplicationError as exc:
        return str(exc)
    return ""


# --- The start page


@require_http_methods(["GET", "POST"])
@never_cache
@tenant_page
def start(request: HttpRequest, tenant: Municipality, code: str) -> HttpResponse:
    """What the service is, what it costs, how long it takes and who may apply; "Start"
    makes a draft. Open to anyone to read; starting needs a log-in."""
    try:
        case_type = service_current(municipality=tenant, code=code)
    except ApplicationError as exc:
        raise Http404(str(exc)) from exc
    logged_in = request.user.is_authenticated
    if request.method == "POST" and not logged_in:
        return _login_redirect(request)
    actor = citizen_actor_of(request.user) if logged_in else None
    refusal = _refusal(actor, tenant, case_type) if logged_in else ""
    if request.method == "POST" and not refusal:
        assert actor is not None
        try:
            draft = draft_start(actor=actor, municipality=tenant, code=case_type.code)
        except ApplicationError as exc:
            refusal = str(exc)
        else:
            if _offers_on_behalf(case_type):
                return HttpResponseRedirect(_url(request, "for-whom", draft))
            return HttpResponseRedirect(_where_to_go_on(request, draft, form_of(case_type)))
    drafts = (
        [d for d in drafts_of(municipality=tenant, user=request.user) if d.case_type.code == code]
        if actor is not None and not refusal
        else []
    )
    help_text = localized(case_type.options.get("help", {}))
    return render(
        request,
        "services/start.html",
        {
            "case_type": case_type,
            "name": case_type.name(),
            "paragraphs": [p for p in help_text.split("\n") if p.strip()],
            "fee": fee_label(case_type),
            "has_fee": bool((case_type.options.get("fee") or {}).get("amount")),
            "audience": _audience(case_type, tenant),
            "refusal": refusal,
            "drafts": [(d, _url(request, "resume", d)) for d in drafts],
            "login_url": tenant_reverse(request, "identity:login")
            + "?next="
            + request.get_full_path(),
            "active": "catalogue",
        },
        status=403 if refusal else 200,
    )


def _audience(case_type: CaseType, tenant: Municipality) -> str:
    name = tenant.display_name(get_language())
    if case_type.audience == "anyone":
        return _("Anyone who logs in with an eID may apply.")
    if case_type.audience == "adult_residents":
        return _("For residents of %(name)s aged 18 and over.") % {"name": name}
    return _("For residents of %(name)s.") % {"name": name}


@require_GET
@never_cache
@tenant_page
def resume(request: HttpRequest, tenant: Municipality, code: str, token: UUID) -> HttpResponse:
    """Continue a draft (from "My requests"): where it was left."""
    if not request.user.is_authenticated:
        return _login_redirect(request)
    _citizen(request)
    draft = _draft(request, tenant, code, token)
    return HttpResponseRedirect(_where_to_go_on(request, draft, form_of(draft.case_type)))


# --- For whom


@require_http_methods(["GET", "POST"])
@never_cache
@tenant_page
def for_whom(request: HttpRequest, tenant: Municipality, code: str, token: UUID) -> HttpResponse:
    """Filed for oneself, or for someone else (a parent for a child, a notary for a
    client): their name and on what ground, from the grounds the service accepts."""
    if not request.user.is_authenticated:
        return _login_redirect(request)
    actor = _citizen(request)
    draft = _draft(request, tenant, code, token)
    grounds = draft.case_type.options.get("on_behalf", {}).get("grounds", [])
    if not grounds:
        raise Http404(_("This service is requested only in one's own name."))
    form = form_of(draft.case_type)
    returning = request.GET.get("return") == "check" or request.POST.get("return") == "check"
    values = {
        "whom": "other" if draft.on_behalf_ground else "self",
        "name": draft.on_behalf_name,
        "ground": draft.on_behalf_ground,
    }
    errors: list[tuple[str, str, str]] = []  # (field, anchor id, message)
    if request.method == "POST":
        values = {
            "whom": request.POST.get("whom", ""),
            "name": request.POST.get("name", "").strip(),
            "ground": request.POST.get("ground", ""),
        }
        if values["whom"] not in ("self", "other"):
            errors.append(("whom", "whom-self", _("Say for whom you fill in this form.")))
        else:
            on_behalf = (
                {"name": values["name"], "ground": values["ground"]}
                if values["whom"] == "other"
                else None
            )
            try:
                draft_set_on_behalf(
                    actor=actor, municipality=tenant, draft=draft, on_behalf=on_behalf
                )
            except ApplicationError as exc:
                field = "name" if exc.code == "name_required" else "ground"
                anchor = "name" if field == "name" else f"ground-{grounds[0]}"
                errors.append((field, anchor, str(exc)))
        if not errors:
            if returning:
                return HttpResponseRedirect(_url(request, "check", draft))
            return HttpResponseRedirect(_where_to_go_on(request, draft, form))
    return render(
        request,
        "services/for_whom.html",
        {
            "draft": draft,
            "name": draft.case_type.name(),
            "values": values,
            "grounds": [(g, Ground(g).label) for g in grounds],
            "errors": errors,
            "summary": [(anchor, message) for _field, anchor, message in errors],
            "error_of": {field: message for field, _anchor, message in errors},
            "returning": returning,
            "back_url": _url(request, "check", draft)
            if returning
            else tenant_reverse(request, "services:start", code=draft.case_type.code),
            "active": "catalogue",
        },
        status=400 if errors else 200,
    )


# --- One step


@upload_limit("ELOKET_ATTACHMENTS_UPLOAD_MAX_BYTES")
@require_http_methods(["GET", "POST"])
@never_cache
@tenant_page
def step_page(
    request: HttpRequest, tenant: Municipality, code: str, token: UUID, step: str
) -> HttpResponse:
    if not request.user.is_authenticated:
        return _login_redirect(request)
    actor = _citizen(request)
    draft = _draft(request, tenant, code, token)
    form = form_of(draft.case_type)
    spec = form.step(step)
    if spec is None:
        raise Http404(_("This form has no such step."))
    if not spec.shown(draft.answers):
        # Not asked with the answers given so far (an earlier answer hides it).
        return HttpResponseRedirect(_where_to_go_on(request, draft, form))
    returning = request.GET.get("return") == "check" or request.POST.get("return") == "check"
    problems: dict[str, str] = {}
    if request.method == "POST":
        values, problems = _posted_values(request, spec)
        problems.update(_store_files(request, actor, tenant, draft, spec))
        try:
            found = draft_save_step(
                actor=actor, municipality=tenant, draft=draft, step=spec.name, values=values
            )
        except ApplicationError as exc:
            raise Http404(str(exc)) from exc
        problems = {**found, **problems}
        if not problems:
            return HttpResponseRedirect(_after(request, draft, form, spec, returning))
    language = get_language()
    household = (
        household_refs(actor=actor, municipality=tenant)
        if any(f.type == "household_member" for f in spec.fields)
        else {}
    )
    answers = dict(draft.answers)
    if request.method == "GET" and spec.name not in draft.done:
        # The first visit: what the register and the eID know, where the form asks it.
        for name, value in prefill(actor=actor, municipality=tenant, form=form).items():
            if name in {f.name for f in spec.fields}:
                answers.setdefault(name, value)
    files = _draft_files(request, draft) if any(f.is_file for f in spec.fields) else {}
    widgets = [
        _widget(f, answers.get(f.name), problems.get(f.name, ""), language, household, files)
        for f in spec.fields
        if f.shown(draft.answers)
    ]
    shown = [s.name for s in form.shown_steps(draft.answers)]
    number = shown.index(spec.name) + 1
    return render(
        request,
        "services/step.html",
        {
            "draft": draft,
            "name": draft.case_type.name(),
            "step": spec,
            "title": spec.title(language),
            "help": spec.help(language),
            "widgets": widgets,
            "errors": [
                (w["first_id"], problems[w["name"]]) for w in widgets if w["name"] in problems
            ]
            + [("", message) for key, message in problems.items() if key == ""],
            "number": number,
            "total": len(shown),
            "multipart": any(f.is_file for f in spec.fields),
            "returning": returning,
            "back_url": _back(request, draft, shown, spec.name, returning),
            "active": "catalogue",
        },
        status=400 if problems else 200,
    )


def _after(request: HttpRequest, draft: Draft, form: Form, spec: Step, returning: bool) -> str:
    """Where "Continue" goes: the next step shown with the answers now given; back to
    "check your answers" when the citizen came from there (unless a changed answer
    brought a step not filled in yet)."""
    if returning:
        return _where_to_go_on(request, draft, form)
    shown = [s.name for s in form.shown_steps(draft.answers)]
    following = shown[shown.index(spec.name) + 1 :] if spec.name in shown else []
    if following:
        return _step_url(request, draft, following[0])
    return _where_to_go_on(request, draft, form)


def _back(request: HttpRequest, draft: Draft, shown: list[str], step: str, returning: bool) -> str:
    if returning:
        return _url(request, "check", draft)
    at = shown.index(step)
    if at > 0:
        return _step_url(request, draft, shown[at - 1])
    if _offers_on_behalf(draft.case_type):
        return _url(request, "for-whom", draft)
    return tenant_reverse(request, "services:start", code=draft.case_type.code)


def _posted_address(post: Any, name: str) -> dict[str, str] | None:
    parts = {key: post.get(f"{name}.{key}", "").strip() for key, _ac, _req in ADDRESS_PARTS}
    parts = {key: value for key, value in parts.items() if value}
    return parts or None


def _coordinate(text: str) -> float | None:
    try:
        return float(text.replace(",", "."))
    except ValueError:
        return None


def _posted_values(request: HttpRequest, step: Step) -> tuple[dict[str, Any], dict[str, str]]:
    """A step's answers as the page sent them (strings, the services convert them), with
    an address put together from its parts; and what the page itself can tell is wrong."""
    post = request.POST
    values: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for f in step.fields:
        if f.is_file:
            continue
        if f.type == "address":
            values[f.name] = _posted_address(post, f.name)
        elif f.type == "location":
            address = _posted_address(post, f.name)
            value: dict[str, Any] = {"address": address} if address else {}
            for axis in ("lat", "lon") if f.coordinates else ():
                text = post.get(f"{f.name}.{axis}", "").strip()
                if not text:
                    continue
                number = _coordinate(text)
                if number is None:
                    problems[f.name] = _(
                        "Enter the coordinates as numbers, like 51.0543 and 3.7174, or leave "
                        "them empty."
                    )
                else:
                    value[axis] = number
            values[f.name] = value or None
        elif f.type == "choice" and f.multiple:
            values[f.name] = [v for v in post.getlist(f.name) if v]
        elif f.type == "choice":
            values[f.name] = post.get(f.name) or None
        else:
            values[f.name] = post.get(f.name, "")
    return values, problems


# --- Files (the attachments app keeps them, by the draft's token and the question)


def _store_files(
    request: HttpRequest, actor: Actor, tenant: Municipality, draft: Draft, step: Step
) -> dict[str, str]:
    """The files sent with the step, per question: all of a question's files or none
    (the attachments app checks their content, size and count)."""
    file_fields = [f for f in step.fields if f.is_file and f.shown(draft.answers)]
    if not file_fields:
        return {}
    try:
        from eloket.attachments.services import attachments_store
        from eloket.common.files import FileRules
    except ImportError:  # pragma: no cover (the attachments app is installed with this one)
        return {}
    problems: dict[str, str] = {}
    for f in file_fields:
        uploads = [u for u in request.FILES.getlist(f.name) if u.size or u.name]
        if not uploads:
            continue
        rules = FileRules(
            accept=f.accept, max_bytes=f.max_size_mb * 1024 * 1024, max_files=f.max_files
        )
        try:
            attachments_store(
                actor=actor,
                municipality=tenant,
                uploads=uploads,
                rules=rules,
                draft_token=str(draft.token),
                question=f.name,
            )
        except ApplicationError as exc:
            problems[f.name] = str(exc)
    return problems


def _draft_files(request: HttpRequest, draft: Draft) -> dict[str, list[str]]:
    """The names of the files added to the draft so far, per question."""
    if not any(f.is_file for f in form_of(draft.case_type).fields.values()):
        return {}
    try:
        from eloket.attachments.selectors import attachments_of_draft
    except ImportError:  # pragma: no cover
        return {}
    found: dict[str, list[str]] = {}
    for attachment in attachments_of_draft(
        municipality=draft.municipality, user=request.user, draft_token=str(draft.token)
    ):
        found.setdefault(attachment.question, []).append(attachment.name)
    return found


# --- How a field is drawn


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _widget(
    f: Field,
    value: Any,
    error: str,
    language: str | None,
    household: dict[str, str],
    files: dict[str, list[str]],
) -> dict[str, Any]:
    """What the template needs to draw one field: ids, the value given so far, the
    options, the hint and the error."""
    field_id = f"q-{f.name}"
    w: dict[str, Any] = {
        "name": f.name,
        "id": field_id,
        "type": f.type,
        "label": f.label(language),
        "help": f.help(language),
        "required": f.required,
        "error": error,
        "autocomplete": f.autocomplete,
        "first_id": field_id,
        "kind": "input",
    }
    t = f.type
    if t in ("text", "email", "phone", "number", "date"):
        w["value"] = _text(value)
        w["input_type"] = {"email": "email", "phone": "tel"}.get(t, "text")
        w["maxlength"] = f.max_length or TEXT_LIMIT.get(t, 0)
        if t == "number":
            w["inputmode"] = "numeric" if f.integer else "decimal"
            w["maxlength"] = 0
        if t == "date":
            w["maxlength"] = 10
            w["format_hint"] = _("Year-month-day, like 2027-06-21.")
    elif t == "long_text":
        w["kind"] = "textarea"
        w["value"] = _text(value)
        w["maxlength"] = f.max_length or TEXT_LIMIT["long_text"]
    elif t in ("choice", "yes_no", "household_member"):
        if t == "choice":
            pairs = [(o.value, o.label(language)) for o in f.options]
        elif t == "yes_no":
            pairs = [("yes", _("Yes")), ("no", _("No"))]
            value = {True: "yes", False: "no"}.get(value) if isinstance(value, bool) else value
        else:
            pairs = list(household.items())
        chosen = {str(v) for v in value} if isinstance(value, list) else {_text(value)}
        w["options"] = [
            {"value": v, "label": label, "id": f"{field_id}-{i}", "checked": v in chosen}
            for i, (v, label) in enumerate(pairs)
        ]
        if t == "choice" and f.multiple:
            w["kind"] = "checkboxes"
        elif len(pairs) > RADIOS_AT_MOST:
            w["kind"] = "select"
        else:
            w["kind"] = "radios"
        if w["kind"] != "select" and pairs:
            w["first_id"] = f"{field_id}-0"
        w["inline"] = t == "yes_no"
    elif t == "consent":
        w["kind"] = "consent"
        w["checked"] = value is True
    elif t in ("address", "location"):
        w["kind"] = "address"
        given = value if isinstance(value, dict) else {}
        address = given.get("address", {}) if t == "location" else given
        address = address if isinstance(address, dict) else {}
        labels = {
            "street": _("Street"),
            "number": _("Number"),
            "box": _("Box (optional)"),
            "postcode": _("Postcode"),
            "city": _("Municipality or city"),
        }
        w["parts"] = [
            {
                "name": f"{f.name}.{key}",
                "id": f"{field_id}-{key}",
                "label": labels[key],
                "value": _text(address.get(key)),
                "autocomplete": autocomplete,
                "size": 8 if key in ("number", "box", "postcode") else 30,
            }
            for key, autocomplete, _required in ADDRESS_PARTS
        ]
        w["first_id"] = f"{field_id}-street"
        if t == "location" and f.coordinates:
            w["coordinates"] = [
                {
                    "name": f"{f.name}.{axis}",
                    "id": f"{field_id}-{axis}",
                    "label": label,
                    "value": _text(given.get(axis)),
                }
                for axis, label in (("lat", _("Latitude")), ("lon", _("Longitude")))
            ]
    elif t == "file":
        w["kind"] = "file"
        w["files"] = files.get(f.name, [])
        w["accept"] = ",".join(f.accept)
        w["multiple"] = f.max_files > 1
        w["limits"] = _("At most %(n)d files of %(mb)d MB each.") % {
            "n": f.max_files,
            "mb": f.max_size_mb,
        }
    w["has_hint"] = bool(w["help"] or w.get("format_hint") or w.get("limits"))
    w["describedby"] = " ".join(
        ([f"{field_id}-hint"] if w["has_hint"] else []) + ([f"{field_id}-error"] if error else [])
    )
    return w


def _anchor(f: Field) -> str:
    """The id of the first input of a field: where its error and "Change" link lead."""
    if f.type in ("address", "location"):
        return f"q-{f.name}-street"
    if f.type in ("yes_no", "household_member") or (
        f.type == "choice" and (f.multiple or len(f.options) <= RADIOS_AT_MOST)
    ):
        return f"q-{f.name}-0"
    return f"q-{f.name}"


# --- Check your answers, submit


@require_http_methods(["GET", "POST"])
@never_cache
@tenant_page
def check(request: HttpRequest, tenant: Municipality, code: str, token: UUID) -> HttpResponse:
    if not request.user.is_authenticated:
        return _login_redirect(request)
    actor = _citizen(request)
    if request.method == "POST":
        # A second click after the request was made: the draft is gone, its token is the
        # request's idempotency key: show the request already made.
        made = request_from_draft(municipality=tenant, user=request.user, token=str(token))
        if made is not None:
            return HttpResponseRedirect(
                tenant_reverse(
                    request, "services:sent", code=code, tracking_code=made.tracking_code
                )
            )
    draft = _draft(request, tenant, code, token)
    form = form_of(draft.case_type)
    error = ""
    email = draft.contact_email or (request.user.email or "")
    if request.method == "POST":
        email = request.POST.get("email", "").strip()
        try:
            draft_set_contact(actor=actor, municipality=tenant, draft=draft, contact_email=email)
            case, _new = draft_submit(actor=actor, municipality=tenant, draft=draft)
        except InvalidAnswers as exc:
            error = str(exc)
        except ApplicationError as exc:
            step = (exc.details or {}).get("step")
            if step:
                messages.error(request, str(exc))
                return HttpResponseRedirect(_step_url(request, draft, step))
            error = str(exc)
        else:
            return HttpResponseRedirect(
                tenant_reverse(
                    request, "services:sent", code=code, tracking_code=case.tracking_code
                )
            )
    elif any(s.name not in draft.done for s in form.shown_steps(draft.answers)):
        # Not everything answered yet: the page asks for it first.
        return HttpResponseRedirect(_where_to_go_on(request, draft, form))
    language = get_language()
    summary = answers_summary(
        form=form,
        answers=draft.answers,
        labels=_labels(actor, tenant, draft, form),
        language=language,
    )
    for section in summary:
        section["change_url"] = _step_url(request, draft, section["step"], returning=True)
        for row in section["rows"]:
            row["anchor"] = _anchor(form.fields[row["name"]])
    files = _draft_files(request, draft)
    for section in summary:
        form_step = form.step(section["step"])
        for f in form_step.fields if form_step is not None else ():
            if f.is_file and f.shown(draft.answers):
                section["rows"].append(
                    {
                        "name": f.name,
                        "label": f.label(language),
                        "value": ", ".join(files.get(f.name, [])) or _("No file"),
                        "type": "file",
                        "anchor": f"q-{f.name}",
                    }
                )
    return render(
        request,
        "services/check.html",
        {
            "draft": draft,
            "name": draft.case_type.name(),
            "summary": summary,
            "fee": fee_label(draft.case_type),
            "has_fee": bool((draft.case_type.options.get("fee") or {}).get("amount")),
            "on_behalf": _on_behalf_text(draft),
            "offers_on_behalf": _offers_on_behalf(draft.case_type),
            "for_whom_url": _url(request, "for-whom", draft) + "?return=check",
            "email": email,
            "error": error,
            "back_url": _back_from_check(request, draft, form),
            "active": "catalogue",
        },
        status=400 if error else 200,
    )


def _labels(actor: Actor, tenant: Municipality, draft: Draft, form: Form) -> dict[str, str]:
    """Household members by name, as the summary shows them."""
    members = [f for f in form.fields.values() if f.type == "household_member"]
    if not members:
        return {}
    refs = household_refs(actor=actor, municipality=tenant)
    return {
        f.name: refs.get(str(draft.answers.get(f.name)), "")
        for f in members
        if f.name in draft.answers
    }


def _on_behalf_text(draft: Draft) -> str:
    if not draft.on_behalf_ground:
        return _("Myself")
    return f"{draft.on_behalf_name} ({Ground(draft.on_behalf_ground).label})"


def _back_from_check(request: HttpRequest, draft: Draft, form: Form) -> str:
    shown = form.shown_steps(draft.answers)
    if shown:
        return _step_url(request, draft, shown[-1].name)
    return tenant_reverse(request, "services:start", code=draft.case_type.code)


@require_GET
@never_cache
@tenant_page
def sent(request: HttpRequest, tenant: Municipality, code: str, tracking_code: str) -> HttpResponse:
    """The confirmation: the tracking code, what happens next, the request's page."""
    if not request.user.is_authenticated:
        return _login_redirect(request)
    try:
        case = case_for_requester(
            municipality=tenant, user=request.user, tracking_code=tracking_code
        )
    except ApplicationError as exc:
        raise Http404(str(exc)) from exc
    if case.case_type.code != code:
        raise Http404(_("You have no request with this tracking code."))
    return render(
        request,
        "services/sent.html",
        {
            "case": case,
            "name": case.case_type.name(),
            "request_url": tenant_reverse(request, "web:home") + case_path(case),
            "active": "my",
        },
    )


# --- Giving up a draft


@require_http_methods(["GET", "POST"])
@never_cache
@tenant_page
def delete(request: HttpRequest, tenant: Municipality, code: str, token: UUID) -> HttpResponse:
    if not request.user.is_authenticated:
        return _login_redirect(request)
    actor = _citizen(request)
    draft = _draft(request, tenant, code, token)
    if request.method == "POST":
        draft_delete(actor=actor, municipality=tenant, draft=draft)
        messages.success(request, _("The draft was deleted."))
        return HttpResponseRedirect(tenant_reverse(request, "cases:my-requests"))
    return render(
        request,
        "services/delete.html",
        {
            "draft": draft,
            "name": draft.case_type.name(),
            "back_url": tenant_reverse(request, "cases:my-requests"),
            "active": "my",
        },
    )
