"""Residents taking part: their participant in a topic (a pseudonym per topic), opinions
and one level of replies, votes, and following a topic.

Counters (votes per opinion, opinions and participants per topic) change in the same
transaction as the rows they count, with database-side arithmetic, so concurrent votes
never lose one; the same UPDATE counts the change for the analysis, which the worker
runs once per burst of changes (forum/analysis_jobs.py). Eligibility is checked against
the register at every act.
"""

import datetime as dt

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from eloket.common.actors import Actor
from eloket.common.errors import ApplicationError, NotFound
from eloket.common.permissions import Permission, authorize, same_municipality
from eloket.common.ratelimit import limit_calls
from eloket.common.text import refuse_hidden_characters
from eloket.forum.analysis_jobs import topic_changed
from eloket.forum.eligibility import NotEligible, eligible_person, require_open
from eloket.forum.models import (
    Follow,
    Opinion,
    OpinionState,
    Participant,
    Topic,
    Vote,
    VoteMode,
    VoteValue,
)
from eloket.forum.pseudonyms import pseudonym
from eloket.forum.similarity import similar_opinions
from eloket.outbox.queue import outbox_put
from eloket.tenants.models import Module, Municipality
from eloket.tenants.modules import module_check

MAX_OPINION = 2000
# Against floods: per participant and topic (common.ratelimit).
OPINIONS_PER_10_MINUTES = 5
VOTES_PER_MINUTE = 120
# "Similar opinions" before posting: a TF-IDF over the topic's opinions, per check.
SIMILAR_CHECKS_PER_10_MINUTES = 20
_COLUMN = {VoteValue.AGREE: "agree", VoteValue.DISAGREE: "disagree", VoteValue.PASS: "passed"}
VOTE_WORDS = {"agree": VoteValue.AGREE, "disagree": VoteValue.DISAGREE, "pass": VoteValue.PASS}


def participant_for(*, actor: Actor, municipality: Municipality, topic: Topic) -> Participant:
    """The actor's participant in this topic, created on their first act. Eligibility is
    checked every time (residence and age can change)."""
    same_municipality(municipality, topic)
    person = eligible_person(topic, actor)
    existing = Participant.objects.filter(topic=topic, user_id=actor.user_pk).first()
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
                user_id=actor.user_pk,
                person_id_ref=person.pk,
                display_name=person.full_name,
                pseudonym=code,
                verified=True,
            )
            topic_changed(topic.pk, participant_count=F("participant_count") + 1)
    except IntegrityError:  # the same person's first two acts at once
        participant = Participant.objects.get(topic=topic, user_id=actor.user_pk)
    return participant


def _clean_text(text: str) -> str:
    text = (text or "").strip()
    refuse_hidden_characters(text)
    if not text:
        raise ApplicationError(_("Write your opinion first."), code="empty_opinion")
    if len(text) > MAX_OPINION:
        # Refused whole, never cut: the person shortens it themselves (issue 11, point 9).
        raise ApplicationError(
            _(
                "Your text has %(count)s characters; the most is %(n)s. Shorten it by "
                "%(over)s characters and send it again."
            )
            % {
                "count": number_format(len(text), force_grouping=True),
                "n": number_format(MAX_OPINION, force_grouping=True),
                "over": number_format(len(text) - MAX_OPINION, force_grouping=True),
            },
            code="opinion_too_long",
            details={"length": len(text), "max_length": MAX_OPINION},
        )
    return text


def opinions_like(
    *, actor: Actor, municipality: Municipality, topic: Topic, text: str
) -> list[Opinion]:
    """Before posting: the published opinions that say much the same, so that people vote
    instead of repeating (forum/similarity.py). Only for someone who may post here now,
    on a text that could be posted, and at most SIMILAR_CHECKS_PER_10_MINUTES a person:
    it used to run for anyone on any text, a cost an anonymous visitor could repeat."""
    same_municipality(municipality, topic)
    require_open(topic)
    text = _clean_text(text)
    eligible_person(topic, actor)
    limit_calls(
        f"forum-similar:{actor.user_pk}",
        limit=SIMILAR_CHECKS_PER_10_MINUTES,
        window=600,
        message=_("You checked many opinions just now. Take a break of a few minutes."),
    )
    return similar_opinions(topic, text)


def opinion_post(
    *,
    actor: Actor,
    municipality: Municipality,
    topic: Topic,
    text: str,
    parent: Opinion | None = None,
) -> Opinion:
    module_check(municipality, Module.PARTICIPATION)
    same_municipality(municipality, topic)
    require_open(topic)
    text = _clean_text(text)
    participant = participant_for(actor=actor, municipality=municipality, topic=topic)
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
        # A waiting opinion counts in the analysis's timeline too; a reply is part of
        # its opinion's thread, not an opinion of the topic (issue 11, point 9).
        topic_changed(
            topic.pk,
            **(
                {"opinion_count": F("opinion_count") + 1}
                if state == OpinionState.PUBLISHED and parent is None
                else {}
            ),
        )
        Follow.objects.get_or_create(
            municipality_id=topic.municipality_id, topic=topic, user_id=actor.user_pk
        )
        if parent is not None and state == OpinionState.PUBLISHED:
            outbox_put(
                municipality=municipality,
                kind="forum.notify",
                ref=f"topic:{topic.pk}",
                payload={"event": "replied", "opinion": opinion.pk},
            )
    return opinion


def opinion_edit(
    *, actor: Actor, municipality: Municipality, opinion: Opinion, text: str
) -> Opinion:
    module_check(municipality, Module.PARTICIPATION)
    same_municipality(municipality, opinion)
    topic = opinion.topic
    require_open(topic)
    participant = participant_for(actor=actor, municipality=municipality, topic=topic)
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
    with transaction.atomic():
        opinion.save(update_fields=["text", "edited_at"])
        if opinion.state == OpinionState.PUBLISHED:
            topic_changed(topic.pk)
    return opinion


def vote_cast(*, actor: Actor, municipality: Municipality, opinion: Opinion, value: int) -> Vote:
    """Record or change the actor's vote; one person, one vote per opinion."""
    module_check(municipality, Module.PARTICIPATION)
    same_municipality(municipality, opinion)
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
    participant = participant_for(actor=actor, municipality=municipality, topic=topic)
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
                    topic_changed(topic.pk, vote_count=F("vote_count") + 1)
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
                    topic_changed(topic.pk)
                return vote
        except IntegrityError:
            # The same person's vote arrived twice at once: the other one is in; try
            # again, now as a change of that vote.
            continue
    raise ApplicationError(_("Please try again."), code="busy")


def vote_withdraw(*, actor: Actor, municipality: Municipality, opinion: Opinion) -> None:
    same_municipality(municipality, opinion)
    topic = opinion.topic
    require_open(topic)
    participant = participant_for(actor=actor, municipality=municipality, topic=topic)
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
        topic_changed(topic.pk, vote_count=F("vote_count") - 1)
        vote.delete()


def follow(
    *,
    actor: Actor,
    municipality: Municipality,
    topic: Topic,
    digest: bool = False,
    email: str = "",
) -> Follow:
    authorize(actor, municipality, Permission.PARTICIPATE)
    same_municipality(municipality, topic)
    refuse_hidden_characters(email)
    with transaction.atomic():
        if email:
            User.objects.filter(pk=actor.user_pk).update(email=email.strip()[:254])
        item, _created = Follow.objects.update_or_create(
            municipality_id=topic.municipality_id,
            topic=topic,
            user_id=actor.user_pk,
            defaults={"digest": digest},
        )
    return item


def unfollow(*, actor: Actor, municipality: Municipality, topic: Topic) -> None:
    authorize(actor, municipality, Permission.PARTICIPATE)
    same_municipality(municipality, topic)
    Follow.objects.filter(topic=topic, user_id=actor.user_pk).delete()
