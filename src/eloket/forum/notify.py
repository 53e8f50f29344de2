"""E-mails of the forum, through the outbox: a change (a phase, a reply, a selection,
published results, an adopted suggestion) puts one `forum.notify` message in the outbox in
its own transaction; delivering it writes one e-mail per person (or, for followers who
asked for a daily digest, a notice for their next digest). Each in the person's language.
The daily digest is a periodic job."""

import datetime as dt
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib.auth.models import User
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from eloket.common.actors import Actor
from eloket.common.schedule import PeriodicJob, periodic_jobs
from eloket.identity.selectors import preferred_language
from eloket.outbox.email import email_put
from eloket.outbox.kinds import OutboxKind, outbox_kinds
from eloket.outbox.models import OutboxMessage
from eloket.tenants.links import municipality_base_url
from eloket.tenants.models import Module
from eloket.tenants.modules import module_on

log = logging.getLogger(__name__)

PHASE_CHANGED = gettext_noop("The topic “%(topic)s” is now: %(phase)s.")
REPLIED = gettext_noop("Someone replied to your opinion in “%(topic)s”.")
SELECTED = gettext_noop("Your opinion in “%(topic)s” was selected as one of the best.")
RESULTS = gettext_noop(
    "The results of “%(topic)s” are published, with what the municipality did with the best opinions."
)
ADOPTED = gettext_noop("Your suggestion “%(title)s” became a topic of %(municipality)s.")
DIGEST_HOUR = 7


def topic_url(topic: Any) -> str:
    return f"{municipality_base_url(topic.municipality)}forum/{topic.pk}"


def _translated(params: Mapping[str, object]) -> dict[str, object]:
    from eloket.forum.models import Phase

    out = dict(params)
    if "phase" in out:
        out["phase"] = Phase(str(out["phase"])).label
    return out


def _topic_title(topic: Any, user: User) -> str:
    return str(
        topic.text("title", preferred_language(user.pk, topic.municipality.default_language))
    )


def _send(
    user: User, municipality: Any, message: str, params: Mapping[str, object], url: str
) -> None:
    if not user.email:
        return
    language = preferred_language(user.pk, municipality.default_language)
    with translation.override(language):
        name = municipality.display_name(language)
        text = _(message) % _translated(params)
        body = "\n\n".join([_("Hello,"), text, url, _("Kind regards,") + "\n" + name])
        email_put(
            municipality=municipality, to=user.email, subject=f"{name}: {text}"[:200], body=body
        )


def _notice_or_send(follow: Any, message: str, params: Mapping[str, object], url: str) -> None:
    from eloket.forum.models import PendingNotice

    if follow.digest:
        PendingNotice.objects.create(
            municipality_id=follow.municipality_id, follow=follow, message=message, params=params
        )
    else:
        _send(follow.user, follow.topic.municipality, message, params, url)


def phase_changed(topic_id: int) -> None:
    from eloket.forum.models import Follow, Topic

    topic = Topic.objects.select_related("municipality").get(pk=topic_id)
    for follow in Follow.objects.filter(topic=topic).select_related("user", "topic__municipality"):
        params = {"topic": _topic_title(topic, follow.user), "phase": topic.phase}
        _notice_or_send(follow, PHASE_CHANGED, params, topic_url(topic))


def replied(opinion_id: int) -> None:
    from eloket.forum.models import Follow, Opinion

    reply = Opinion.objects.select_related("parent__participant__user", "topic__municipality").get(
        pk=opinion_id
    )
    author = reply.parent.participant.user if reply.parent else None
    if author is None or author.pk == reply.participant.user_id:
        return
    follow = (
        Follow.objects.filter(topic=reply.topic, user=author)
        .select_related("user", "topic__municipality")
        .first()
    )
    if follow is not None:
        params = {"topic": _topic_title(reply.topic, author)}
        _notice_or_send(follow, REPLIED, params, topic_url(reply.topic))


def selected(selection_id: int) -> None:
    from eloket.forum.models import Selection

    selection = Selection.objects.select_related(
        "opinion__participant__user", "topic__municipality"
    ).get(pk=selection_id)
    author = selection.opinion.participant.user
    if author is not None:
        params = {"topic": _topic_title(selection.topic, author)}
        _send(author, selection.topic.municipality, SELECTED, params, topic_url(selection.topic))


def results_published(topic_id: int) -> None:
    from eloket.forum.models import Participant, Topic

    topic = Topic.objects.select_related("municipality").get(pk=topic_id)
    users: Iterable[User] = User.objects.filter(
        pk__in=Participant.objects.filter(topic=topic, user__isnull=False).values("user")
    )
    url = topic_url(topic) + "/results"
    for user in users:
        _send(user, topic.municipality, RESULTS, {"topic": _topic_title(topic, user)}, url)


def suggestion_adopted(suggestion_id: int, topic_id: int) -> None:
    from eloket.forum.models import Topic, TopicSuggestion

    suggestion = TopicSuggestion.objects.select_related("suggested_by", "municipality").get(
        pk=suggestion_id
    )
    topic = Topic.objects.select_related("municipality").get(pk=topic_id)
    params = {"title": suggestion.title, "municipality": suggestion.municipality.display_name()}
    _send(suggestion.suggested_by, suggestion.municipality, ADOPTED, params, topic_url(topic))


@outbox_kinds.register("forum.notify")
class ForumNotify(OutboxKind):
    verbose_name = "forum e-mails"
    transactional = True

    def deliver(self, message: OutboxMessage) -> None:
        payload = message.payload
        event = payload["event"]
        if event == "phase_changed":
            phase_changed(payload["topic"])
        elif event == "replied":
            replied(payload["opinion"])
        elif event == "selected":
            selected(payload["selection"])
        elif event == "results":
            results_published(payload["topic"])
        elif event == "adopted":
            suggestion_adopted(payload["suggestion"], payload["topic"])
        else:
            raise ValueError(f"unknown forum event {event!r}")


def send_digests() -> int:
    """One e-mail per follower with news waiting (run daily)."""
    from eloket.forum.models import Follow, PendingNotice

    sent = 0
    follows = (
        Follow.objects.filter(pending__isnull=False)
        .distinct()
        .select_related("user", "topic__municipality")
    )
    for follow in follows:
        notices = list(PendingNotice.objects.filter(follow=follow).order_by("created_at"))
        user = follow.user
        municipality = follow.topic.municipality
        # A forum switched off sends no news: its notices are dropped with the rest.
        if user.email and notices and module_on(municipality, Module.PARTICIPATION):
            language = preferred_language(user.pk, municipality.default_language)
            with translation.override(language):
                name = municipality.display_name(language)
                lines = [f"- {_(n.message) % _translated(n.params)}" for n in notices]
                body = "\n\n".join(
                    [
                        _("Hello,"),
                        _("News of the topics you follow:"),
                        "\n".join(lines),
                        topic_url(follow.topic),
                        _("Kind regards,") + "\n" + name,
                    ]
                )
                email_put(
                    municipality=municipality,
                    to=user.email,
                    subject=_("%(municipality)s: your daily digest") % {"municipality": name},
                    body=body,
                )
                sent += 1
        PendingNotice.objects.filter(pk__in=[n.pk for n in notices]).delete()
    return sent


@periodic_jobs.register("digests")
class DailyDigests(PeriodicJob):
    verbose_name = "the forum's daily digests"
    daily_after_hour = DIGEST_HOUR

    def run(self, now: dt.datetime) -> int:
        return send_digests()


@periodic_jobs.register("topics_moved")
class AdvanceTopics(PeriodicJob):
    verbose_name = "open and close topics on their dates"

    def run(self, now: dt.datetime) -> int:
        from eloket.forum.models import Phase, Topic
        from eloket.forum.services.topics import topics_advance_on_schedule
        from eloket.tenants.models import Municipality

        due = Topic.objects.filter(phase__in=[Phase.DRAFT, Phase.OPEN, Phase.RESULTS]).values(
            "municipality"
        )
        return sum(
            topics_advance_on_schedule(
                actor=Actor.system("Eloket", municipality), municipality=municipality, now=now
            )
            for municipality in Municipality.objects.filter(pk__in=due)
            if module_on(municipality, Module.PARTICIPATION)
        )
