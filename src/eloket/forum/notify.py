"""E-mails of the forum, sent by the task worker after the change is committed: phase
changes to followers (or into their daily digest), replies to an opinion's author, a
selection to its author, published results to every participant, an adopted suggestion
to its suggester. Each in the person's language."""

import logging
from collections.abc import Iterable, Mapping

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import EmailMessage
from django.tasks import task
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from eloket.tenants.links import municipality_base_url

log = logging.getLogger(__name__)

PHASE_CHANGED = gettext_noop("The topic “%(topic)s” is now: %(phase)s.")
REPLIED = gettext_noop("Someone replied to your opinion in “%(topic)s”.")
SELECTED = gettext_noop("Your opinion in “%(topic)s” was selected as one of the best.")
RESULTS = gettext_noop(
    "The results of “%(topic)s” are published, with what the municipality did with the best opinions."
)
ADOPTED = gettext_noop("Your suggestion “%(title)s” became a topic of %(municipality)s.")


def language_of(user: User, fallback: str) -> str:
    from eloket.identity.models import Citizen

    language = (
        Citizen.objects.filter(user=user).values_list("preferred_language", flat=True).first()
    )
    return language or fallback


def topic_url(topic: object) -> str:
    return f"{municipality_base_url(topic.municipality)}forum/{topic.pk}"  # type: ignore[attr-defined]


def _send(
    user: User, municipality: object, message: str, params: Mapping[str, object], url: str
) -> None:
    if not user.email:
        return
    language = language_of(user, municipality.default_language)  # type: ignore[attr-defined]
    with translation.override(language):
        name = municipality.display_name(language)  # type: ignore[attr-defined]
        text = _(message) % _translated(params)
        body = "\n\n".join([_("Hello,"), text, url, _("Kind regards,") + "\n" + name])
        EmailMessage(
            f"{name}: {text}"[:200], body, settings.DEFAULT_FROM_EMAIL, [user.email]
        ).send()


def _translated(params: Mapping[str, object]) -> dict[str, object]:
    from eloket.forum.models import Phase

    out = dict(params)
    if "phase" in out:
        out["phase"] = Phase(str(out["phase"])).label
    return out


def _topic_title(topic: object, user: User) -> str:
    return topic.text("title", language_of(user, topic.municipality.default_language))  # type: ignore[attr-defined]


@task()
def send_phase_changed(topic_id: int, previous: str) -> None:
    from eloket.forum.models import Follow, PendingNotice, Topic

    topic = Topic.objects.select_related("municipality").get(pk=topic_id)
    for follow in Follow.objects.filter(topic=topic).select_related("user"):
        params = {"topic": _topic_title(topic, follow.user), "phase": topic.phase}
        if follow.digest:
            PendingNotice.objects.create(
                municipality_id=topic.municipality_id,
                follow=follow,
                message=PHASE_CHANGED,
                params=params,
            )
        else:
            _send(follow.user, topic.municipality, PHASE_CHANGED, params, topic_url(topic))


@task()
def send_replied(opinion_id: int) -> None:
    from eloket.forum.models import Follow, Opinion, PendingNotice

    reply = Opinion.objects.select_related("parent__participant__user", "topic__municipality").get(
        pk=opinion_id
    )
    author = reply.parent.participant.user if reply.parent else None
    if author is None or author.pk == reply.participant.user_id:
        return
    follow = Follow.objects.filter(topic=reply.topic, user=author).first()
    if follow is None:
        return
    params = {"topic": _topic_title(reply.topic, author)}
    if follow.digest:
        PendingNotice.objects.create(
            municipality_id=reply.municipality_id, follow=follow, message=REPLIED, params=params
        )
    else:
        _send(author, reply.topic.municipality, REPLIED, params, topic_url(reply.topic))


@task()
def send_selected(selection_id: int) -> None:
    from eloket.forum.models import Selection

    selection = Selection.objects.select_related(
        "opinion__participant__user", "topic__municipality"
    ).get(pk=selection_id)
    author = selection.opinion.participant.user
    if author is not None:
        _send(
            author,
            selection.topic.municipality,
            SELECTED,
            {"topic": _topic_title(selection.topic, author)},
            topic_url(selection.topic),
        )


@task()
def send_results(topic_id: int) -> None:
    from eloket.forum.models import Participant, Topic

    topic = Topic.objects.select_related("municipality").get(pk=topic_id)
    users: Iterable[User] = User.objects.filter(
        pk__in=Participant.objects.filter(topic=topic, user__isnull=False).values("user")
    )
    for user in users:
        _send(
            user,
            topic.municipality,
            RESULTS,
            {"topic": _topic_title(topic, user)},
            topic_url(topic) + "/results",
        )


@task()
def send_adopted(suggestion_id: int, topic_id: int) -> None:
    from eloket.forum.models import Topic, TopicSuggestion

    suggestion = TopicSuggestion.objects.select_related("suggested_by", "municipality").get(
        pk=suggestion_id
    )
    topic = Topic.objects.select_related("municipality").get(pk=topic_id)
    _send(
        suggestion.suggested_by,
        suggestion.municipality,
        ADOPTED,
        {"title": suggestion.title, "municipality": suggestion.municipality.display_name()},
        topic_url(topic),
    )


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
        if user.email and notices:
            language = language_of(user, follow.topic.municipality.default_language)
            with translation.override(language):
                name = follow.topic.municipality.display_name(language)
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
                EmailMessage(
                    _("%(municipality)s: your daily digest") % {"municipality": name},
                    body,
                    settings.DEFAULT_FROM_EMAIL,
                    [user.email],
                ).send()
                sent += 1
        PendingNotice.objects.filter(pk__in=[n.pk for n in notices]).delete()
    return sent


def _enqueue(task_obj: object, *args: object) -> None:
    try:
        task_obj.enqueue(*args)  # type: ignore[attr-defined]
    except Exception:  # a mail queue problem must not undo the change itself
        log.exception("could not queue a forum e-mail")


def phase_changed(topic_id: int, previous: str) -> None:
    _enqueue(send_phase_changed, topic_id, previous)


def replied(opinion_id: int) -> None:
    _enqueue(send_replied, opinion_id)


def selected(selection_id: int) -> None:
    _enqueue(send_selected, selection_id)


def results_published(topic_id: int) -> None:
    _enqueue(send_results, topic_id)


def suggestion_adopted(suggestion_id: int, topic_id: int) -> None:
    _enqueue(send_adopted, suggestion_id, topic_id)
