"""Writes of services: publishing a definition file (a new version), enabling one of the
shipped library, drafts filled in step by step, and submitting a request (online, or by
an officer for a citizen at the counter, on the phone or by letter)."""

import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from eloket.audit.services import audit_record
from eloket.cases.models import Case, CaseType, IdempotencyRecord
from eloket.cases.rights import check_audience
from eloket.cases.services import case_create, case_type_publish
from eloket.common.actors import Actor, ActorKind
from eloket.common.errors import ApplicationError, Conflict, NotFound
from eloket.common.permissions import Permission, PermissionDenied, authorize, same_municipality
from eloket.common.text import refuse_hidden_characters
from eloket.services import messages as texts
from eloket.services.definition import FILE_FIELDS, service_file_problems
from eloket.services.handler import DEFAULT_WORKFLOW, form_of
from eloket.services.models import Channel, Draft, FeeStatus, Ground, ServiceRequest

HANDLER = "service"


class InvalidDefinition(ApplicationError):
    code = "invalid_definition"


class InvalidAnswers(ApplicationError):
    """Answers refused, with the reason per question (`details["fields"]`)."""

    code = "invalid_answers"

    def __init__(self, problems: dict[str, str]) -> None:
        first = next(iter(problems.values()))
        count = len(problems)
        message = first if count == 1 else _("%(n)d answers need a change.") % {"n": count}
        super().__init__(message, details={"fields": problems})
        self.problems = problems


# --- Definitions


def service_publish(*, actor: Actor, municipality: Any, definition: Any) -> CaseType:
    """Publish a definition file: version 1 of a new service, or the next version of one
    (requests already made keep theirs). A file that does not validate is refused with
    every problem and the path it is at, and nothing is written."""
    authorize(actor, municipality, Permission.CONFIGURE)
    problems = service_file_problems(definition)
    if problems:
        raise InvalidDefinition(
            _("The definition is not valid: %(problems)s")
            % {"problems": "; ".join(f"{path}: {problem}" for path, problem in problems[:5])},
            details={"problems": [{"path": p, "message": m} for p, m in problems]},
        )
    options = {k: v for k, v in definition.items() if k not in FILE_FIELDS}
    return case_type_publish(
        actor=actor,
        municipality=municipality,
        code=definition["code"],
        names=definition["names"],
        definition=definition.get("workflow", DEFAULT_WORKFLOW),
        handler=HANDLER,
        department=definition.get("department", ""),
        processing_days=definition.get("processing_days", 30),
        options=options,
        audience=definition.get("audience", "residents"),
    )


def service_import(
    *, actor: Actor, municipality: Any, content: bytes | str, name: str = ""
) -> CaseType:
    """Publish a definition file as it was uploaded or pasted (JSON or YAML): the next
    version of its service, or version 1 of a new one. A file that cannot be read or
    does not validate is refused with every problem and its path; nothing is written."""
    from eloket.services.definition import service_file_parse

    authorize(actor, municipality, Permission.CONFIGURE)
    definition, problems = service_file_parse(content, name=name)
    if problems:
        raise InvalidDefinition(
            problems[0][1], details={"problems": [{"path": p, "message": m} for p, m in problems]}
        )
    return service_publish(actor=actor, municipality=municipality, definition=definition)


def service_set_active(*, actor: Actor, municipality: Any, code: str, active: bool) -> CaseType:
    """Offer a service again, or stop offering it (requests already made go on)."""
    authorize(actor, municipality, Permission.CONFIGURE)
    case_type = CaseType.objects.filter(
        municipality=municipality, code=code, current=True, handler=HANDLER
    ).first()
    if case_type is None:
        raise NotFound(_("There is no such service here."))
    CaseType.objects.filter(pk=case_type.pk).update(active=active)
    case_type.active = active
    audit_record(
        actor=actor,
        municipality=municipality,
        action="service.enable" if active else "service.disable",
        object_type="case_type",
        object_ref=code,
    )
    from eloket.tenants.catalogue import catalogue_cache_clear

    catalogue_cache_clear()
    return case_type


def service_library_enable(*, actor: Actor, municipality: Any, code: str) -> tuple[CaseType, bool]:
    """Offer a service of the shipped library: publish its definition as version 1, or,
    when the municipality has published it before, offer its current version again (a
    municipality's own edits are kept). Returns the case type and whether it was
    published now."""
    from eloket.services.library import library_definition

    authorize(actor, municipality, Permission.CONFIGURE)
    definition = library_definition(code)
    existing = CaseType.objects.filter(
        municipality=municipality, code=definition["code"], current=True
    ).first()
    if existing is not None:
        if existing.handler != HANDLER:
            raise Conflict(
                _("%(name)s already has a kind of request with the code “%(code)s”.")
                % {"name": municipality.display_name(), "code": existing.code},
                code="code_taken",
            )
        if existing.active:
            return existing, False
        return (
            service_set_active(
                actor=actor, municipality=municipality, code=existing.code, active=True
            ),
            False,
        )
    return service_publish(actor=actor, municipality=municipality, definition=definition), True


# --- Who may apply


def check_may_apply(*, actor: Actor, municipality: Any, case_type: CaseType) -> None:
    """The service's audience: any resident, a resident of age, or anyone with an eID."""
    same_municipality(municipality, case_type)
    if not case_type.active or not case_type.current:
        raise NotFound(_("This service is not offered at the moment."))
    if actor.kind != ActorKind.CITIZEN or actor.user_id is None:
        raise PermissionDenied(_("This is for citizens logged in with their eID."))
    authorize(actor, municipality, Permission.REQUEST)
    check_audience(actor, municipality, case_type)


# --- Submitting


def _fingerprint(answers: dict[str, Any], on_behalf: dict[str, str] | None) -> str:
    body = json.dumps([answers, on_behalf or {}], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()


def _check_email(contact_email: str) -> None:
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    if contact_email.strip():
        try:
            validate_email(contact_email.strip())
        except ValidationError as exc:
            raise ApplicationError(
                _("This is not an e-mail address."), code="invalid_email"
            ) from exc


def _check_on_behalf(case_type: CaseType, on_behalf: dict[str, str] | None) -> tuple[str, str]:
    if not on_behalf:
        return "", ""
    grounds = case_type.options.get("on_behalf", {}).get("grounds", [])
    name = str(on_behalf.get("name", "")).strip()
    ground = str(on_behalf.get("ground", "")).strip()
    refuse_hidden_characters(name)
    if not grounds:
        raise ApplicationError(
            _("This service is requested only in one's own name."), code="on_behalf_not_offered"
        )
    if ground not in grounds:
        raise ApplicationError(
            _("Choose on what ground you file it: %(grounds)s.")
            % {"grounds": ", ".join(str(Ground(g).label) for g in grounds)},
            code="invalid_ground",
        )
    if not name or len(name) > 200:
        raise ApplicationError(
            _("Give the name of the person you file it for."), code="name_required"
        )
    return name, ground


def service_request_submit(
    *,
    actor: Actor,
    municipality: Any,
    code: str,
    answers: Any,
    idempotency_key: str = "",
    contact_email: str = "",
    on_behalf: dict[str, str] | None = None,
    draft: Draft | None = None,
) -> tuple[Case, bool]:
    """A citizen's request: their answers checked against the current version's form
    (the same JSON Schema the API publishes), the case opened in its first status, the
    answers and fee recorded, the receipt made after the commit. Returns the case and
    whether it is new; with the same idempotency key (or the same draft) it returns the
    request already made. Nothing is written when anything is refused."""
    from eloket.services.selectors import household_refs, service_current

    case_type = service_current(municipality=municipality, code=code)
    check_may_apply(actor=actor, municipality=municipality, case_type=case_type)
    user_id = actor.user_id
    assert user_id is not None
    key = (idempotency_key or (str(draft.token) if draft else "")).strip()[:100]
    fingerprint = _fingerprint(answers if isinstance(answers, dict) else {}, on_behalf)
    if key:
        previous = _previous(municipality, user_id, key, fingerprint)
        if previous is not None:
            return previous, False
    form = form_of(case_type)
    household = household_refs(actor=actor, municipality=municipality)
    problems = form.answers_problems(answers, household=set(household))
    if not problems and case_type.options.get("register_change") == "move":
        from eloket.services.moves import move_answers_problems

        problems = move_answers_problems(
            municipality=municipality, requester_id=user_id, answers=answers
        )
    if problems:
        raise InvalidAnswers(problems)
    refuse_hidden_characters(answers, contact_email)
    _check_email(contact_email)
    on_behalf_name, ground = _check_on_behalf(case_type, on_behalf)
    labels = {
        f.name: household[answers[f.name]]
        for f in form.fields.values()
        if f.type == "household_member" and f.name in answers
    }
    language = translation.get_language() or municipality.default_language
    try:
        with transaction.atomic():
            case = _open(
                actor=actor,
                municipality=municipality,
                case_type=case_type,
                requester_id=user_id,
                language=language,
                contact_email=contact_email.strip(),
                answers=answers,
                labels=labels,
                channel=Channel.ONLINE,
                on_behalf_name=on_behalf_name,
                on_behalf_ground=ground,
            )
            if draft is not None:
                _claim_draft_files(actor, municipality, draft, case)
                Draft.objects.filter(pk=draft.pk).delete()
            if key:
                IdempotencyRecord.objects.create(
                    municipality=municipality,
                    user_id=user_id,
                    key=key,
                    fingerprint=fingerprint,
                    case=case,
                )
    except IntegrityError:
        previous = _previous(municipality, user_id, key, fingerprint) if key else None
        if previous is None:
            raise
        return previous, False
    return case, True


def _claim_draft_files(actor: Actor, municipality: Any, draft: Draft, case: Case) -> None:
    from eloket.attachments.services import attachments_claim_draft

    attachments_claim_draft(
        actor=actor, municipality=municipality, draft_token=str(draft.token), case=case
    )


def _open(
    *,
    actor: Actor,
    municipality: Any,
    case_type: CaseType,
    requester_id: int,
    language: str,
    contact_email: str,
    answers: dict[str, Any],
    labels: dict[str, str],
    channel: str,
    on_behalf_name: str = "",
    on_behalf_ground: str = "",
    on_behalf_person: Any = None,
    filed_by: int | None = None,
) -> Case:
    case = case_create(
        actor=actor,
        municipality=municipality,
        case_type=case_type,
        requester_id=requester_id,
        title=case_type.name(language),
        language=language,
        contact_email=contact_email,
        message=texts.FILED_AT_COUNTER if filed_by else "",
        params={
            "what": case_type.code,
            **({"officer": actor.label, "channel": channel} if filed_by else {}),
        },
    )
    fee = case_type.options.get("fee")
    ServiceRequest.objects.create(
        municipality=municipality,
        case=case,
        answers=answers,
        labels=labels,
        channel=channel,
        filed_by_id=filed_by,
        on_behalf_name=on_behalf_name,
        on_behalf_ground=on_behalf_ground,
        on_behalf_person=on_behalf_person,
        fee_amount=Decimal(str(fee["amount"])) if fee else Decimal(0),
        fee_currency=fee["currency"] if fee else "",
        fee_status=FeeStatus.DUE if fee and fee["amount"] else FeeStatus.NONE,
    )
    audit_record(
        actor=actor,
        municipality=municipality,
        action="service.submit",
        object_type="case",
        object_ref=case.tracking_code,
        data={"service": case_type.code, "version": case_type.version, "channel": channel},
    )
    return case


def _previous(municipality: Any, user_id: int, key: str, fingerprint: str) -> Case | None:
    record = (
        IdempotencyRecord.objects.select_related("case")
        .filter(municipality=municipality, user_id=user_id, key=key)
        .first()
    )
    if record is None:
        return None
    if record.fingerprint != fingerprint:
        raise Conflict(
            _("This Idempotency-Key was already used for a different request."),
            code="idempotency_key_reused",
        )
    return record.case


def service_request_file_for(
    *,
    actor: Actor,
    municipality: Any,
    code: str,
    citizen_user_id: int,
    answers: Any,
    channel: str,
    contact_email: str = "",
    household: dict[str, str] | None = None,
) -> Case:
    """An officer files a request for a citizen who came to the counter, phoned or wrote:
    the channel and the officer are recorded, and the citizen sees it in "My requests".
    `household`: the citizen's household (reference → name), which a household-member
    question must choose from."""
    from eloket.services.selectors import service_current

    case_type = service_current(municipality=municipality, code=code)
    authorize(actor, municipality, Permission.CASE_HANDLE, department=case_type.department)
    if actor.kind != ActorKind.OFFICER:
        raise PermissionDenied(_("Only an officer files a request for someone else."))
    if channel not in (Channel.COUNTER, Channel.PHONE, Channel.LETTER):
        raise ApplicationError(
            _("Say how the citizen asked: at the counter, by phone or by letter."),
            code="invalid_channel",
        )
    form = form_of(case_type)
    problems = form.answers_problems(
        answers, household=set(household) if household is not None else None
    )
    if not problems and case_type.options.get("register_change") == "move":
        from eloket.services.moves import move_answers_problems

        problems = move_answers_problems(
            municipality=municipality, requester_id=citizen_user_id, answers=answers
        )
    if problems:
        raise InvalidAnswers(problems)
    refuse_hidden_characters(answers, contact_email)
    labels = {
        f.name: household[answers[f.name]]
        for f in form.fields.values()
        if household and f.type == "household_member" and answers.get(f.name) in household
    }
    with transaction.atomic():
        return _open(
            actor=actor,
            municipality=municipality,
            case_type=case_type,
            requester_id=citizen_user_id,
            language=municipality.default_language,
            contact_email=contact_email.strip(),
            answers=answers,
            labels=labels,
            channel=channel,
            filed_by=actor.user_id,
        )


def service_request_file_for_person(
    *,
    actor: Actor,
    municipality: Any,
    code: str,
    person: Any,
    answers: Any,
    channel: str,
    contact_email: str = "",
    files: Mapping[str, Sequence[Any]] | None = None,
) -> Case:
    """`service_request_file_for` for a resident of the register, found by the officer
    (whose look-up wrote the access log): their account, made now if they never logged
    in, is the requester. `files`: what the citizen handed in, per file question.
    Refused answers or files leave nothing behind (no account, no case)."""
    from eloket.identity.services import citizen_account_for_filing
    from eloket.register.selectors import household_members

    same_municipality(municipality, person)
    household = {str(m.person.pk): m.person.full_name for m in household_members(person=person)}
    with transaction.atomic():
        user = citizen_account_for_filing(
            actor=actor, municipality=municipality, person=person, channel=channel
        )
        case = service_request_file_for(
            actor=actor,
            municipality=municipality,
            code=code,
            citizen_user_id=user.pk,
            answers=answers,
            channel=channel,
            contact_email=contact_email,
            household=household,
        )
        handed_in = {name: list(uploads) for name, uploads in (files or {}).items() if uploads}
        if handed_in:
            from eloket.attachments.services import attachments_store_answers

            attachments_store_answers(
                actor=actor, municipality=municipality, case=case, files=handed_in
            )
    return case


# --- Drafts


def _draft_lifetime() -> dt.timedelta:
    return dt.timedelta(days=settings.ELOKET_DRAFT_DAYS)


def draft_start(
    *, actor: Actor, municipality: Any, code: str, answers: dict[str, Any] | None = None
) -> Draft:
    """A new draft of the current version, with what the register and the eID fill in."""
    from eloket.services.selectors import service_current

    case_type = service_current(municipality=municipality, code=code)
    check_may_apply(actor=actor, municipality=municipality, case_type=case_type)
    return Draft.objects.create(
        municipality=municipality,
        user_id=actor.user_pk,
        case_type=case_type,
        answers=answers or {},
        language=translation.get_language() or municipality.default_language,
        expires_at=timezone.now() + _draft_lifetime(),
    )


def draft_save_step(
    *, actor: Actor, municipality: Any, draft: Draft, step: str, values: dict[str, Any]
) -> dict[str, str]:
    """Keep a step's answers (as the page sent them) and mark the step done when they
    hold; returns the problems per field (empty when the step is done). The answers are
    kept either way, so that going back loses nothing."""
    same_municipality(municipality, draft)
    authorize(actor, municipality, Permission.REQUEST)
    if draft.user_id != actor.user_id:
        raise NotFound(_("There is no such draft."))
    form = form_of(draft.case_type)
    spec = form.step(step)
    if spec is None:
        raise NotFound(_("This form has no such step."))
    answers = dict(draft.answers)
    for f in spec.fields:
        if f.is_file:
            continue
        value = form.clean_value(f, values.get(f.name))
        if value is None or value == [] or not f.shown(answers):
            answers.pop(f.name, None)
        else:
            answers[f.name] = value
    # Answers to questions no longer asked (a changed earlier answer hid them) go.
    answers = {
        k: v for k, v in answers.items() if k in form.fields and form.fields[k].shown(answers)
    }
    from eloket.services.selectors import household_refs

    household = household_refs(actor=actor, municipality=municipality)
    names = {f.name for f in spec.fields if f.shown(answers)}
    problems = form.answers_problems(answers, only=names, household=set(household))
    # A step's own required answers count; other steps' do not yet.
    for f in spec.fields:
        if f.required and f.shown(answers) and not f.is_file and f.name not in answers:
            problems.setdefault(f.name, form._missing(f))
    if spec.fields and any(f.is_file for f in spec.fields):
        problems.update(_file_problems(draft, spec))
    if not problems and draft.case_type.options.get("register_change") == "move":
        from eloket.services.moves import ADDRESS_FIELD, DATE_FIELD, move_answers_problems

        if {ADDRESS_FIELD, DATE_FIELD} <= set(answers) and names & {ADDRESS_FIELD, DATE_FIELD}:
            problems = {
                k: v
                for k, v in move_answers_problems(
                    municipality=municipality, requester_id=actor.user_id, answers=answers
                ).items()
                if k in names
            }
    done = [s for s in draft.done if s != step]
    if not problems:
        done.append(step)
    Draft.objects.filter(pk=draft.pk).update(
        answers=answers,
        done=done,
        updated_at=timezone.now(),
        expires_at=timezone.now() + _draft_lifetime(),
    )
    draft.answers, draft.done = answers, done
    return problems


def _file_problems(draft: Draft, step: Any) -> dict[str, str]:
    """A required file question with no file yet."""
    from eloket.attachments.models import Attachment

    have = set(
        Attachment.objects.filter(
            municipality_id=draft.municipality_id, draft_token=str(draft.token)
        ).values_list("question", flat=True)
    )
    return {
        f.name: _("Add a file for “%(label)s”.") % {"label": f.label()}
        for f in step.fields
        if f.is_file and f.required and f.shown(draft.answers) and f.name not in have
    }


def _own_draft(actor: Actor, municipality: Any, draft: Draft) -> None:
    same_municipality(municipality, draft)
    if draft.user_id != actor.user_id:
        raise NotFound(_("There is no such draft."))


def draft_set_on_behalf(
    *, actor: Actor, municipality: Any, draft: Draft, on_behalf: dict[str, str] | None
) -> None:
    """For whom the draft is filled in: None for oneself, else {"name", "ground"} with a
    ground the service offers (checked again when it is submitted)."""
    authorize(actor, municipality, Permission.REQUEST)
    _own_draft(actor, municipality, draft)
    name, ground = _check_on_behalf(draft.case_type, on_behalf)
    Draft.objects.filter(pk=draft.pk).update(
        on_behalf_name=name, on_behalf_ground=ground, updated_at=timezone.now()
    )
    draft.on_behalf_name, draft.on_behalf_ground = name, ground


def draft_set_contact(*, actor: Actor, municipality: Any, draft: Draft, contact_email: str) -> None:
    """The e-mail address news about the request goes to (optional)."""
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    authorize(actor, municipality, Permission.REQUEST)
    _own_draft(actor, municipality, draft)
    contact_email = contact_email.strip()
    if contact_email:
        try:
            validate_email(contact_email)
        except ValidationError:
            raise ApplicationError(
                _("Enter an e-mail address, like name@example.org."), code="invalid_email"
            ) from None
    Draft.objects.filter(pk=draft.pk).update(contact_email=contact_email, updated_at=timezone.now())
    draft.contact_email = contact_email


def draft_delete(*, actor: Actor, municipality: Any, draft: Draft) -> None:
    """The citizen gives up a draft: it goes, with the files added to it."""
    authorize(actor, municipality, Permission.REQUEST)
    _own_draft(actor, municipality, draft)
    try:
        from eloket.attachments.services import attachments_discard_draft
    except ImportError:  # pragma: no cover (the attachments app is installed with this one)
        pass
    else:
        attachments_discard_draft(
            actor=actor, municipality=municipality, draft_token=str(draft.token)
        )
    Draft.objects.filter(pk=draft.pk).delete()


def draft_submit(*, actor: Actor, municipality: Any, draft: Draft) -> tuple[Case, bool]:
    """Submit a draft whose steps are all done (the "check your answers" page's button)."""
    same_municipality(municipality, draft)
    authorize(actor, municipality, Permission.REQUEST)
    if draft.user_id != actor.user_id:
        raise NotFound(_("There is no such draft."))
    if draft.case_type.current is False:
        raise Conflict(
            _("This service changed while you filled it in: check your answers again."),
            code="service_changed",
        )
    form = form_of(draft.case_type)
    missing = [s for s in form.shown_steps(draft.answers) if s.name not in draft.done]
    if missing:
        raise ApplicationError(
            _("Complete the step “%(step)s” first.") % {"step": missing[0].title()},
            code="step_incomplete",
            details={"step": missing[0].name},
        )
    on_behalf = (
        {"name": draft.on_behalf_name, "ground": draft.on_behalf_ground}
        if draft.on_behalf_ground
        else None
    )
    return service_request_submit(
        actor=actor,
        municipality=municipality,
        code=draft.case_type.code,
        answers=draft.answers,
        contact_email=draft.contact_email,
        on_behalf=on_behalf,
        draft=draft,
    )


def drafts_expire(*, now: dt.datetime | None = None) -> int:
    """Delete drafts past their time, and their files; returns how many drafts."""
    from eloket.attachments.services import attachments_discard_expired_drafts
    from eloket.tenants.models import Municipality

    now = now or timezone.now()
    expired = Draft.objects.filter(expires_at__lt=now)
    count = 0
    for municipality_id in set(expired.values_list("municipality_id", flat=True)):
        municipality = Municipality.objects.get(pk=municipality_id)
        rows = expired.filter(municipality=municipality)
        tokens = [str(t) for t in rows.values_list("token", flat=True)]
        attachments_discard_expired_drafts(
            actor=Actor.system("expired drafts", municipality),
            municipality=municipality,
            draft_tokens=tokens,
        )
        count += rows.delete()[1].get("services.Draft", 0)
    return count
