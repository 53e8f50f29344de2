"""Topics: creating them with their background, experts and attachments, and moving
them through their phases (by an officer, or on their dates by the schedule). Every move
is a history row and an audit event; followers are told through the outbox."""

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from eloket.audit.services import audit_record
from eloket.common.actors import Actor
from eloket.common.errors import ApplicationError
from eloket.common.markup import markdown_to_html
from eloket.common.permissions import Permission, authorize, same_municipality
from eloket.common.text import refuse_hidden_characters
from eloket.forum.models import (
    Attachment,
    ExpertOpinion,
    IdentityDisplay,
    Phase,
    Topic,
    TopicPhaseChange,
    TopicSuggestion,
    VoteMode,
)
from eloket.outbox.queue import outbox_put
from eloket.tenants.models import Module, Municipality
from eloket.tenants.modules import module_check

MAX_ATTACHMENT = 5 * 1024 * 1024
ATTACHMENT_TYPES = {"application/pdf", "image/png", "image/jpeg", "image/webp", "image/svg+xml"}


def _languages_text(values: dict[str, str], municipality: Municipality) -> dict[str, str]:
    return {
        code: str(text).strip()
        for code, text in (values or {}).items()
        if code in municipality.languages and str(text).strip()
    }


def topic_create(
    *,
    actor: Actor,
    municipality: Municipality,
    title: dict[str, str],
    summary: dict[str, str] | None = None,
    background: dict[str, str] | None = None,
    department: str = "",
    opens_at: dt.datetime | None = None,
    closes_at: dt.datetime | None = None,
    vote_mode: str = VoteMode.AGREE_DISAGREE_PASS,
    identity_display: str = IdentityDisplay.PSEUDONYM,
    min_age: int = 16,
    pre_moderation: bool = False,
    auto_hide_reports: int = 3,
    phase: str = Phase.DRAFT,
    suggestion: TopicSuggestion | None = None,
    source: str = "",
) -> Topic:
    module_check(municipality, Module.PARTICIPATION)
    authorize(actor, municipality, Permission.FORUM_MANAGE)
    refuse_hidden_characters(title, summary, background, department)
    title = _languages_text(title, municipality) if not source else dict(title)
    if not title:
        raise ApplicationError(
            _("Give the topic a title in one of the municipality's languages."),
            code="title_required",
        )
    if vote_mode not in VoteMode.values or identity_display not in IdentityDisplay.values:
        raise ApplicationError(_("Unknown voting or naming choice."), code="invalid_topic")
    if opens_at and closes_at and closes_at <= opens_at:
        raise ApplicationError(_("A topic closes after it opens."), code="invalid_dates")
    if not 0 <= min_age <= 120:
        raise ApplicationError(_("Give a minimum age from 0 to 120."), code="invalid_age")
    if phase not in Phase.values:
        raise ApplicationError(_("Unknown phase."), code="invalid_phase")
    background = background or {}
    with transaction.atomic():
        topic = Topic.objects.create(
            municipality=municipality,
            title=title,
            summary=summary or {},
            background=background,
            background_html={code: markdown_to_html(text) for code, text in background.items()},
            department=department[:200],
            phase=phase,
            opens_at=opens_at,
            closes_at=closes_at,
            vote_mode=vote_mode,
            identity_display=identity_display,
            min_age=min_age,
            pre_moderation=pre_moderation,
            auto_hide_reports=max(1, auto_hide_reports),
            suggestion=suggestion,
            source=source,
        )
        _phase_row(topic, actor=actor, from_phase="", to_phase=phase)
    return topic


def topic_add_expert(
    *,
    actor: Actor,
    municipality: Municipality,
    topic: Topic,
    name: str,
    role: str,
    statement: dict[str, str],
    position: int = 0,
) -> ExpertOpinion:
    authorize(actor, municipality, Permission.FORUM_MANAGE)
    same_municipality(municipality, topic)
    refuse_hidden_characters(name, role, statement)
    if not name.strip() or not any(str(v).strip() for v in statement.values()):
        raise ApplicationError(_("An expert opinion needs a name and a statement."))
    return ExpertOpinion.objects.create(
        municipality_id=topic.municipality_id,
        topic=topic,
        name=name.strip()[:200],
        role=role.strip()[:200],
        statement=statement,
        position=position,
    )


def topic_attach(
    *,
    actor: Actor,
    municipality: Municipality,
    topic: Topic,
    title: str,
    filename: str,
    content_type: str,
    data: bytes,
) -> Attachment:
    authorize(actor, municipality, Permission.FORUM_MANAGE)
    same_municipality(municipality, topic)
    if content_type not in ATTACHMENT_TYPES:
        raise ApplicationError(
            _("Attach a PDF or an image (PNG, JPEG, WebP, SVG)."), code="invalid_attachment"
        )
    if len(data) > MAX_ATTACHMENT:
        raise ApplicationError(_("An attachment is at most 5 MB."), code="attachment_too_large")
    return Attachment.objects.create(
        municipality_id=topic.municipality_id,
        topic=topic,
        title=(title or filename)[:200],
        filename=filename[:200],
        content_type=content_type,
        data=data,
        size=len(data),
        position=topic.attachments.count(),
    )


def _phase_row(topic: Topic, *, actor: Actor, from_phase: str, to_phase: str) -> None:
    TopicPhaseChange.objects.create(
        municipality_id=topic.municipality_id,
        topic=topic,
        at=timezone.now(),
        from_phase=from_phase,
        to_phase=to_phase,
        **TopicPhaseChange.by(actor),
    )


def topic_set_phase(*, actor: Actor, municipality: Municipality, topic: Topic, phase: str) -> Topic:
    """Move a topic to another phase (by hand or on schedule); followers are told."""
    authorize(actor, municipality, Permission.FORUM_MANAGE)
    same_municipality(municipality, topic)
    if phase not in Phase.values:
        raise ApplicationError(_("Unknown phase."), code="invalid_phase")
    if topic.imported and phase != Phase.CLOSED:
        raise ApplicationError(_("An imported consultation stays closed."), code="archived")
    with transaction.atomic():
        locked = Topic.objects.select_for_update().get(pk=topic.pk)
        if locked.phase == phase:
            return locked
        previous = locked.phase
        locked.phase = phase
        now = timezone.now()
        if phase == Phase.OPEN and not locked.opens_at:
            locked.opens_at = now
        if phase == Phase.CLOSED and not locked.ends_at:
            locked.ends_at = now
        locked.save(update_fields=["phase", "opens_at", "ends_at", "updated_at"])
        _phase_row(locked, actor=actor, from_phase=previous, to_phase=phase)
        audit_record(
            actor=actor,
            municipality=municipality,
            action="forum.phase",
            object_type="topic",
            object_ref=str(locked.pk),
            data={"from": previous, "to": phase},
        )
        outbox_put(
            municipality=municipality,
            kind="forum.notify",
            ref=f"topic:{locked.pk}",
            payload={"event": "phase_changed", "topic": locked.pk},
        )
    topic.phase = locked.phase
    return locked


def topics_advance_on_schedule(
    *, actor: Actor, municipality: Municipality, now: dt.datetime | None = None
) -> int:
    """Open and close the municipality's topics whose dates have come."""
    authorize(actor, municipality, Permission.FORUM_MANAGE)
    now = now or timezone.now()
    topics = Topic.objects.filter(municipality=municipality).select_related("municipality")
    moves = [
        (topic, Phase.OPEN)
        for topic in topics.filter(phase=Phase.DRAFT, opens_at__lte=now, source="")
        if not (topic.closes_at and topic.closes_at <= now)
    ]
    moves += [
        (topic, Phase.ANALYSIS) for topic in topics.filter(phase=Phase.OPEN, closes_at__lte=now)
    ]
    moves += [
        (topic, Phase.CLOSED) for topic in topics.filter(phase=Phase.RESULTS, ends_at__lte=now)
    ]
    for topic, phase in moves:
        topic_set_phase(actor=actor, municipality=municipality, topic=topic, phase=phase)
    return len(moves)
