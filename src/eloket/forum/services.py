"""Writes of the forum: topics and their phases, participants, opinions, votes,
moderation, suggestions, selections and results, follows.

Counters (votes per opinion, opinions and participants per topic) change in the same
transaction as the rows they count, with database-side arithmetic, so concurrent votes
never lose one.
"""

import datetime as dt
import logging

from django.contrib.auth.models import AnonymousUser, User
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from eloket.common.actors import Actor
from eloket.common.errors import ApplicationError, NotFound
from eloket.common.markup import markdown_to_html
from eloket.common.ratelimit import limit_calls
from eloket.forum import notify
from eloket.forum.eligibility import NotEligible, eligible_person, require_open
from eloket.forum.models import (
    PHASE_ORDER,
    Attachment,
    ExpertOpinion,
    Follow,
    IdentityDisplay,
    ModerationAction,
    Opinion,
    OpinionState,
    Participant,
    Phase,
    Report,
    ResponseOutcome,
    Selection,
    SuggestionStatus,
    SuggestionSupport,
    Topic,
    TopicSuggestion,
    Vote,
    VoteMode,
    VoteValue,
)
from eloket.forum.pseudonyms import pseudonym
from eloket.tenants.models import Municipality

log = logging.getLogger(__name__)

MAX_OPINION = 2000
MAX_ATTACHMENT = 5 * 1024 * 1024
ATTACHMENT_TYPES = {"application/pdf", "image/png", "image/jpeg", "image/webp", "image/svg+xml"}
# Against floods: per participant and topic (common.ratelimit).
OPINIONS_PER_10_MINUTES = 5
VOTES_PER_MINUTE = 120


# --- Topics


def _languages_text(values: dict[str, str], municipality: Municipality) -> dict[str, str]:
    return {
        code: str(text).strip()
        for code, text in (values or {}).items()
        if code in municipality.languages and str(text).strip()
    }


def topic_create(
    *,
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
    background = background or {}
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
    return topic


def topic_add_expert(
    *, topic: Topic, name: str, role: str, statement: dict[str, str], position: int = 0
) -> ExpertOpinion:
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
    *, topic: Topic, title: str, filename: str, content_type: str, data: bytes
) -> Attachment:
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


def topic_set_phase(*, topic: Topic, phase: str, actor: Actor | None = None) -> Topic:
    """Move a topic to another phase (by hand or on schedule); followers are told."""
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
        transaction.on_commit(lambda: notify.phase_changed(locked.pk, previous))
    topic.phase = locked.phase
    return locked


def topics_advance_on_schedule(now: dt.datetime | None = None) -> int:
    """Open and close topics whose dates have come (run by the task worker)."""
    now = now or timezone.now()
    moved = 0
    for topic in Topic.objects.filter(phase=Phase.DRAFT, opens_at__lte=now, source=""):
        if topic.closes_at and topic.closes_at <= now:
            continue
        topic_set_phase(topic=topic, phase=Phase.OPEN)
        moved += 1
    for topic in Topic.objects.filter(phase=Phase.OPEN, closes_at__lte=now):
        topic_set_phase(topic=topic, phase=Phase.ANALYSIS)
        moved += 1
    for topic in Topic.objects.filter(phase=Phase.RESULTS, ends_at__lte=now):
        topic_set_phase(topic=topic, phase=Phase.CLOSED)
        moved += 1
    return moved


# --- Participants


def participant_for(topic: Topic, user: User | AnonymousUser) -> Participant:
    """The user's participant in this topic, created on their first act. Eligibility is
    checked every time (residence and age can change)."""
    person = eligible_person(topic, user)
    assert isinstance(user, User)
    existing = Participant.objects.filter(topic=topic, user=user).first()
    if existing is not None:
        if existing.blocked:
            raise NotEligible(
                _("You were blocked from this topic: %(reason)s")
                % {"reason": existing.blocked_reason},
                code="blocked",
            )
        return existing
    code = pseudonym(topic.pk, f"person:{person.pk}")
    try:
        with transaction.atomic():
            participant = Participant.objects.create(
                municipality_id=topic.municipality_id,
                topic=topic,
                user=user,
                person_id_ref=person.pk,
                display_name=person.full_name,
                pseudonym=code,
                verified=True,
            )
            Topic.objects.filter(pk=topic.pk).update(participant_count=F("participant_count") + 1)
    except IntegrityError:  # the same person's first two acts at once
        participant = Participant.objects.get(topic=topic, user=user)
    return participant


def display_name(participant: Participant, topic: Topic) -> str:
    if topic.identity_display == IdentityDisplay.REAL_NAME and participant.verified:
        return participant.display_name
    return _("Participant %(code)s") % {"code": participant.pseudonym}


# --- Opinions


def _clean_text(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ApplicationError(_("Write your opinion first."), code="empty_opinion")
    if len(text) > MAX_OPINION:
        raise ApplicationError(
            _("An opinion is at most %(n)d characters.") % {"n": MAX_OPINION},
            code="opinion_too_long",
        )
    return text


def opinion_post(
    *, topic: Topic, user: User | AnonymousUser, text: str, parent: Opinion | None = None
) -> Opinion:
    require_open(topic)
    text = _clean_text(text)
    participant = participant_for(topic, user)
    if parent is not None:
        if parent.topic_id != topic.pk or parent.parent_id is not None:
            raise ApplicationError(
                _("Replies go one level deep: reply to an opinion, not to a reply."),
                code="invalid_parent",
            )
        if parent.state != OpinionState.PUBLISHED:
            raise NotFound(_("This opinion is not available."))
    limit_calls(
        f"forum-opinions:{participant.pk}",
        limit=OPINIONS_PER_10_MINUTES,
        window=600,
        message=_("You posted many opinions just now. Take a break of a few minutes."),
    )
    state = OpinionState.PENDING if topic.pre_moderation else OpinionState.PUBLISHED
    with transaction.atomic():
        opinion = Opinion.objects.create(
            municipality_id=topic.municipality_id,
            topic=topic,
            participant=participant,
            parent=parent,
            text=text,
            created_at=timezone.now(),
            state=state,
        )
        if state == OpinionState.PUBLISHED:
            Topic.objects.filter(pk=topic.pk).update(opinion_count=F("opinion_count") + 1)
        assert isinstance(user, User)
        Follow.objects.get_or_create(municipality_id=topic.municipality_id, topic=topic, user=user)
        if parent is not None and state == OpinionState.PUBLISHED:
            transaction.on_commit(lambda: notify.replied(opinion.pk))
    return opinion


def opinion_edit(*, opinion: Opinion, user: User | AnonymousUser, text: str) -> Opinion:
    topic = opinion.topic
    require_open(topic)
    participant = participant_for(topic, user)
    if opinion.participant_id != participant.pk:
        raise NotEligible(_("You can edit only your own opinions."), code="not_yours")
    window = dt.timedelta(minutes=topic.edit_window_minutes)
    if timezone.now() - opinion.created_at > window:
        raise ApplicationError(
            _("Opinions can be edited for %(n)d minutes after posting.")
            % {"n": topic.edit_window_minutes},
            code="edit_window_over",
        )
    opinion.text = _clean_text(text)
    opinion.edited_at = timezone.now()
    opinion.save(update_fields=["text", "edited_at"])
    return opinion


# --- Votes


_COLUMN = {VoteValue.AGREE: "agree", VoteValue.DISAGREE: "disagree", VoteValue.PASS: "passed"}
VOTE_WORDS = {"agree": VoteValue.AGREE, "disagree": VoteValue.DISAGREE, "pass": VoteValue.PASS}


def vote_cast(*, opinion: Opinion, user: User | AnonymousUser, value: int) -> Vote:
    """Record or change the user's vote; one person, one vote per opinion."""
    topic = opinion.topic
    require_open(topic)
    if value not in _COLUMN:
        raise ApplicationError(_("Vote agree, disagree or pass."), code="invalid_vote")
    if topic.vote_mode == VoteMode.SUPPORT_ONLY and value != VoteValue.AGREE:
        raise ApplicationError(
            _("In this topic you can only support opinions."), code="support_only"
        )
    if opinion.state != OpinionState.PUBLISHED:
        raise NotFound(_("This opinion is not available."))
    participant = participant_for(topic, user)
    if opinion.participant_id == participant.pk:
        raise ApplicationError(_("You vote on other people's opinions."), code="own_opinion")
    limit_calls(
        f"forum-votes:{participant.pk}",
        limit=VOTES_PER_MINUTE,
        window=60,
        message=_("You voted very often just now. Wait a minute."),
    )
    now = timezone.now()
    for _attempt in range(3):
        try:
            with transaction.atomic():
                vote = (
                    Vote.objects.select_for_update()
                    .filter(opinion=opinion, participant=participant)
                    .first()
                )
                if vote is None:
                    vote = Vote.objects.create(
                        municipality_id=topic.municipality_id,
                        opinion=opinion,
                        participant=participant,
                        topic=topic,
                        value=value,
                        created_at=now,
                        updated_at=now,
                    )
                    Opinion.objects.filter(pk=opinion.pk).update(
                        **{_COLUMN[VoteValue(value)]: F(_COLUMN[VoteValue(value)]) + 1}
                    )
                    Topic.objects.filter(pk=topic.pk).update(vote_count=F("vote_count") + 1)
                elif vote.value != value:
                    old = VoteValue(vote.value)
                    Opinion.objects.filter(pk=opinion.pk).update(
                        **{
                            _COLUMN[old]: F(_COLUMN[old]) - 1,
                            _COLUMN[VoteValue(value)]: F(_COLUMN[VoteValue(value)]) + 1,
                        }
                    )
                    vote.value = value
                    vote.updated_at = now
                    vote.save(update_fields=["value", "updated_at"])
                return vote
        except IntegrityError:
            # The same person's vote arrived twice at once: the other one is in; try
            # again, now as a change of that vote.
            continue
    raise ApplicationError(_("Please try again."), code="busy")


def vote_withdraw(*, opinion: Opinion, user: User | AnonymousUser) -> None:
    topic = opinion.topic
    require_open(topic)
    participant = participant_for(topic, user)
    with transaction.atomic():
        vote = (
            Vote.objects.select_for_update()
            .filter(opinion=opinion, participant=participant)
            .first()
        )
        if vote is None:
            raise NotFound(_("You have not voted on this opinion."))
        column = _COLUMN[VoteValue(vote.value)]
        Opinion.objects.filter(pk=opinion.pk).update(**{column: F(column) - 1})
        Topic.objects.filter(pk=topic.pk).update(vote_count=F("vote_count") - 1)
        vote.delete()


# --- Moderation


def opinion_report(*, opinion: Opinion, user: User | AnonymousUser, reason: str) -> Opinion:
    reason = reason.strip()
    if not reason:
        raise ApplicationError(_("Say what is wrong with this opinion."), code="reason_required")
    topic = opinion.topic
    participant = participant_for(topic, user)
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
            Topic.objects.filter(pk=topic.pk).update(opinion_count=F("opinion_count") - 1)
    return opinion


MODERATION_ACTIONS = ("hide", "restore", "approve")


def opinion_moderate(*, opinion: Opinion, actor: Actor, action: str, reason: str) -> Opinion:
    """A moderator hides or restores an opinion (with a public reason), or approves one
    waiting for pre-moderation."""
    reason = reason.strip()
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
            Topic.objects.filter(pk=opinion.topic_id).update(
                opinion_count=F("opinion_count") + (1 if counted else -1)
            )
        ModerationAction.objects.create(
            municipality_id=opinion.municipality_id,
            topic_id=opinion.topic_id,
            opinion=opinion,
            action=action,
            reason=reason[:300],
            moderator_id=actor.user_id,
        )
    return opinion


def participant_block(
    *, participant: Participant, actor: Actor, reason: str, blocked: bool = True
) -> Participant:
    reason = reason.strip()
    if blocked and not reason:
        raise ApplicationError(_("Give the reason for blocking."), code="reason_required")
    participant.blocked = blocked
    participant.blocked_reason = reason[:300] if blocked else ""
    participant.save(update_fields=["blocked", "blocked_reason"])
    ModerationAction.objects.create(
        municipality_id=participant.municipality_id,
        topic_id=participant.topic_id,
        participant=participant,
        action="block" if blocked else "unblock",
        reason=reason[:300],
        moderator_id=actor.user_id,
    )
    return participant


# --- Follows


def follow(*, topic: Topic, user: User, digest: bool = False, email: str = "") -> Follow:
    if email:
        user.email = email.strip()[:254]
        user.save(update_fields=["email"])
    item, _created = Follow.objects.update_or_create(
        municipality_id=topic.municipality_id, topic=topic, user=user, defaults={"digest": digest}
    )
    return item


def unfollow(*, topic: Topic, user: User) -> None:
    Follow.objects.filter(topic=topic, user=user).delete()


# --- Suggestions


def suggestion_create(
    *, municipality: Municipality, user: User, title: str, description: str, as_expert: bool
) -> TopicSuggestion:
    title, description = title.strip(), description.strip()
    if not title or not description:
        raise ApplicationError(_("Give a title and say what the topic is about."), code="invalid")
    if len(title) > 200 or len(description) > 4000:
        raise ApplicationError(_("Keep it shorter."), code="too_long")
    return TopicSuggestion.objects.create(
        municipality=municipality,
        title=title,
        description=description,
        suggested_by=user,
        as_expert=as_expert,
    )


def suggestion_support(*, suggestion: TopicSuggestion, user: User) -> TopicSuggestion:
    try:
        with transaction.atomic():
            SuggestionSupport.objects.create(
                municipality_id=suggestion.municipality_id, suggestion=suggestion, user=user
            )
            TopicSuggestion.objects.filter(pk=suggestion.pk).update(supports=F("supports") + 1)
    except IntegrityError:
        raise ApplicationError(
            _("You already support this suggestion."), code="already_supported"
        ) from None
    suggestion.refresh_from_db()
    return suggestion


def suggestion_adopt(*, suggestion: TopicSuggestion, actor: Actor) -> Topic:
    """Turn a suggestion into a draft topic; the suggester is told."""
    if suggestion.status != SuggestionStatus.OPEN:
        raise ApplicationError(_("This suggestion was already handled."), code="wrong_state")
    municipality = suggestion.municipality
    with transaction.atomic():
        language = municipality.default_language
        topic = topic_create(
            municipality=municipality,
            title={language: suggestion.title},
            summary={language: suggestion.description[:500]},
            background={language: suggestion.description},
            suggestion=suggestion,
        )
        suggestion.status = SuggestionStatus.ADOPTED
        suggestion.save(update_fields=["status", "updated_at"])
        transaction.on_commit(lambda: notify.suggestion_adopted(suggestion.pk, topic.pk))
    return topic


# --- Selections and results


def opinion_select(*, opinion: Opinion, actor: Actor, award: str = "") -> Selection:
    if opinion.state != OpinionState.PUBLISHED:
        raise ApplicationError(_("Only a published opinion can be selected."), code="wrong_state")
    selection, created = Selection.objects.get_or_create(
        opinion=opinion,
        defaults={
            "municipality_id": opinion.municipality_id,
            "topic_id": opinion.topic_id,
            "award": award.strip()[:200],
            "selected_by_id": actor.user_id,
        },
    )
    if not created and award.strip():
        selection.award = award.strip()[:200]
        selection.save(update_fields=["award"])
    if created:
        transaction.on_commit(lambda: notify.selected(selection.pk))
    return selection


def selection_respond(*, selection: Selection, outcome: str, response: str) -> Selection:
    if outcome not in ResponseOutcome.values:
        raise ApplicationError(
            _("Say whether it was reflected, partly reflected or not reflected."),
            code="invalid_outcome",
        )
    if not response.strip():
        raise ApplicationError(_("Give the reason, for everyone to read."), code="reason_required")
    selection.outcome = outcome
    selection.response = response.strip()
    selection.save(update_fields=["outcome", "response"])
    return selection


def results_publish(*, topic: Topic, actor: Actor) -> Topic:
    """Publish the results: every participant with an e-mail address is told."""
    if topic.phase not in (Phase.OPEN, Phase.ANALYSIS):
        raise ApplicationError(
            _("Results are published after the topic was open (it is %(phase)s).")
            % {"phase": Phase(topic.phase).label},
            code="wrong_state",
        )
    missing = topic.selections.filter(outcome="").count()
    if missing:
        raise ApplicationError(
            _("Record the response to every selected opinion first (%(n)d missing).")
            % {"n": missing},
            code="responses_missing",
        )
    topic = topic_set_phase(topic=topic, phase=Phase.RESULTS, actor=actor)
    transaction.on_commit(lambda: notify.results_published(topic.pk))
    return topic


def phase_index(phase: str) -> int:
    return PHASE_ORDER.index(Phase(phase))
