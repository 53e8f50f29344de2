"""The forum's API: topics, opinions, votes, the analysis, Polis import."""

from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.decorators import decorate_view
from ninja.files import UploadedFile
from ninja.pagination import paginate

from eloket.api.auth import AUTH
from eloket.api.modules import module_switch
from eloket.api.pagination import PageNumberPagination
from eloket.api.schemas import BodyId, Error, FreeText, Id, JsonInt
from eloket.common.errors import ApplicationError, NotFound
from eloket.common.uploads import upload_limit
from eloket.forum import selectors, services
from eloket.forum.analysis_jobs import delay as analysis_delay
from eloket.forum.display import display_name
from eloket.forum.interchange import POLIS_UPLOAD_HINT, import_polis_upload
from eloket.forum.models import IdentityDisplay, Opinion, Phase, Topic, VoteMode
from eloket.identity.access import NotAuthenticated, officer_access
from eloket.identity.eligibility import participant_actor
from eloket.identity.selectors import officer_role_in
from eloket.tenants.links import municipality_base_url
from eloket.tenants.models import Module
from eloket.tenants.selectors import municipality_get

router = Router(tags=["forum"])
router.add_decorator(module_switch(Module.PARTICIPATION), mode="view")
ERRORS = {400: Error, 401: Error, 403: Error, 404: Error, 422: Error}


class TopicIn(Schema):
    title: dict[str, FreeText] = Field(..., description="Per language code.")
    summary: dict[str, FreeText] = Field(default_factory=dict)
    background: dict[str, FreeText] = Field(
        default_factory=dict, description="Markdown per language."
    )
    department: FreeText = Field("", max_length=200)
    phase: str = Field("draft", description="draft or open")
    vote_mode: str = Field(
        VoteMode.AGREE_DISAGREE_PASS, description="agree_disagree_pass or support_only"
    )
    identity_display: str = Field(IdentityDisplay.PSEUDONYM, description="pseudonym or real_name")
    min_age: JsonInt = Field(16, ge=0, le=120)
    pre_moderation: bool = Field(False, strict=True)


class TopicOut(Schema):
    id: int
    title: str
    titles: dict[str, str]
    summary: str
    phase: str
    opens_at: Any = None
    closes_at: Any = None
    vote_mode: str
    identity_display: str
    min_age: int
    opinion_count: int
    vote_count: int
    participant_count: int
    imported: bool
    url: str = Field(..., description="The topic's page.")


class OpinionIn(Schema):
    text: FreeText = Field(..., max_length=2000)
    reply_to: BodyId | None = None


VoteWord = Literal["agree", "disagree", "pass"]


class OpinionOut(Schema):
    # Answered by alias (the operations below say by_alias=True), so that the schema and
    # the answers both say `pass`, as they say `agree` and `disagree`.
    id: int
    topic: int
    text: str
    author: str = Field(..., description="Real name or the topic's pseudonym, as the topic says.")
    created_at: Any
    state: str
    reply_to: int | None
    agree: int
    disagree: int
    pass_: int = Field(..., alias="pass")
    my_vote: VoteWord | None = Field(None, description="The caller's own vote, if any.")


class VoteIn(Schema):
    # The schema lists the words, and the same schema refuses any other (422).
    vote: VoteWord = Field(..., description="agree, disagree or pass")


class GroupOpinionOut(Schema):
    opinion: int
    text: str
    direction: str
    in_group: float
    outside: float


class GroupOut(Schema):
    id: int
    size: int
    members: list[str] | None = Field(None, description="Participant ids (officers only).")
    characteristic_opinions: list[GroupOpinionOut]


class AnalysisOut(Schema):
    status: Literal["current", "updating"] = Field(
        ...,
        description="current: no vote or opinion came in since it was computed; updating: "
        "some did, and the worker is counting them (a newer analysis follows, usually "
        "within a minute or two).",
    )
    pending: bool = Field(..., description="True when status is updating.")
    computed_at: Any = Field(..., description="When the analysis shown was computed (as of).")
    duration_ms: int
    method: dict[str, Any]
    groups: list[GroupOut]
    consensus: list[dict[str, Any]]
    top_opinions: list[dict[str, Any]]
    key_terms: list[dict[str, Any]]
    text_clusters: list[dict[str, Any]]
    timeline: list[dict[str, Any]]
    demographics: dict[str, Any]


class AnalysisPending(Schema):
    status: Literal["pending", "no_data"] = Field(
        ...,
        description="pending: the first analysis is being prepared by the worker; no_data: "
        "no one has taken part yet, nothing to analyse.",
    )
    message: str = Field(..., description="The same, in the request's language.")
    retry_after: int = Field(
        ..., description="Seconds after which to ask again (also the Retry-After header)."
    )


class TopicsQuery(Schema):
    phase: str = Field("", max_length=10)


WORDS = {1: "agree", -1: "disagree", 0: "pass"}


def topic_out(request: HttpRequest, topic: Topic) -> dict[str, Any]:
    language = getattr(request, "LANGUAGE_CODE", None)
    home = municipality_base_url(
        topic.municipality, platform_base_url=f"{request.scheme}://{request.get_host()}"
    )
    return {
        "id": topic.pk,
        "title": topic.text("title", language),
        "titles": topic.title,
        "summary": topic.text("summary", language),
        "phase": topic.phase,
        "opens_at": topic.opens_at,
        "closes_at": topic.closes_at,
        "vote_mode": topic.vote_mode,
        "identity_display": topic.identity_display,
        "min_age": topic.min_age,
        "opinion_count": topic.opinion_count,
        "vote_count": topic.vote_count,
        "participant_count": topic.participant_count,
        "imported": topic.imported,
        "url": f"{home}forum/{topic.pk}",
    }


def opinion_out(opinion: Opinion, topic: Topic, my_vote: int | None = None) -> dict[str, Any]:
    return {
        "id": opinion.pk,
        "topic": topic.pk,
        "text": opinion.text,
        "author": display_name(opinion.participant, topic),
        "created_at": opinion.created_at,
        "state": opinion.state,
        "reply_to": opinion.parent_id,
        "agree": opinion.agree,
        "disagree": opinion.disagree,
        "pass": opinion.passed,
        "my_vote": WORDS.get(my_vote) if my_vote is not None else None,
    }


def _user(request: HttpRequest) -> Any:
    """The caller, when they sent a token or a session; anonymous otherwise."""
    for method in AUTH:
        try:
            if method(request) is not None:
                break
        except Exception:  # noqa: S112 (an unreadable credential is no credential)
            continue
    return request.user


def _moderator(request: HttpRequest, municipality: Any) -> bool:
    return request.user.is_authenticated and officer_role_in(request.user, municipality) is not None


@router.get(
    "/m/{slug}/forum/topics",
    response={200: list[TopicOut], 404: Error, 422: Error},
    summary="The municipality's forum topics",
)
@paginate(PageNumberPagination)
def topics(request: HttpRequest, slug: str, query: Query[TopicsQuery]) -> Any:
    municipality = municipality_get(slug=slug, module=Module.PARTICIPATION)
    _user(request)
    qs = selectors.topics_of(
        municipality=municipality, include_drafts=_moderator(request, municipality)
    )
    if query.phase:
        qs = qs.filter(phase=query.phase)
    return [topic_out(request, t) for t in qs]


@router.post(
    "/m/{slug}/forum/topics",
    auth=AUTH,
    response={201: TopicOut, **ERRORS},
    summary="Create a topic (officers)",
)
def create_topic(request: HttpRequest, slug: str, payload: TopicIn) -> Any:
    municipality = municipality_get(slug=slug, module=Module.PARTICIPATION)
    actor = officer_access(request, municipality)
    if payload.phase not in (Phase.DRAFT, Phase.OPEN):
        raise ApplicationError(_("A new topic is a draft or open."), code="invalid_phase")
    topic = services.topic_create(
        actor=actor,
        municipality=municipality,
        title=payload.title,
        summary=payload.summary,
        background=payload.background,
        department=payload.department,
        vote_mode=payload.vote_mode,
        identity_display=payload.identity_display,
        min_age=payload.min_age,
        pre_moderation=payload.pre_moderation,
    )
    if payload.phase == Phase.OPEN:
        topic = services.topic_set_phase(
            actor=actor, municipality=municipality, topic=topic, phase=Phase.OPEN
        )
    return Status(201, topic_out(request, topic))


def _topic(request: HttpRequest, slug: str, topic_id: int) -> Topic:
    municipality = municipality_get(slug=slug, module=Module.PARTICIPATION)
    return selectors.topic_get(
        municipality=municipality,
        topic_id=topic_id,
        include_drafts=_moderator(request, municipality),
    )


class OpinionsQuery(Schema):
    order: str = Field("new", description="new or top")


@router.get(
    "/m/{slug}/forum/topics/{topic_id}/opinions",
    response={200: list[OpinionOut], 404: Error, 422: Error},
    summary="A topic's opinions, with vote counts (and your own vote when you send a token)",
    by_alias=True,
)
@paginate(PageNumberPagination)
def opinions(request: HttpRequest, slug: str, topic_id: Id, query: Query[OpinionsQuery]) -> Any:
    _user(request)
    topic = _topic(request, slug, topic_id)
    viewer = selectors.participant_of(
        municipality=topic.municipality, topic=topic, user=request.user
    )
    qs = (
        Opinion.objects.filter(topic=topic, state="published")
        .select_related("participant")
        .order_by(*selectors.ORDERS.get(query.order, selectors.ORDERS["new"]))
    )
    return _with_votes(qs, topic, viewer)


class _Lazy:
    """A page of opinions with the viewer's votes looked up for that page only."""

    def __init__(self, qs: Any, topic: Topic, viewer: Any) -> None:
        self.qs, self.topic, self.viewer = qs, topic, viewer

    def count(self) -> int:
        return int(self.qs.count())

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, window: slice) -> list[dict[str, Any]]:
        rows = list(self.qs[window])
        mine: dict[int, int] = {}
        if self.viewer is not None and rows:
            mine = dict(
                self.viewer.votes.filter(opinion__in=rows).values_list("opinion_id", "value")
            )
        return [opinion_out(o, self.topic, mine.get(o.pk)) for o in rows]


def _with_votes(qs: Any, topic: Topic, viewer: Any) -> Any:
    return _Lazy(qs, topic, viewer)


@router.post(
    "/m/{slug}/forum/topics/{topic_id}/opinions",
    auth=AUTH,
    response={201: OpinionOut, 429: Error, **ERRORS},
    summary="Post an opinion (eligible residents; a reply with reply_to)",
    by_alias=True,
)
def post(request: HttpRequest, slug: str, topic_id: Id, payload: OpinionIn) -> Any:
    topic = _topic(request, slug, topic_id)
    parent = None
    if payload.reply_to is not None:
        parent = Opinion.objects.filter(topic=topic, pk=payload.reply_to).first()
        if parent is None:
            raise NotFound(_("This opinion is not available."))
    opinion = services.opinion_post(
        actor=participant_actor(request.user),
        municipality=topic.municipality,
        topic=topic,
        text=payload.text,
        parent=parent,
    )
    return Status(201, opinion_out(opinion, topic))


@router.get(
    "/m/{slug}/forum/opinions/{opinion_id}",
    response={200: OpinionOut, 404: Error, 422: Error},
    summary="One opinion",
    by_alias=True,
)
def opinion(request: HttpRequest, slug: str, opinion_id: Id) -> Any:
    _user(request)
    municipality = municipality_get(slug=slug, module=Module.PARTICIPATION)
    item = selectors.opinion_get(
        municipality=municipality,
        opinion_id=opinion_id,
        moderator=_moderator(request, municipality),
    )
    viewer = selectors.participant_of(
        municipality=municipality, topic=item.topic, user=request.user
    )
    mine = (
        item.votes.filter(participant=viewer).values_list("value", flat=True).first()
        if viewer
        else None
    )
    return opinion_out(item, item.topic, mine)


@router.post(
    "/m/{slug}/forum/opinions/{opinion_id}/vote",
    auth=AUTH,
    response={200: OpinionOut, 429: Error, **ERRORS},
    summary="Vote agree, disagree or pass (again to change it)",
    by_alias=True,
)
def vote(request: HttpRequest, slug: str, opinion_id: Id, payload: VoteIn) -> Any:
    municipality = municipality_get(slug=slug, module=Module.PARTICIPATION)
    item = selectors.opinion_get(municipality=municipality, opinion_id=opinion_id)
    cast = services.vote_cast(
        actor=participant_actor(request.user),
        municipality=municipality,
        opinion=item,
        value=services.VOTE_WORDS[payload.vote],
    )
    item.refresh_from_db()
    return opinion_out(item, item.topic, cast.value)


@router.delete(
    "/m/{slug}/forum/opinions/{opinion_id}/vote",
    auth=AUTH,
    response={200: OpinionOut, **ERRORS},
    summary="Withdraw your vote",
    by_alias=True,
)
def withdraw(request: HttpRequest, slug: str, opinion_id: Id) -> Any:
    municipality = municipality_get(slug=slug, module=Module.PARTICIPATION)
    item = selectors.opinion_get(municipality=municipality, opinion_id=opinion_id)
    services.vote_withdraw(
        actor=participant_actor(request.user), municipality=municipality, opinion=item
    )
    item.refresh_from_db()
    return opinion_out(item, item.topic)


@router.get(
    "/m/{slug}/forum/topics/{topic_id}/analysis",
    response={200: AnalysisOut, 202: AnalysisPending, 404: Error, 422: Error},
    summary="The latest analysis, as the worker last computed it; members for officers only",
    description="The analysis is computed by the background worker, once after each burst "
    "of votes and opinions, never while you wait: this answers the last one stored (200; "
    "`status` updating when newer votes are being counted), or 202 with a Retry-After "
    "header before the first one exists.",
    openapi_extra={
        "responses": {
            202: {  # an int, as ninja keys its responses (a string would make a second 202)
                "headers": {
                    "Retry-After": {
                        "description": "Seconds after which to ask again.",
                        "schema": {"type": "integer"},
                    }
                }
            }
        }
    },
)
def analysis(request: HttpRequest, response: HttpResponse, slug: str, topic_id: Id) -> Any:
    _user(request)
    topic = _topic(request, slug, topic_id)
    # Without its result: read whole only for an officer (members), else from the cache.
    shown = selectors.analysis_shown(
        municipality=topic.municipality, topic=topic, with_result=False
    )
    stored = shown.analysis
    if stored is None:
        wait = max(5, int(analysis_delay().total_seconds()))
        response["Retry-After"] = str(wait)
        message = (
            _("The analysis is being prepared. Ask again in a minute.")
            if shown.status == "pending"
            else _("Nothing to analyse yet: no one has taken part in this topic.")
        )
        return Status(202, {"status": shown.status, "message": message, "retry_after": wait})
    officer = _moderator(request, topic.municipality)
    if officer:
        try:
            officer_access(request, topic.municipality)
        except NotAuthenticated:
            officer = False
    if officer:
        data = dict(stored.result)
        data.pop("projection", None)
    else:
        data = selectors.analysis_public(municipality=topic.municipality, analysis=stored)
    return {
        **data,
        "status": shown.status,
        "pending": shown.pending,
        "computed_at": stored.computed_at,
        "duration_ms": stored.duration_ms,
    }


@router.post(
    "/m/{slug}/forum/import-polis",
    auth=AUTH,
    response={201: TopicOut, 413: Error, **ERRORS},
    summary="Import a Polis export as a new, closed topic (officers)",
    description="Multipart: the files comments.csv, votes.csv and optionally participants-votes.csv and summary.csv, or one zip.",
)
@decorate_view(upload_limit("ELOKET_POLIS_UPLOAD_MAX_BYTES", POLIS_UPLOAD_HINT))
def import_polis(
    request: HttpRequest,
    slug: str,
    title: Form[str] = "",
    files: File[list[UploadedFile]] = None,  # type: ignore[assignment]
) -> Any:
    municipality = municipality_get(slug=slug, module=Module.PARTICIPATION)
    actor = officer_access(request, municipality)
    # Whole: the upload handler refused more than ELOKET_POLIS_UPLOAD_MAX_BYTES.
    uploads = {f.name or "file.csv": f.read() for f in (files or [])}
    if not uploads:
        raise ApplicationError(_("Send the files of a Polis export."), code="invalid_polis_export")
    topic = import_polis_upload(actor=actor, municipality=municipality, files=uploads, title=title)
    return Status(201, topic_out(request, topic))
