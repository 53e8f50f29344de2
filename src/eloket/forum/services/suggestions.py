"""Topic suggestions: residents suggest what the municipality should ask about and
support each other's suggestions; an officer adopts one as a draft topic."""

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from eloket.audit.services import audit_record
from eloket.common.actors import Actor
from eloket.common.errors import ApplicationError
from eloket.common.permissions import Permission, authorize, same_municipality
from eloket.common.text import refuse_hidden_characters
from eloket.forum.models import SuggestionStatus, SuggestionSupport, Topic, TopicSuggestion
from eloket.forum.services.topics import topic_create
from eloket.outbox.queue import outbox_put
from eloket.tenants.models import Module, Municipality
from eloket.tenants.modules import module_check


def suggestion_create(
    *, actor: Actor, municipality: Municipality, title: str, description: str, as_expert: bool
) -> TopicSuggestion:
    module_check(municipality, Module.PARTICIPATION)
    authorize(actor, municipality, Permission.PARTICIPATE)
    title, description = title.strip(), description.strip()
    refuse_hidden_characters(title, description)
    if not title or not description:
        raise ApplicationError(_("Give a title and say what the topic is about."), code="invalid")
    if len(title) > 200 or len(description) > 4000:
        raise ApplicationError(_("Keep it shorter."), code="too_long")
    return TopicSuggestion.objects.create(
        municipality=municipality,
        title=title,
        description=description,
        suggested_by_id=actor.user_pk,
        as_expert=as_expert,
    )


def suggestion_support(
    *, actor: Actor, municipality: Municipality, suggestion: TopicSuggestion
) -> TopicSuggestion:
    module_check(municipality, Module.PARTICIPATION)
    authorize(actor, municipality, Permission.PARTICIPATE)
    same_municipality(municipality, suggestion)
    try:
        with transaction.atomic():
            SuggestionSupport.objects.create(
                municipality_id=suggestion.municipality_id,
                suggestion=suggestion,
                user_id=actor.user_pk,
            )
            TopicSuggestion.objects.filter(pk=suggestion.pk).update(supports=F("supports") + 1)
    except IntegrityError:
        raise ApplicationError(
            _("You already support this suggestion."), code="already_supported"
        ) from None
    suggestion.refresh_from_db()
    return suggestion


def suggestion_adopt(
    *, actor: Actor, municipality: Municipality, suggestion: TopicSuggestion
) -> Topic:
    """Turn a suggestion into a draft topic; the suggester is told."""
    authorize(actor, municipality, Permission.FORUM_MANAGE)
    same_municipality(municipality, suggestion)
    if suggestion.status != SuggestionStatus.OPEN:
        raise ApplicationError(_("This suggestion was already handled."), code="wrong_state")
    with transaction.atomic():
        language = municipality.default_language
        topic = topic_create(
            actor=actor,
            municipality=municipality,
            title={language: suggestion.title},
            summary={language: suggestion.description[:500]},
            background={language: suggestion.description},
            suggestion=suggestion,
        )
        suggestion.status = SuggestionStatus.ADOPTED
        suggestion.save(update_fields=["status", "updated_at"])
        audit_record(
            actor=actor,
            municipality=municipality,
            action="forum.adopt",
            object_type="suggestion",
            object_ref=str(suggestion.pk),
            data={"topic": topic.pk},
        )
        outbox_put(
            municipality=municipality,
            kind="forum.notify",
            ref=f"topic:{topic.pk}",
            payload={"event": "adopted", "suggestion": suggestion.pk, "topic": topic.pk},
        )
    return topic
