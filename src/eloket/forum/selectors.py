"""Reads of the forum. Hidden and waiting opinions are gone for everyone but moderators."""

from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from eloket.common.errors import NotFound
from eloket.forum.models import (
    Opinion,
    OpinionState,
    Participant,
    Phase,
    Selection,
    Topic,
    TopicSuggestion,
    Vote,
)
from eloket.tenants.models import Municipality

PAGE_SIZE = 20
ORDERS = {"new": ("-created_at", "-id"), "top": ("-agree", "-id")}


def topics_of(*, municipality: Municipality, include_drafts: bool = False) -> QuerySet[Topic]:
    qs = Topic.objects.filter(municipality=municipality).select_related("municipality")
    if not include_drafts:
        qs = qs.exclude(phase=Phase.DRAFT)
    return qs.order_by("phase", "-opens_at", "-created_at")


def topic_get(*, municipality: Municipality, topic_id: int, include_drafts: bool = False) -> Topic:
    topic = (
        Topic.objects.select_related("municipality")
        .filter(municipality=municipality, pk=topic_id)
        .first()
    )
    if topic is None or (topic.phase == Phase.DRAFT and not include_drafts):
        raise NotFound(_("There is no such topic here."))
    return topic


def participant_of(topic: Topic, user: User | AnonymousUser) -> Participant | None:
    if not user.is_authenticated:
        return None
    return Participant.objects.filter(topic=topic, user=user).first()


@dataclass
class OpinionRow:
    opinion: Opinion
    my_vote: int | None


def opinions_page(
    *,
    topic: Topic,
    viewer: Participant | None,
    order: str = "new",
    page: int = 1,
    moderator: bool = False,
    parent: Opinion | None = None,
) -> tuple[list[OpinionRow], bool]:
    """One page of top-level opinions (or of one opinion's replies) with the viewer's own
    votes; and whether another page follows. No COUNT over the whole topic: the next
    page is known by fetching one row more."""
    qs = Opinion.objects.filter(topic=topic, parent=parent).select_related("participant")
    if not moderator:
        qs = qs.filter(state=OpinionState.PUBLISHED)
    start = (max(page, 1) - 1) * PAGE_SIZE
    opinions = list(qs.order_by(*ORDERS.get(order, ORDERS["new"]))[start : start + PAGE_SIZE + 1])
    more = len(opinions) > PAGE_SIZE
    opinions = opinions[:PAGE_SIZE]
    mine: dict[int, int] = {}
    if viewer is not None and opinions:
        mine = dict(
            Vote.objects.filter(
                participant=viewer, opinion__in=[o.pk for o in opinions]
            ).values_list("opinion_id", "value")
        )
    return [OpinionRow(o, mine.get(o.pk)) for o in opinions], more


def opinion_get(*, municipality: Municipality, opinion_id: int, moderator: bool = False) -> Opinion:
    opinion = (
        Opinion.objects.select_related("topic__municipality", "participant")
        .filter(municipality=municipality, pk=opinion_id)
        .first()
    )
    if opinion is None or opinion.topic.phase == Phase.DRAFT:
        raise NotFound(_("This opinion is not available."))
    if opinion.state != OpinionState.PUBLISHED and not moderator:
        raise NotFound(_("This opinion is not available."))
    return opinion


def replies_of(opinion: Opinion, *, moderator: bool = False) -> list[Opinion]:
    qs = (
        Opinion.objects.filter(parent=opinion)
        .select_related("participant")
        .order_by("created_at", "id")
    )
    if not moderator:
        qs = qs.filter(state=OpinionState.PUBLISHED)
    return list(qs[:200])


def moderation_queue(*, topic: Topic) -> QuerySet[Opinion]:
    return (
        Opinion.objects.filter(topic=topic)
        .exclude(state=OpinionState.PUBLISHED)
        .select_related("participant")
        .order_by("-reports", "created_at")
    )


def selections_of(topic: Topic) -> list[Selection]:
    return list(
        Selection.objects.filter(topic=topic)
        .select_related("opinion__participant")
        .order_by("selected_at")
    )


def suggestions_of(*, municipality: Municipality) -> QuerySet[TopicSuggestion]:
    return TopicSuggestion.objects.filter(municipality=municipality).order_by(
        "status", "-supports", "-created_at"
    )
