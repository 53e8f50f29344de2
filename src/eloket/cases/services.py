"""Writes of cases: publishing case types, opening a case, transitions, messages and
assignment. One engine for every kind of request.

`case_transition` reads the case's type, checks that the action leaves the current status
and that the actor may make it (on this municipality, in this role and department, or as
the requester), writes the history row and the audit event, lets listeners write their
outbox rows (notifications), and puts the handler's hook for the new status in the outbox,
all in one transaction: the hook and the e-mails run after the commit, and are never lost.
"""

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from eloket.audit.services import audit_record
from eloket.cases import messages as texts
from eloket.cases.codes import new_tracking_code
from eloket.cases.events import case_listeners, message_attachers
from eloket.cases.handlers import case_handlers
from eloket.cases.models import Author, Case, CaseMessage, CaseNote, CaseType, StatusChange
from eloket.cases.rights import check_audience, check_may_make
from eloket.common.actors import Actor, ActorKind
from eloket.common.errors import ApplicationError, NotFound
from eloket.common.permissions import (
    Permission,
    PermissionDenied,
    authorize,
    same_municipality,
)
from eloket.common.text import refuse_hidden_characters
from eloket.outbox.queue import outbox_put

MAX_MESSAGE = 4000


class WrongState(ApplicationError):
    code = "wrong_state"
    status = 409


# --- Case types


def _validated(case_type: CaseType) -> CaseType:
    try:
        case_type.full_clean(exclude=["municipality"])
    except ValidationError as exc:
        raise ApplicationError(
            "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items()),
            code="invalid_case_type",
            details=exc.message_dict,
        ) from exc
    return case_type


def case_type_publish(
    *,
    actor: Actor,
    municipality: Any,
    code: str,
    names: dict[str, str],
    definition: dict[str, Any],
    handler: str = "generic",
    department: str = "",
    processing_days: int = 30,
    options: dict[str, Any] | None = None,
    audience: str = "residents",
) -> CaseType:
    """Publish a kind of request from data: version 1, or the next version of an existing
    code (requests already made keep the version they were made under). Refused, with
    nothing written, when the definition does not hold together."""
    authorize(actor, municipality, Permission.CONFIGURE)
    refuse_hidden_characters(names, department)
    with transaction.atomic():
        previous = (
            CaseType.objects.select_for_update()
            .filter(municipality=municipality, code=code)
            .order_by("-version")
            .first()
        )
        case_type = _validated(
            CaseType(
                municipality=municipality,
                code=code,
                version=previous.version + 1 if previous else 1,
                current=True,
                handler=handler,
                names=names,
                department=department.strip(),
                processing_days=processing_days,
                definition=definition,
                options=options or {},
                audience=audience,
                # Publishing a change does not offer again what was taken off the offer.
                active=previous.active if previous is not None else True,
            )
        )
        if previous is not None:
            if previous.handler != handler:
                raise ApplicationError(
                    _("A new version keeps the handler %(handler)s.")
                    % {"handler": previous.handler},
                    code="invalid_case_type",
                )
            CaseType.objects.filter(municipality=municipality, code=code).update(current=False)
        case_type.save()
        audit_record(
            actor=actor,
            municipality=municipality,
            action="case_type.publish",
            object_type="case_type",
            object_ref=f"{code} v{case_type.version}",
            data={"handler": handler, "department": case_type.department},
        )
    return case_type


def case_type_ensure(*, actor: Actor, municipality: Any, code: str) -> CaseType:
    """The current version of `code`; a built-in kind (one a handler brings) is created
    on first use with the handler's definition."""
    found = CaseType.objects.filter(municipality=municipality, code=code, current=True).first()
    if found is not None:
        return found
    handler = next((h for h in case_handlers if h.builtin_code == code), None)
    builtin = handler.builtin() if handler is not None else None
    if handler is None or builtin is None:
        raise NotFound(
            _("%(name)s does not handle requests of the kind “%(code)s”.")
            % {"name": municipality.display_name(), "code": code[:40]}
        )
    # Bringing a built-in kind into use changes nothing anyone decided: whoever may start
    # or handle requests here may do it.
    citizen = actor.kind == ActorKind.CITIZEN
    authorize(actor, municipality, Permission.REQUEST if citizen else Permission.CASE_HANDLE)
    try:
        with transaction.atomic():
            case_type = _validated(
                CaseType(municipality=municipality, code=code, handler=handler.id, **builtin)
            )
            case_type.save()
    except IntegrityError:  # made by a concurrent first use
        case_type = CaseType.objects.get(municipality=municipality, code=code, current=True)
    return case_type


# --- Opening a case and moving it


def _history(
    case: Case,
    *,
    from_status: str,
    action: str,
    actor: Actor,
    message: str = "",
    texts_: dict[str, str] | None = None,
    params: dict[str, Any] | None = None,
    reason: str = "",
    requester_told: bool = False,
) -> StatusChange:
    change = StatusChange.objects.create(
        municipality_id=case.municipality_id,
        case=case,
        at=timezone.now(),
        from_status=from_status,
        to_status=case.status,
        action=action,
        **StatusChange.by(actor),
        message=message,
        texts=texts_ or {},
        params=params or {},
        reason=reason,
    )
    for listener in case_listeners:
        listener.changed(case, change, requester_told=requester_told)
    handler = case_handlers[case.case_type.handler]
    if case.status in handler.hooks:
        outbox_put(
            municipality=case.municipality,
            kind="case.hook.background" if case.status in handler.background_hooks else "case.hook",
            ref=f"case:{case.tracking_code}",
            payload={"change": change.pk},
        )
    return change


def case_create(
    *,
    actor: Actor,
    municipality: Any,
    case_type: str | CaseType,
    requester_id: int,
    title: str,
    language: str,
    contact_email: str = "",
    due_in_days: int | None = None,
    params: dict[str, Any] | None = None,
    message: str = "",
) -> Case:
    """A new case in its type's first status, with the first line of its timeline.
    Inside the caller's transaction, so that the case and what it is about commit
    together."""
    if isinstance(case_type, str):
        case_type = case_type_ensure(actor=actor, municipality=municipality, code=case_type)
    same_municipality(municipality, case_type)
    if actor.kind == ActorKind.CITIZEN:
        authorize(actor, municipality, Permission.REQUEST)
        if actor.user_id != requester_id:
            raise PermissionDenied(_("You make requests in your own name."))
        check_audience(actor, municipality, case_type)
    elif actor.kind == ActorKind.OFFICER:  # at the counter, for a citizen
        authorize(actor, municipality, Permission.CASE_HANDLE, department=case_type.department)
    else:
        authorize(actor, municipality, Permission.REQUEST)
    initial = case_type.spec.initial
    title = title.strip()[:200]
    refuse_hidden_characters(title, contact_email, message)
    if not title:
        raise ApplicationError(_("Say what you ask."), code="title_required")
    now = timezone.now()
    for _attempt in range(5):
        try:
            with transaction.atomic():
                case = Case.objects.create(
                    municipality=municipality,
                    case_type=case_type,
                    kind=case_type.code,
                    tracking_code=new_tracking_code(),
                    status=initial.code,
                    requester_id=requester_id,
                    language=language,
                    contact_email=contact_email,
                    title=title,
                    due_at=now + dt.timedelta(days=due_in_days or case_type.processing_days),
                )
                break
        except IntegrityError:  # a tracking code drawn twice: draw again
            continue
    else:  # pragma: no cover (27^8 codes)
        raise ApplicationError(_("Please try again."), code="busy")
    case.case_type = case_type
    case.municipality = municipality
    if message:  # the kind's own words for the first step
        _history(case, from_status="", action="", actor=actor, message=message, params=params)
    elif initial.texts:
        _history(case, from_status="", action="", actor=actor, texts_=initial.texts, params=params)
    else:
        _history(
            case,
            from_status="",
            action="",
            actor=actor,
            message=texts.RECEIVED,
            params={"what": case_type.code, **(params or {})},
        )
    return case


def case_transition(
    *,
    actor: Actor,
    municipality: Any,
    case: Case,
    action: str,
    reason: str = "",
    message: str = "",
    params: dict[str, Any] | None = None,
    requester_told: bool = False,
) -> StatusChange:
    """Make `action` on `case` if its type allows it from the current status and the actor
    may make it; else WrongState or PermissionDenied, and nothing changes.
    `requester_told`: the step is the message that reached the requester (a document
    sent by e-mail): listeners need not tell them again."""
    same_municipality(municipality, case)
    reason = reason.strip()
    refuse_hidden_characters(reason, message)
    with transaction.atomic():
        locked = (
            Case.objects.select_for_update()
            .select_related("case_type", "municipality")
            .get(pk=case.pk)
        )
        spec = locked.case_type.spec
        transition = spec.transition(action, locked.status)
        if transition is None:
            if not spec.has_action(action):
                raise ApplicationError(
                    _("Requests of this kind know no action “%(action)s”.")
                    % {"action": action[:40]},
                    code="unknown_action",
                )
            raise WrongState(
                _("This request is %(status)s: it cannot be done now.")
                % {"status": locked.status_name()}
            )
        check_may_make(actor, municipality, locked, transition)
        if transition.reason_required and not reason:
            raise ApplicationError(_("Say why: the citizen reads it."), code="reason_required")
        from_status = locked.status
        locked.status = transition.to
        if spec.is_final(transition.to):
            locked.closed_at = timezone.now()
        # The officer who makes a step handles the request from then on: "Handled by"
        # names who decided, not the empty claim nobody pressed.
        handler_before = locked.assigned_to_id
        if actor.kind == ActorKind.OFFICER and actor.user_id is not None:
            locked.assigned_to_id = actor.user_id
        locked.save(update_fields=["status", "closed_at", "assigned_to", "updated_at"])
        case.status, case.closed_at = locked.status, locked.closed_at
        case.assigned_to_id = locked.assigned_to_id
        target = spec.statuses[transition.to]
        change = _history(
            locked,
            from_status=from_status,
            action=action,
            actor=actor,
            message=message,
            texts_={} if message else (transition.texts or target.texts),
            params=params,
            reason=reason,
            requester_told=requester_told,
        )
        audit_record(
            actor=actor,
            municipality=municipality,
            action=f"case.{action}",
            object_type="case",
            object_ref=locked.tracking_code,
            reason=reason,
            data={
                "kind": locked.kind,
                "from": from_status,
                "to": locked.status,
                **(
                    {"handler": {"from": handler_before, "to": locked.assigned_to_id}}
                    if handler_before != locked.assigned_to_id
                    else {}
                ),
            },
        )
    return change


def case_timeline_add(
    *,
    actor: Actor,
    municipality: Any,
    case: Case,
    action: str,
    message: str,
    params: dict[str, Any] | None = None,
) -> StatusChange:
    """A line on the case's timeline that changes no status (a step of an approval
    chain): no hook, no e-mail to the requester. An officer who may handle the case, or
    the platform's process for this municipality."""
    same_municipality(municipality, case)
    authorize(actor, municipality, Permission.CASE_HANDLE)
    return StatusChange.objects.create(
        municipality_id=case.municipality_id,
        case=case,
        at=timezone.now(),
        from_status=case.status,
        to_status=case.status,
        action=action[:40],
        **StatusChange.by(actor),
        message=message,
        params=params or {},
    )


def case_act(*, actor: Actor, municipality: Any, case: Case, action: str, reason: str = "") -> Case:
    """An action from a page, the API, a task or a message: the case's handler carries
    it out (most actions are the transition the definition names)."""
    same_municipality(municipality, case)
    citizen = actor.kind == ActorKind.CITIZEN
    authorize(actor, municipality, Permission.REQUEST if citizen else Permission.CASE_HANDLE)
    handler = case_handlers[case.case_type.handler]
    return handler.act(
        actor=actor, municipality=municipality, case=case, action=action, reason=reason
    )


def case_request_start(
    *, actor: Actor, municipality: Any, code: str, text: str, contact_email: str = ""
) -> Case:
    """A citizen asks for a kind of request that needs no form of its own: the request
    opens with their words as its first message, or nothing is written."""
    from eloket.cases.selectors import case_type_citizens_start

    if actor.kind != ActorKind.CITIZEN or actor.user_id is None:
        raise PermissionDenied(_("This is for citizens logged in with their eID."))
    case_type = case_type_citizens_start(municipality=municipality, code=code)
    contact_email = contact_email.strip()
    refuse_hidden_characters(text, contact_email)
    if contact_email:
        try:
            validate_email(contact_email)
        except ValidationError as exc:
            raise ApplicationError(
                _("This is not an e-mail address."), code="invalid_email"
            ) from exc
    language = translation.get_language() or municipality.default_language
    with transaction.atomic():
        case = case_create(
            actor=actor,
            municipality=municipality,
            case_type=case_type,
            requester_id=actor.user_id,
            title=case_type.name(language),
            language=language,
            contact_email=contact_email,
        )
        case_message_add(actor=actor, municipality=municipality, case=case, text=text)
    return case


# --- Messages and assignment


def case_message_add(
    *, actor: Actor, municipality: Any, case: Case, text: str, files: Sequence[Any] = ()
) -> CaseMessage:
    """A message in the case's thread, by its requester or an officer who handles it,
    with `files` (uploads) as its attachments: the message and its files are written
    together, or nothing is (a refused file refuses the message)."""
    same_municipality(municipality, case)
    if actor.kind == ActorKind.CITIZEN:
        authorize(actor, municipality, Permission.REQUEST)
        if actor.user_id != case.requester_id:
            raise NotFound(_("You have no request with this tracking code."))
        author = Author.CITIZEN
    else:
        authorize(actor, municipality, Permission.CASE_HANDLE, department=case.case_type.department)
        author = Author.OFFICER
    if not case.is_open:
        raise WrongState(_("This request is closed; you can no longer write about it."))
    text = text.strip()
    refuse_hidden_characters(text)
    files = [f for f in files if f is not None]
    if not text and not files:
        raise ApplicationError(_("Write a message first."), code="empty_message")
    if len(text) > MAX_MESSAGE:
        raise ApplicationError(
            _("A message is at most %(n)d characters.") % {"n": MAX_MESSAGE},
            code="message_too_long",
        )
    with transaction.atomic():
        message = CaseMessage.objects.create(
            municipality_id=case.municipality_id,
            case=case,
            at=timezone.now(),
            author=author,
            author_user_id=actor.user_id,
            author_label=actor.label[:200],
            text=text,
        )
        if files:
            attacher = message_attachers.get("attachments")
            if attacher is None:  # pragma: no cover (the attachments app is installed)
                raise ApplicationError(_("Files cannot be sent here."), code="no_attachments")
            attacher.attach(
                actor=actor, municipality=municipality, case=case, message=message, files=files
            )
    return message


def case_note_add(*, actor: Actor, municipality: Any, case: Case, text: str) -> CaseNote:
    """An internal note for colleagues, by an officer who may handle the case. The citizen
    never sees it; it may be written on a closed case too (why it was decided so)."""
    same_municipality(municipality, case)
    if actor.kind != ActorKind.OFFICER:
        raise PermissionDenied(_("This is for the municipality's officers."))
    authorize(actor, municipality, Permission.CASE_HANDLE, department=case.case_type.department)
    text = text.strip()
    refuse_hidden_characters(text)
    if not text:
        raise ApplicationError(_("Write a note first."), code="empty_note")
    if len(text) > MAX_MESSAGE:
        raise ApplicationError(
            _("A note is at most %(n)d characters.") % {"n": MAX_MESSAGE},
            code="note_too_long",
        )
    with transaction.atomic():
        note = CaseNote.objects.create(
            municipality_id=case.municipality_id,
            case=case,
            at=timezone.now(),
            author_id=actor.user_id,
            author_label=actor.label[:200],
            text=text,
        )
        audit_record(
            actor=actor,
            municipality=municipality,
            action="case.note",
            object_type="case",
            object_ref=case.tracking_code,
        )
    return note


def case_reply(*, actor: Actor, municipality: Any, case: Case, text: str) -> Case:
    """The requester writes to the municipality. When the case waits for them (an officer
    asked for information), the message is their answer: the step their workflow gives
    the requester from that status back to the municipality is made with it, and the
    case returns to the queue. One transaction: both or neither."""
    same_municipality(municipality, case)
    with transaction.atomic():
        case_message_add(actor=actor, municipality=municipality, case=case, text=text)
        answer = _answer_transition(case) if actor.kind == ActorKind.CITIZEN else None
        if answer is not None:
            case_transition(actor=actor, municipality=municipality, case=case, action=answer)
    case.refresh_from_db()
    return case


def _answer_transition(case: Case) -> str | None:
    """The requester's way back from a status that waits for them (a service's `reply`,
    a certificate order's `resume`): a step to a status the municipality acts on."""
    spec = case.case_type.spec
    status = spec.statuses.get(case.status)
    if status is None or status.final or status.waiting_for != "requester":
        return None
    for transition in spec.transitions_from(case.status):
        if "requester" in transition.by and spec.waits_for_municipality(transition.to):
            return transition.action
    return None


def case_assign(
    *, actor: Actor, municipality: Any, case: Case, assignee: User | None = None
) -> Case:
    """Take a case (no assignee, or oneself), or, for a head of department, give it to a
    colleague who may handle it."""
    from eloket.identity.selectors import officer_actor, officer_role_in

    same_municipality(municipality, case)
    department = case.case_type.department
    authorize(actor, municipality, Permission.CASE_HANDLE, department=department)
    target = assignee.pk if assignee is not None else actor.user_id
    if target != actor.user_id:
        authorize(actor, municipality, Permission.CASE_ASSIGN)
        role = officer_role_in(assignee, municipality) if assignee is not None else None
        if role is None:
            raise NotFound(_("This officer does not work for this municipality."))
        authorize(officer_actor(role), municipality, Permission.CASE_HANDLE, department=department)
    with transaction.atomic():
        previous = case.assigned_to_id
        Case.objects.filter(pk=case.pk).update(assigned_to_id=target, updated_at=timezone.now())
        case.assigned_to_id = target
        audit_record(
            actor=actor,
            municipality=municipality,
            action="case.assign",
            object_type="case",
            object_ref=case.tracking_code,
            data={"from": previous, "to": target},
        )
    return case
