"""Reads of the forum. Hidden and waiting opinions are gone for everyone but moderators."""

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.core.cache import cache
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from eloket.common.errors import NotFound
from eloket.forum.models import (
    Analysis,
    Opinion,
    OpinionState,
    Participant,
    Phase,
    Selection,
    Topic,
    TopicSuggestion,
)
from eloket.tenants.models import Municipality

PAGE_SIZE = 20
MAX_PAGE = 1_000_000  # as the API's pagination: a larger number is simply past the end
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


# --- The topic page's reads, in SQL.
#
# The topic page is what a busy consultation serves most. Built by the ORM, each of its
# statements cost 0.5-2 ms to compose against 0.03-0.1 ms to run (benchmarks/forum.py
# --profile, 100,000 opinions): composing was most of the page. These few are written
# out once; `Model.objects.raw` still gives model instances with the usual conversions.
# They run unchanged on SQLite and PostgreSQL, and tests/test_forum_reads.py holds them to
# the ORM queries they stand for.

_TOPIC_PAGE_SQL = """
SELECT t.*,
       EXISTS (SELECT 1 FROM forum_attachment a WHERE a.topic_id = t.id) AS has_attachments,
       EXISTS (SELECT 1 FROM forum_expertopinion e WHERE e.topic_id = t.id) AS has_experts,
       EXISTS (SELECT 1 FROM forum_follow f WHERE f.topic_id = t.id AND f.user_id = %s)
           AS following
FROM forum_topic t
WHERE t.municipality_id = %s AND t.id = %s
"""


def topic_for_page(
    *, municipality: Municipality, topic_id: int, viewer: User | AnonymousUser, moderator: bool
) -> Topic:
    """`topic_get` for the topic's page, in one statement, with `following` (does the
    viewer follow it), `has_attachments` and `has_experts` (so that the page asks for
    those only when there are some)."""
    user_id = viewer.pk if viewer.is_authenticated else None
    found: list[Any] = list(
        Topic.objects.raw(_TOPIC_PAGE_SQL, [user_id, municipality.pk, topic_id])
    )
    topic = found[0] if found else None
    if topic is None or (topic.phase == Phase.DRAFT and not moderator):
        raise NotFound(_("There is no such topic here."))
    topic.municipality = municipality
    for flag in ("has_attachments", "has_experts", "following"):
        setattr(topic, flag, bool(getattr(topic, flag)))
    return topic


def participant_of(
    *, municipality: Municipality, topic: Topic, user: User | AnonymousUser
) -> Participant | None:
    if not user.is_authenticated:
        return None
    return Participant.objects.filter(municipality=municipality, topic=topic, user=user).first()


@dataclass
class OpinionRow:
    opinion: Opinion
    my_vote: int | None
    own: bool = False  # the viewer's own opinion: no vote buttons
    name: str = ""  # how its author is shown (see services.display_name)


_OPINIONS_PAGE_SQL = """
SELECT o.*,
       p.display_name AS author_name, p.pseudonym AS author_pseudonym,
       p.verified AS author_verified, p.user_id AS author_user_id,
       (SELECT v.value FROM forum_vote v
        WHERE v.opinion_id = o.id
          AND v.participant_id = (SELECT me.id FROM forum_participant me
                                  WHERE me.topic_id = o.topic_id AND me.user_id = %s)
       ) AS my_vote
FROM forum_opinion o JOIN forum_participant p ON p.id = o.participant_id
WHERE o.topic_id = %s AND {parent} AND {state}
ORDER BY {order}
LIMIT %s OFFSET %s
"""
# Fixed pieces only: nothing a visitor sends ends up in the statement's text.
_OPINION_ORDERS = {"new": "o.created_at DESC, o.id DESC", "top": "o.agree DESC, o.id DESC"}


def opinions_page(
    *,
    municipality: Municipality,
    topic: Topic,
    viewer: User | AnonymousUser | None = None,
    order: str = "new",
    page: int = 1,
    moderator: bool = False,
    parent: Opinion | None = None,
) -> tuple[list[OpinionRow], bool]:
    """One page of top-level opinions (or of one opinion's replies) with their authors'
    shown names and the viewer's own vote on each; and whether another page follows.

    One statement: no COUNT over the whole topic (the next page is known by fetching one
    row more), and the viewer's vote found through their participant id, an exact index
    lookup per opinion whatever the number of votes."""
    from eloket.forum.display import display_name

    if topic.municipality_id != municipality.pk:
        raise NotFound(_("There is no such topic here."))
    user_id = viewer.pk if viewer is not None and viewer.is_authenticated else None
    params: list[object] = [user_id, topic.pk]
    if parent is None:
        parent_sql = "o.parent_id IS NULL"
    else:
        parent_sql = "o.parent_id = %s"
        params.append(parent.pk)
    if moderator:
        state_sql = "1 = 1"
    else:
        state_sql = "o.state = %s"
        params.append(OpinionState.PUBLISHED.value)
    start = (min(max(page, 1), MAX_PAGE) - 1) * PAGE_SIZE
    params += [PAGE_SIZE + 1, start]
    sql = _OPINIONS_PAGE_SQL.format(
        parent=parent_sql,
        state=state_sql,
        order=_OPINION_ORDERS.get(order, _OPINION_ORDERS["new"]),
    )
    # Any: the rows carry the statement's extra columns (author_*, my_vote) as attributes.
    opinions: list[Any] = list(Opinion.objects.raw(sql, params))
    rows = []
    for o in opinions[:PAGE_SIZE]:
        # The author with the fields read here; any other loads on use (deferred).
        author = Participant.from_db(
            o._state.db,
            [
                "id",
                "municipality_id",
                "topic_id",
                "user_id",
                "display_name",
                "pseudonym",
                "verified",
            ],
            [
                o.participant_id,
                o.municipality_id,
                topic.pk,
                o.author_user_id,
                o.author_name,
                o.author_pseudonym,
                bool(o.author_verified),
            ],
        )
        o.participant = author
        rows.append(
            OpinionRow(
                o,
                o.my_vote,
                own=user_id is not None and o.author_user_id == user_id,
                name=display_name(author, topic),
            )
        )
    return rows, len(opinions) > PAGE_SIZE


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


def replies_of(
    *, municipality: Municipality, opinion: Opinion, moderator: bool = False
) -> list[Opinion]:
    qs = (
        Opinion.objects.filter(municipality=municipality, parent=opinion)
        .select_related("participant")
        .order_by("created_at", "id")
    )
    if not moderator:
        qs = qs.filter(state=OpinionState.PUBLISHED)
    return list(qs[:200])


def moderation_queue(*, municipality: Municipality, topic: Topic) -> QuerySet[Opinion]:
    return (
        Opinion.objects.filter(municipality=municipality, topic=topic)
        .exclude(state=OpinionState.PUBLISHED)
        .select_related("participant")
        .order_by("-reports", "created_at")
    )


def selections_of(*, municipality: Municipality, topic: Topic) -> list[Selection]:
    return list(
        Selection.objects.filter(municipality=municipality, topic=topic)
        .select_related("opinion__participant")
        .order_by("selected_at")
    )


def suggestions_of(*, municipality: Municipality) -> QuerySet[TopicSuggestion]:
    return TopicSuggestion.objects.filter(municipality=municipality).order_by(
        "status", "-supports", "-created_at"
    )


def analysis_latest(
    *, municipality: Municipality, topic: Topic, with_result: bool = True
) -> Analysis | None:
    """The stored analysis everybody is shown: the one that read the newest data. Without
    its result (a large JSON document) when the caller reads it through `analysis_public`."""
    qs = Analysis.objects.filter(municipality=municipality, topic=topic)
    if not with_result:
        qs = qs.defer("result")
    return qs.order_by("-data_version", "-computed_at", "-pk").first()


@dataclass(frozen=True)
class AnalysisShown:
    """What pages and the API show of a topic's analysis: the last one the worker stored
    (None before the first), and whether changes since then are still being counted. A
    read only: no request computes an analysis (forum/analysis_jobs.py)."""

    analysis: Analysis | None
    pending: bool

    @property
    def status(self) -> str:
        """current, updating (a stale one is shown), pending (none yet) or no_data."""
        if self.analysis is not None:
            return "updating" if self.pending else "current"
        return "pending" if self.pending else "no_data"


def analysis_shown(
    *, municipality: Municipality, topic: Topic, with_result: bool = True
) -> AnalysisShown:
    if topic.municipality_id != municipality.pk:
        raise NotFound(_("There is no such topic here."))
    latest = analysis_latest(municipality=municipality, topic=topic, with_result=with_result)
    pending = topic.data_version > topic.analysed_version or (
        latest is None and topic.analysis_due_at is not None
    )
    return AnalysisShown(analysis=latest, pending=pending)


OFFICERS_ONLY = ("projection",)  # and the groups' members
PUBLIC_SECONDS = 3600


def analysis_public(*, municipality: Municipality, analysis: Analysis) -> dict[str, Any]:
    """The analysis as anyone may read it: no group's members, no projection of the
    participants. Kept in the shared cache per analysis (a stored analysis never
    changes), so that readers of a busy topic do not decode its whole document (members
    and projection are most of it) on every request."""
    if analysis.municipality_id != municipality.pk:
        raise NotFound(_("There is no such topic here."))
    # Its id with what tells it apart even across a database restored from a backup.
    key = (
        f"forum-analysis-public:{analysis.pk}:{analysis.topic_id}:{analysis.data_version}:"
        f"{analysis.computed_at.timestamp() if analysis.computed_at else ''}"
    )
    data: dict[str, Any] | None = cache.get(key)
    if data is None:
        data = {k: v for k, v in analysis.result.items() if k not in OFFICERS_ONLY}
        data["groups"] = [{**group, "members": None} for group in data.get("groups", [])]
        cache.set(key, data, timeout=PUBLIC_SECONDS)
    return data
