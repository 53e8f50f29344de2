"""Officers' forum screens: topics (create, phases), moderation, suggestions, analysis,
selections and results, exports and Polis imports. The services decide."""

import io
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from eloket.common.actors import Actor
from eloket.common.errors import ApplicationError
from eloket.common.forms import id_of, whole_number
from eloket.common.nocache import never_cache
from eloket.common.spreadsheet import csv_writer
from eloket.common.uploads import upload_limit
from eloket.forum import charts, selectors, services
from eloket.forum.display import display_name
from eloket.forum.interchange import POLIS_UPLOAD_HINT, export_zip, import_polis_upload
from eloket.forum.models import (
    Analysis,
    Award,
    IdentityDisplay,
    Opinion,
    Participant,
    Phase,
    ResponseOutcome,
    Selection,
    TopicSuggestion,
    VoteMode,
)
from eloket.identity.access import officer_page
from eloket.tenants.links import tenant_reverse
from eloket.tenants.models import Module, Municipality


def _topic(tenant: Municipality, topic_id: int):  # type: ignore[no-untyped-def]
    try:
        return selectors.topic_get(municipality=tenant, topic_id=topic_id, include_drafts=True)
    except ApplicationError as exc:
        raise Http404(str(exc)) from exc


def _moment(value: str):  # type: ignore[no-untyped-def]
    """The start of a day typed as 2027-03-01; a clear error for a day that does not exist."""
    import datetime as dt

    from django.utils import timezone

    try:
        day = parse_date(value or "")
    except ValueError:
        day = dt.date.min
    if day is None and not (value or "").strip():
        return None
    if day is None or day.year < 2000:
        raise ApplicationError(_("Give a date like 2027-03-01."), code="not_a_date")
    return timezone.make_aware(dt.datetime.combine(day, dt.time(0, 0)))


@officer_page(module=Module.PARTICIPATION)
@upload_limit("ELOKET_POLIS_UPLOAD_MAX_BYTES", POLIS_UPLOAD_HINT)
@require_http_methods(["GET", "POST"])
@never_cache
def forum_home(request: HttpRequest, tenant: Municipality, actor: Actor) -> HttpResponse:
    if request.method == "POST":
        try:
            if request.POST.get("action") == "adopt":
                suggestion = TopicSuggestion.objects.filter(
                    municipality=tenant, pk=id_of(request.POST.get("suggestion"))
                ).first()
                if suggestion is None:
                    raise ApplicationError(_("No such suggestion."))
                topic = services.suggestion_adopt(
                    actor=actor, municipality=tenant, suggestion=suggestion
                )
            elif request.POST.get("action") == "import":
                # Whole: the upload handler refused more than ELOKET_POLIS_UPLOAD_MAX_BYTES.
                files = {f.name or "file.csv": f.read() for f in request.FILES.getlist("files")}
                if not files:
                    raise ApplicationError(_("Choose the files of a Polis export."))
                topic = import_polis_upload(
                    actor=actor,
                    municipality=tenant,
                    files=files,
                    title=request.POST.get("title", ""),
                )
            else:
                topic = services.topic_create(
                    actor=actor,
                    municipality=tenant,
                    title={
                        code: request.POST.get(f"title_{code}", "") for code in tenant.languages
                    },
                    summary={
                        code: request.POST.get(f"summary_{code}", "") for code in tenant.languages
                    },
                    background={
                        code: request.POST.get(f"background_{code}", "")
                        for code in tenant.languages
                    },
                    department=request.POST.get("department", ""),
                    opens_at=_moment(request.POST.get("opens_at", "")),
                    closes_at=_moment(request.POST.get("closes_at", "")),
                    vote_mode=request.POST.get("vote_mode", VoteMode.AGREE_DISAGREE_PASS),
                    identity_display=request.POST.get(
                        "identity_display", IdentityDisplay.PSEUDONYM
                    ),
                    min_age=whole_number(request.POST.get("min_age"), default=16),
                    pre_moderation=request.POST.get("pre_moderation") == "1",
                )
            return HttpResponseRedirect(
                tenant_reverse(request, "backoffice:forum-topic", topic_id=topic.pk)
            )
        except ApplicationError as exc:
            messages.error(request, str(exc))
            return HttpResponseRedirect(request.path)
    return render(
        request,
        "backoffice/forum.html",
        {
            "topics": list(selectors.topics_of(municipality=tenant, include_drafts=True)),
            "suggestions": list(
                selectors.suggestions_of(municipality=tenant).filter(status="open")[:50]
            ),
            "vote_modes": VoteMode.choices,
            "identity_displays": IdentityDisplay.choices,
            "active": "backoffice",
        },
    )


@officer_page(module=Module.PARTICIPATION)
@require_GET
@never_cache
def forum_topic(
    request: HttpRequest, tenant: Municipality, actor: Actor, topic_id: int
) -> HttpResponse:
    topic = _topic(tenant, topic_id)
    top = list(
        Opinion.objects.filter(topic=topic, state="published")
        .select_related("participant")
        .order_by("-agree", "pk")[:30]
    )
    return render(
        request,
        "backoffice/forum_topic.html",
        {
            "topic": topic,
            "phases": Phase.choices,
            "queue": list(selectors.moderation_queue(municipality=tenant, topic=topic)[:100]),
            "top": top,
            "selections": selectors.selections_of(municipality=tenant, topic=topic),
            "selected_ids": set(
                Selection.objects.filter(topic=topic).values_list("opinion_id", flat=True)
            ),
            "outcomes": ResponseOutcome.choices,
            "awards": Award.choices,
            "name_of": lambda participant: display_name(participant, topic),
            "active": "backoffice",
        },
    )


@officer_page(module=Module.PARTICIPATION)
@require_POST
def forum_act(
    request: HttpRequest, tenant: Municipality, actor: Actor, topic_id: int
) -> HttpResponse:
    topic = _topic(tenant, topic_id)
    action = request.POST.get("action", "")
    reason = request.POST.get("reason", "")
    where: dict[str, Any] = {"actor": actor, "municipality": tenant}
    try:
        if action == "phase":
            services.topic_set_phase(**where, topic=topic, phase=request.POST.get("phase", ""))
        elif action in services.MODERATION_ACTIONS:
            opinion = Opinion.objects.get(topic=topic, pk=id_of(request.POST.get("opinion")))
            services.opinion_moderate(**where, opinion=opinion, action=action, reason=reason)
        elif action in ("block", "unblock"):
            participant = Participant.objects.get(
                topic=topic, pk=id_of(request.POST.get("participant"))
            )
            services.participant_block(
                **where, participant=participant, reason=reason, blocked=action == "block"
            )
        elif action == "select":
            opinion = Opinion.objects.get(topic=topic, pk=id_of(request.POST.get("opinion")))
            # One of the usual awards (named in each reader's language), or the officer's
            # own words (read as written).
            award = request.POST.get("award_own", "").strip() or request.POST.get("award", "")
            services.opinion_select(**where, opinion=opinion, award=award)
        elif action == "respond":
            selection = Selection.objects.get(topic=topic, pk=id_of(request.POST.get("selection")))
            services.selection_respond(
                **where,
                selection=selection,
                outcome=request.POST.get("outcome", ""),
                response=request.POST.get("response", ""),
            )
        elif action == "publish":
            services.results_publish(**where, topic=topic)
        elif action == "analyse":
            # Enqueued, not computed here (forum/services/results.analysis_request).
            if services.analysis_request(**where, topic=topic):
                messages.success(
                    request,
                    _("The analysis is being computed. Reload this page in a moment to see it."),
                )
            else:
                messages.info(
                    request,
                    _(
                        "An analysis is already being computed; it takes in every vote up "
                        "to its start."
                    ),
                )
            return HttpResponseRedirect(
                tenant_reverse(request, "backoffice:forum-analysis", topic_id=topic.pk)
            )
        else:
            raise ApplicationError(_("Unknown action."))
        messages.success(request, _("Done."))
    except (
        ApplicationError,
        Opinion.DoesNotExist,
        Participant.DoesNotExist,
        Selection.DoesNotExist,
    ) as exc:
        messages.error(request, str(exc) if isinstance(exc, ApplicationError) else _("Not found."))
    return HttpResponseRedirect(
        tenant_reverse(request, "backoffice:forum-topic", topic_id=topic.pk)
    )


def group_name(group: int) -> str:
    return _("Group %(letter)s") % {"letter": GROUP_LETTERS[group % len(GROUP_LETTERS)]}


GROUP_LETTERS = "ABCDE"  # groups.K_RANGE: at most five


def analysis_charts(analysis: Analysis) -> dict[str, Any]:
    result = analysis.result
    days = result.get("timeline", [])
    labels = [d["day"] for d in days]
    demographics = result.get("demographics", {})
    return {
        "timeline": charts.line_chart(
            {
                _("opinions"): [d["opinions"] for d in days],
                _("supports"): [d["supports"] for d in days],
                _("new participants"): [d["participants"] for d in days],
                _("page views"): [d["views"] for d in days],
            },
            labels,
            title=_("Participation per day"),
        ),
        "groups": charts.scatter(
            result.get("projection", []),
            title=_("Participants by their votes, coloured by opinion group"),
            # The names the page's sections give the groups (forum_analysis.html).
            groups=[group_name(group["id"]) for group in result.get("groups", [])],
        ),
        "by_age": charts.bars(
            [(row["group"], row["rate"]) for row in demographics.get("by_age", [])],
            title=_("Share of residents who took part, by age"),
        ),
        "by_district": charts.bars(
            [(row["group"], row["rate"]) for row in demographics.get("by_district", [])],
            title=_("Share of residents who took part, by district"),
        ),
    }


@officer_page(module=Module.PARTICIPATION)
@require_GET
@never_cache
def forum_analysis(
    request: HttpRequest, tenant: Municipality, actor: Actor, topic_id: int
) -> HttpResponse:
    # The worker's last result, never one computed here (forum/analysis_jobs.py).
    topic = _topic(tenant, topic_id)
    shown = selectors.analysis_shown(municipality=tenant, topic=topic)
    analysis = shown.analysis
    return render(
        request,
        "backoffice/forum_analysis.html",
        {
            "topic": topic,
            "shown": shown,
            "analysis": analysis,
            "result": analysis.result if analysis is not None else None,
            "charts": analysis_charts(analysis) if analysis is not None else None,
            "active": "backoffice",
        },
    )


@officer_page(module=Module.PARTICIPATION)
@require_GET
def forum_export(
    request: HttpRequest, tenant: Municipality, actor: Actor, topic_id: int
) -> HttpResponse:
    topic = _topic(tenant, topic_id)
    if request.GET.get("format") == "polis":
        response = HttpResponse(export_zip(topic), content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="topic-{topic.pk}-polis.zip"'
        return response
    out = io.StringIO()
    writer = csv_writer(out)  # escaped: officers open it in a spreadsheet
    writer.writerow(
        [
            "opinion",
            "participant",
            "created_at",
            "state",
            "agree",
            "disagree",
            "pass",
            "reply_to",
            "text",
        ]
    )
    for o in (
        Opinion.objects.filter(topic=topic)
        .select_related("participant")
        .order_by("pk")
        .iterator(chunk_size=2000)
    ):
        writer.writerow(
            [
                o.pk,
                o.participant.external_id or o.participant.pseudonym,
                o.created_at.isoformat(),
                o.state,
                o.agree,
                o.disagree,
                o.passed,
                o.parent_id or "",
                o.text,
            ]
        )
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="topic-{topic.pk}-opinions.csv"'
    return response
