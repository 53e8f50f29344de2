"""Citizens' pages of the forum: topics, opinions, votes, replies, reports, follows,
suggestions, results. Thin: the services decide; every form works without JavaScript."""

import datetime as dt
import threading
from collections import Counter
from typing import Any

from django.contrib import messages
from django.core.cache import cache
from django.db.models import F
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from markupsafe import Markup

from eloket.common.errors import ApplicationError
from eloket.common.forms import id_of, page_of
from eloket.common.nocache import never_cache
from eloket.common.pagecache import cached_page, for_anonymous_visitor, page_key, page_store
from eloket.forum import selectors, services
from eloket.forum.display import display_name
from eloket.forum.eligibility import eligible_person
from eloket.forum.models import (
    DailyCount,
    Opinion,
    OpinionState,
    Phase,
    Topic,
    TopicSuggestion,
    VoteMode,
)
from eloket.forum.services.participation import MAX_OPINION
from eloket.identity.eligibility import participant_actor
from eloket.identity.selectors import officer_role_here
from eloket.tenants.chrome import chrome_version
from eloket.tenants.decorators import kept_for_visitors, tenant_page
from eloket.tenants.links import link_base, tenant_reverse
from eloket.tenants.models import Module, Municipality

VIEW_BATCH = 20  # page views are written to the database 20 at a time
# Refusals that say nothing about a text sent: the person may not write here (now); the
# page they return to says why. Any other refusal shows the text again, with the reason.
NOT_ABOUT_THE_TEXT = {
    "not_authenticated",
    "not_a_citizen",
    "not_resident",
    "too_young",
    "blocked",
    "archived",
    "topic_not_open",
}


# Page views are counted in each process and written to the day's row VIEW_BATCH at a time:
# no write, and no round trip to the shared cache, per page served (a topic kept for
# visitors costs less than counting it in Redis did). A process that stops loses at most
# VIEW_BATCH - 1 views of a topic: a reading figure, not a record.
_views: Counter[tuple[int, int, str]] = Counter()
_views_lock = threading.Lock()


def count_view(municipality_id: int, topic_id: int) -> None:
    """Count a page view without a write per request (flushed in batches)."""
    day = timezone.localdate()
    key = (municipality_id, topic_id, day.isoformat())
    with _views_lock:
        _views[key] += 1
        full = _views[key] >= VIEW_BATCH
        if full:
            del _views[key]
    if full:
        row, _created = DailyCount.objects.get_or_create(
            municipality_id=municipality_id, topic_id=topic_id, day=day
        )
        DailyCount.objects.filter(pk=row.pk).update(views=F("views") + VIEW_BATCH)


def opinion_labels() -> dict[str, str]:
    """The words on every opinion's buttons, translated once per page, not once per opinion."""
    return {
        "support": _("Support"),
        "agree": _("Agree"),
        "disagree": _("Disagree"),
        "pass": _("Pass"),
        "withdraw": _("Withdraw my vote"),
        "more": _("Replies and more"),
        # Formats, filled per opinion in _opinion.html.
        "supports": _("%(n)d supports"),
        "counts": _("agree %(a)d · disagree %(d)d · pass %(p)d"),
    }


def _is_moderator(request: HttpRequest, tenant: Municipality) -> bool:
    return officer_role_here(request, tenant) is not None


def _topic(request: HttpRequest, tenant: Municipality, topic_id: int) -> Topic:
    try:
        return selectors.topic_get(
            municipality=tenant, topic_id=topic_id, include_drafts=_is_moderator(request, tenant)
        )
    except ApplicationError as exc:
        raise Http404(str(exc)) from exc


def _back(request: HttpRequest, topic: Topic, anchor: str = "") -> HttpResponse:
    """Back where the form was (`next`, a path on this site), at `anchor` if given."""
    target = request.POST.get("next", "")
    if not target.startswith("/") or target.startswith("//"):
        target = tenant_reverse(request, "forum:topic", topic_id=topic.pk)
    if anchor and "#" not in target:
        target += f"#{anchor}"
    return HttpResponseRedirect(target)


@tenant_page(module=Module.PARTICIPATION)
@require_GET
@kept_for_visitors
def topics(request: HttpRequest, tenant: Municipality) -> HttpResponse:
    items = list(selectors.topics_of(municipality=tenant))
    return render(request, "forum/topics.html", {"topics": items, "active": "forum"})


def text_limit() -> dict[str, str]:
    """The longest opinion, written as the page's language writes numbers ("2,000")."""
    return {"max_text": number_format(MAX_OPINION, force_grouping=True)}


@tenant_page(module=Module.PARTICIPATION)
@require_GET
def topic_page(request: HttpRequest, tenant: Municipality, topic_id: int) -> HttpResponse:
    response = _topic_page_for(request, tenant, topic_id=topic_id)
    # Counted here, not where the page is made: a page kept for visitors is a view too.
    if response.status_code == 200:
        count_view(tenant.pk, topic_id)
    return response


@kept_for_visitors
def _topic_page_for(request: HttpRequest, tenant: Municipality, topic_id: int) -> HttpResponse:
    return _topic_response(request, tenant, topic_id)


# The whole page as visitors who are not logged in see it (common/pagecache.py): the same
# for all of them but for the CSRF field. Kept under everything it is made of: the topic's
# row (every column: a phase, a count, a text changed), whether it has attachments and
# expert opinions (whose writes touch the topic's `updated_at`, forum/signals.py), the
# municipality's row, the address asked for and what links and texts depend on.
PAGE_SECONDS = 300


def _page_key(
    request: HttpRequest, tenant: Municipality, topic: Topic, *, order: str, page: int
) -> str | None:
    if not for_anonymous_visitor(request):
        return None
    if order not in selectors.ORDERS or page > CACHED_PAGES:
        return None
    urlconf, prefix = link_base(request)
    return page_key(
        f"forum-topic-page:{tenant.pk}:{topic.pk}",
        [getattr(topic, field.attname) for field in Topic._meta.concrete_fields],
        getattr(topic, "has_attachments", True),
        getattr(topic, "has_experts", True),
        tenant.updated_at.timestamp(),
        chrome_version(tenant.pk),
        request.get_full_path(),
        translation.get_language(),
        timezone.get_current_timezone_name(),
        urlconf,
        prefix,
        getattr(request, "tenant_by_host", False),
    )


def _topic_response(
    request: HttpRequest,
    tenant: Municipality,
    topic_id: int,
    *,
    draft: str = "",
    error: str = "",
) -> HttpResponse:
    """The topic's page; after a refused opinion with the text kept (`draft`) and the
    reason next to the field (`error`), so that nothing typed or pasted is lost."""
    # The page most read on a busy topic: a handful of queries whatever the topic's size
    # (benchmarks/forum.py holds it against a one-query view).
    try:
        topic = selectors.topic_for_page(
            municipality=tenant,
            topic_id=topic_id,
            viewer=request.user,
            moderator=_is_moderator(request, tenant),
        )
    except ApplicationError as exc:
        raise Http404(str(exc)) from exc
    order = request.GET.get("order", "new")
    page = page_of(request.GET.get("page"))
    page_key = None if draft or error else _page_key(request, tenant, topic, order=order, page=page)
    if page_key is not None and (cached := cached_page(request, page_key)) is not None:
        return cached
    can_take_part, why_not = True, ""
    if topic.phase != Phase.OPEN or topic.imported:
        can_take_part = False
    elif request.user.is_authenticated:
        try:
            eligible_person(topic, participant_actor(request.user))
        except ApplicationError as exc:
            can_take_part, why_not = False, str(exc)
    opinions_html, more = _opinions_list(
        request, tenant, topic, order=order, page=page, can_vote=can_take_part
    )
    first = page == 1
    response = render(
        request,
        "forum/topic.html",
        {
            "topic": topic,
            "attachments": list(topic.attachments.all())
            if first and getattr(topic, "has_attachments", True)
            else [],
            "experts": list(topic.experts.all())
            if first and getattr(topic, "has_experts", True)
            else [],
            "opinions_html": opinions_html,
            "more": more,
            "page": page,
            "order": order,
            "can_take_part": can_take_part,
            "can_vote": can_take_part,
            "why_not": why_not,
            "following": getattr(topic, "following", False),
            "draft": draft,
            "error": error,
            **text_limit(),
            "active": "forum",
        },
        status=400 if error else 200,
    )
    if page_key is not None:
        page_store(request, page_key, response, timeout=PAGE_SECONDS)
    return response


# The opinions of a topic's page, as visitors who are not logged in see them: the same for
# all of them, and most of the page's time (a template per opinion, issue 11, point 11).
# Kept in the shared cache under what they are made of: the topic's `data_version`, which
# every opinion, vote, edit and moderator's decision counts up (forum/analysis_jobs.py,
# `topic_changed`), its settings that change how they show, the page asked for and what
# the text and links depend on (language, time zone, the municipality's address). A
# logged-in visitor's list carries their own votes and opinions: it is never cached.
OPINIONS_SECONDS = 600
CACHED_PAGES = 5  # the pages visitors read; further ones are made when asked


def _opinions_list(
    request: HttpRequest,
    tenant: Municipality,
    topic: Topic,
    *,
    order: str,
    page: int,
    can_vote: bool,
) -> tuple[Markup, bool]:
    """The page's list of opinions (its `<li>` items) and whether another page follows."""
    key = None
    if not request.user.is_authenticated and order in selectors.ORDERS and page <= CACHED_PAGES:
        urlconf, prefix = link_base(request)
        key = ":".join(
            str(part)
            for part in (
                "forum-opinions",
                tenant.pk,
                topic.pk,
                topic.data_version,
                topic.updated_at.timestamp(),
                topic.vote_mode,
                topic.identity_display,
                can_vote,
                order,
                page,
                translation.get_language(),
                timezone.get_current_timezone_name(),
                urlconf,
                prefix,
                getattr(request, "tenant_by_host", False),
            )
        )
        found: tuple[str, bool] | None = cache.get(key)
        if found is not None:
            return Markup(found[0]), found[1]  # noqa: S704  # nosec B704 (made below)
    rows, more = selectors.opinions_page(
        municipality=tenant, topic=topic, viewer=request.user, order=order, page=page
    )
    html = render_to_string(
        "forum/_opinions.html",
        {
            "rows": rows,
            "can_vote": can_vote,
            "support_only": topic.vote_mode == VoteMode.SUPPORT_ONLY,
            "labels": opinion_labels(),
            "in_list_form": True,
        },
        request,
    )
    if key is not None:
        cache.set(key, (str(html), more), timeout=OPINIONS_SECONDS)
    return Markup(html), more  # noqa: S704  # nosec B704 (autoescaped template)


@tenant_page(module=Module.PARTICIPATION)
@require_POST
def post_opinion(request: HttpRequest, tenant: Municipality, topic_id: int) -> HttpResponse:
    """Posting: first the similar opinions already there are shown; "post anyway" posts."""
    topic = _topic(request, tenant, topic_id)
    text = request.POST.get("text", "")
    if request.POST.get("confirm") != "1":
        try:
            # Only for someone who may post, on a text that could be posted, rate-limited.
            similar = services.opinions_like(
                actor=participant_actor(request.user), municipality=tenant, topic=topic, text=text
            )
        except ApplicationError as exc:
            return _refused(request, tenant, topic, text, exc)
        if similar:
            return render(
                request,
                "forum/similar.html",
                {
                    "topic": topic,
                    "text": text,
                    "similar": similar,
                    **text_limit(),
                    "active": "forum",
                },
            )
    try:
        opinion = services.opinion_post(
            actor=participant_actor(request.user), municipality=tenant, topic=topic, text=text
        )
    except ApplicationError as exc:
        return _refused(request, tenant, topic, text, exc)
    if opinion.state == OpinionState.PENDING:
        messages.info(request, _("Thank you. A moderator will publish your opinion shortly."))
    else:
        messages.success(request, _("Your opinion is published."))
    return _back(request, topic)


def _refused(
    request: HttpRequest, tenant: Municipality, topic: Topic, text: str, exc: ApplicationError
) -> HttpResponse:
    """A refused opinion: the topic's page again with the text as it was sent, never cut,
    and why it was refused next to it. Someone who may not post at all (not logged in,
    not eligible) has nothing to keep: back to the page, which says why."""
    if not request.user.is_authenticated or exc.code in NOT_ABOUT_THE_TEXT:
        messages.error(request, str(exc))
        return _back(request, topic)
    return _topic_response(request, tenant, topic.pk, draft=text, error=str(exc))


def _opinion(request: HttpRequest, tenant: Municipality, opinion_id: int):  # type: ignore[no-untyped-def]
    try:
        return selectors.opinion_get(
            municipality=tenant, opinion_id=opinion_id, moderator=_is_moderator(request, tenant)
        )
    except ApplicationError as exc:
        raise Http404(str(exc)) from exc


@tenant_page(module=Module.PARTICIPATION)
@require_GET
def opinion_page(request: HttpRequest, tenant: Municipality, opinion_id: int) -> HttpResponse:
    return _opinion_response(request, tenant, _opinion(request, tenant, opinion_id))


def _opinion_response(
    request: HttpRequest,
    tenant: Municipality,
    opinion: Opinion,
    *,
    form: str = "",
    draft: str = "",
    error: str = "",
) -> HttpResponse:
    """An opinion's page (its thread); after a refused reply or change (`form`: "reply"
    or "edit") with the text kept and the reason next to its field."""
    topic = opinion.topic
    viewer = selectors.participant_of(municipality=tenant, topic=topic, user=request.user)
    replies = selectors.replies_of(
        municipality=tenant, opinion=opinion, moderator=_is_moderator(request, tenant)
    )
    editable = (
        viewer is not None
        and opinion.participant_id == viewer.pk
        and topic.phase == Phase.OPEN
        and timezone.now() - opinion.created_at < dt.timedelta(minutes=topic.edit_window_minutes)
    )
    my_vote = None
    if viewer is not None:
        my_vote = opinion.votes.filter(participant=viewer).values_list("value", flat=True).first()
    return render(
        request,
        "forum/opinion.html",
        {
            "topic": topic,
            "opinion": opinion,
            "replies": replies,
            "viewer": viewer,
            "my_vote": my_vote,
            "editable": editable,
            "open": topic.phase == Phase.OPEN and not topic.imported,
            "can_vote": topic.phase == Phase.OPEN
            and not topic.imported
            and request.user.is_authenticated
            and (viewer is None or opinion.participant_id != viewer.pk),
            "support_only": topic.vote_mode == VoteMode.SUPPORT_ONLY,
            "name_of": lambda participant: display_name(participant, topic),
            "labels": opinion_labels(),
            "in_list_form": False,
            "form": form,
            "draft": draft,
            "error": error,
            **text_limit(),
            "active": "forum",
        },
        status=400 if error else 200,
    )


@tenant_page(module=Module.PARTICIPATION)
@require_POST
def opinion_act(request: HttpRequest, tenant: Municipality, opinion_id: int) -> HttpResponse:
    opinion = _opinion(request, tenant, opinion_id)
    action = request.POST.get("action", "")
    thread = tenant_reverse(request, "forum:opinion", opinion_id=opinion.pk)
    try:
        actor = participant_actor(request.user)
        where: dict[str, Any] = {"actor": actor, "municipality": tenant}
        if action in services.VOTE_WORDS:
            services.vote_cast(**where, opinion=opinion, value=services.VOTE_WORDS[action])
        elif action == "withdraw":
            services.vote_withdraw(**where, opinion=opinion)
        elif action in ("reply", "edit"):
            return _write_in_thread(request, tenant, opinion, where, action, thread)
        elif action == "report":
            services.opinion_report(**where, opinion=opinion, reason=request.POST.get("reason", ""))
            messages.success(request, _("Thank you: a moderator will look at it."))
        else:
            raise ApplicationError(_("Unknown action."))
    except ApplicationError as exc:
        messages.error(request, str(exc))
    return _back(request, opinion.topic, anchor=f"o{opinion.pk}")


def _write_in_thread(
    request: HttpRequest,
    tenant: Municipality,
    opinion: Opinion,
    where: dict[str, Any],
    action: str,
    thread: str,
) -> HttpResponse:
    """A reply or a change, made on the opinion's page: back to that page (the reply's
    thread, at the new reply), or, when refused, the page again with the text kept."""
    text = request.POST.get("text", "")
    try:
        if action == "reply":
            reply = services.opinion_post(**where, topic=opinion.topic, text=text, parent=opinion)
            if reply.state == OpinionState.PENDING:
                messages.info(request, _("Thank you. A moderator will publish your reply shortly."))
                return HttpResponseRedirect(thread)
            messages.success(request, _("Your reply is published."))
            return HttpResponseRedirect(f"{thread}#r{reply.pk}")
        services.opinion_edit(**where, opinion=opinion, text=text)
        messages.success(request, _("Your opinion was changed."))
        return HttpResponseRedirect(thread)
    except ApplicationError as exc:
        if exc.code in NOT_ABOUT_THE_TEXT:
            messages.error(request, str(exc))
            return HttpResponseRedirect(thread)
        return _opinion_response(request, tenant, opinion, form=action, draft=text, error=str(exc))


@tenant_page(module=Module.PARTICIPATION)
@require_POST
def follow(request: HttpRequest, tenant: Municipality, topic_id: int) -> HttpResponse:
    topic = _topic(request, tenant, topic_id)
    if not request.user.is_authenticated:
        return HttpResponseRedirect(tenant_reverse(request, "identity:login"))
    try:
        actor = participant_actor(request.user)
        if request.POST.get("action") == "unfollow":
            services.unfollow(actor=actor, municipality=tenant, topic=topic)
            messages.success(request, _("You no longer follow this topic."))
        else:
            email = request.POST.get("email", "").strip()
            if not (email or request.user.email):
                messages.error(request, _("Give an e-mail address to receive the news."))
                return _back(request, topic)
            services.follow(
                actor=actor,
                municipality=tenant,
                topic=topic,
                digest=request.POST.get("digest") == "1",
                email=email,
            )
            messages.success(request, _("You follow this topic."))
    except ApplicationError as exc:
        messages.error(request, str(exc))
    return _back(request, topic)


@tenant_page(module=Module.PARTICIPATION)
@require_GET
def results(request: HttpRequest, tenant: Municipality, topic_id: int) -> HttpResponse:
    topic = _topic(request, tenant, topic_id)
    if topic.phase not in (Phase.RESULTS, Phase.CLOSED) and not _is_moderator(request, tenant):
        raise Http404(_("The results are not published yet."))
    return render(
        request,
        "forum/results.html",
        {
            "topic": topic,
            "selections": selectors.selections_of(municipality=tenant, topic=topic),
            "name_of": lambda participant: display_name(participant, topic),
            "active": "forum",
        },
    )


@tenant_page(module=Module.PARTICIPATION)
@require_GET
def attachment(
    request: HttpRequest, tenant: Municipality, topic_id: int, attachment_id: int
) -> HttpResponse:
    topic = _topic(request, tenant, topic_id)
    item = topic.attachments.filter(pk=attachment_id).first()
    if item is None:
        raise Http404(_("No such attachment."))
    response = HttpResponse(bytes(item.data), content_type=item.content_type)
    response["Content-Disposition"] = f'inline; filename="{item.filename}"'
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    return response


@tenant_page(module=Module.PARTICIPATION)
@require_http_methods(["GET", "POST"])
@never_cache
def suggestions(request: HttpRequest, tenant: Municipality) -> HttpResponse:
    if request.method == "POST":
        if not request.user.is_authenticated:
            return HttpResponseRedirect(tenant_reverse(request, "identity:login"))
        try:
            actor = participant_actor(request.user)
            if request.POST.get("action") == "support":
                suggestion = TopicSuggestion.objects.filter(
                    municipality=tenant, pk=id_of(request.POST.get("suggestion"))
                ).first()
                if suggestion is None:
                    raise ApplicationError(_("No such suggestion."))
                services.suggestion_support(actor=actor, municipality=tenant, suggestion=suggestion)
                messages.success(request, _("You support this suggestion."))
            else:
                services.suggestion_create(
                    actor=actor,
                    municipality=tenant,
                    title=request.POST.get("title", ""),
                    description=request.POST.get("description", ""),
                    as_expert=request.POST.get("as_expert") == "1",
                )
                messages.success(request, _("Thank you for your suggestion."))
        except ApplicationError as exc:
            messages.error(request, str(exc))
        return HttpResponseRedirect(request.path)
    return render(
        request,
        "forum/suggestions.html",
        {
            "suggestions": list(selectors.suggestions_of(municipality=tenant)[:100]),
            "active": "forum",
        },
    )
