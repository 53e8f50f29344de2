"""Moderation: residents report opinions (enough reports hide one until a moderator
decides), moderators hide, restore or approve opinions and block participants, with a
public reason. Each moderator's act is a `ModerationAction` row and an audit event."""

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from eloket.audit.services import audit_record
from eloket.common.actors import Actor
from eloket.common.errors import ApplicationError
from eloket.common.permissions import Permission, authorize, same_municipality
from eloket.common.text import refuse_hidden_characters
from eloket.forum.analysis_jobs import topic_changed
from eloket.forum.models import ModerationAction, Opinion, OpinionState, Participant, Report
from eloket.forum.services.participation import participant_for
from eloket.tenants.models import Municipality

MODERATION_ACTIONS = ("hide", "restore", "approve")


def _opinion_counted(opinion: Opinion, change: int) -> dict[str, Any]:
    """The topic's opinion counter when `opinion` is shown or hidden: replies belong to
    their opinion's thread and are not counted as opinions (issue 11, point 9)."""
    return {} if opinion.parent_id else {"opinion_count": F("opinion_count") + change}


def opinion_report(
    *, actor: Actor, municipality: Municipality, opinion: Opinion, reason: str
) -> Opinion:
    same_municipality(municipality, opinion)
    reason = reason.strip()
    refuse_hidden_characters(reason)
    if not reason:
        raise ApplicationError(_("Say what is wrong with this opinion."), code="reason_required")
    topic = opinion.topic
    participant = participant_for(actor=actor, municipality=municipality, topic=topic)
    with transaction.atomic():
        try:
            with transaction.atomic():
                Report.objects.create(
                    municipality_id=topic.municipality_id,
                    opinion=opinion,
                    reporter=participant,
                    reason=reason[:300],
                )
        except IntegrityError:
            raise ApplicationError(
                _("You already reported this opinion."), code="already_reported"
            ) from None
        Opinion.objects.filter(pk=opinion.pk).update(reports=F("reports") + 1)
        opinion.refresh_from_db()
        if opinion.state == OpinionState.PUBLISHED and opinion.reports >= topic.auto_hide_reports:
            opinion.state = OpinionState.REPORTED
            opinion.moderation_reason = gettext_noop(
                "Hidden after several reports, until a moderator decides."
            )
            opinion.save(update_fields=["state", "moderation_reason"])
            topic_changed(topic.pk, **_opinion_counted(opinion, -1))
    return opinion


def _audit(actor: Actor, municipality: Municipality, action: str, ref: str, reason: str) -> None:
    audit_record(
        actor=actor,
        municipality=municipality,
        action=f"forum.{action}",
        object_type="opinion" if action in MODERATION_ACTIONS else "participant",
        object_ref=ref,
        reason=reason,
    )


def opinion_moderate(
    *, actor: Actor, municipality: Municipality, opinion: Opinion, action: str, reason: str
) -> Opinion:
    """A moderator hides or restores an opinion (with a public reason), or approves one
    waiting for pre-moderation."""
    authorize(actor, municipality, Permission.FORUM_MODERATE)
    same_municipality(municipality, opinion)
    reason = reason.strip()
    refuse_hidden_characters(reason)
    if action not in MODERATION_ACTIONS:
        raise ApplicationError(_("Hide, restore or approve."), code="invalid_action")
    if action == "hide" and not reason:
        raise ApplicationError(_("Give the public reason for hiding it."), code="reason_required")
    with transaction.atomic():
        opinion = Opinion.objects.select_for_update().get(pk=opinion.pk)
        was_counted = opinion.state == OpinionState.PUBLISHED
        opinion.state = OpinionState.HIDDEN if action == "hide" else OpinionState.PUBLISHED
        opinion.moderation_reason = reason[:300] if action == "hide" else ""
        opinion.save(update_fields=["state", "moderation_reason"])
        counted = opinion.state == OpinionState.PUBLISHED
        if counted != was_counted:
            topic_changed(opinion.topic_id, **_opinion_counted(opinion, 1 if counted else -1))
        ModerationAction.objects.create(
            municipality_id=opinion.municipality_id,
            topic_id=opinion.topic_id,
            opinion=opinion,
            action=action,
            reason=reason[:300],
            moderator_id=actor.user_id,
        )
        _audit(actor, municipality, action, str(opinion.pk), reason)
    return opinion


def participant_block(
    *,
    actor: Actor,
    municipality: Municipality,
    participant: Participant,
    reason: str,
    blocked: bool = True,
) -> Participant:
    authorize(actor, municipality, Permission.FORUM_MODERATE)
    same_municipality(municipality, participant)
    reason = reason.strip()
    refuse_hidden_characters(reason)
    if blocked and not reason:
        raise ApplicationError(_("Give the reason for blocking."), code="reason_required")
    action = "block" if blocked else "unblock"
    with transaction.atomic():
        participant.blocked = blocked
        participant.blocked_reason = reason[:300] if blocked else ""
        participant.save(update_fields=["blocked", "blocked_reason"])
        ModerationAction.objects.create(
            municipality_id=participant.municipality_id,
            topic_id=participant.topic_id,
            participant=participant,
            action=action,
            reason=reason[:300],
            moderator_id=actor.user_id,
        )
        _audit(actor, municipality, action, str(participant.pk), reason)
    return participant
