"""Selecting the best opinions (with an award), the municipality's response to each, and
publishing the results: the topic moves to `results` and every participant is told. An
officer may also ask for the analysis again (the worker computes it)."""

from django.db import transaction
from django.utils.translation import gettext as _

from eloket.audit.services import audit_record
from eloket.common.actors import Actor
from eloket.common.errors import ApplicationError
from eloket.common.permissions import Permission, authorize, same_municipality
from eloket.common.text import refuse_hidden_characters
from eloket.forum.analysis_jobs import analysis_wanted
from eloket.forum.models import Opinion, OpinionState, Phase, ResponseOutcome, Selection, Topic
from eloket.forum.services.topics import topic_set_phase
from eloket.outbox.queue import outbox_put
from eloket.tenants.models import Municipality


def opinion_select(
    *, actor: Actor, municipality: Municipality, opinion: Opinion, award: str = ""
) -> Selection:
    authorize(actor, municipality, Permission.FORUM_MANAGE)
    same_municipality(municipality, opinion)
    refuse_hidden_characters(award)
    if opinion.state != OpinionState.PUBLISHED:
        raise ApplicationError(_("Only a published opinion can be selected."), code="wrong_state")
    with transaction.atomic():
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
        audit_record(
            actor=actor,
            municipality=municipality,
            action="forum.select",
            object_type="opinion",
            object_ref=str(opinion.pk),
            data={"award": selection.award},
        )
        if created:
            outbox_put(
                municipality=municipality,
                kind="forum.notify",
                ref=f"topic:{opinion.topic_id}",
                payload={"event": "selected", "selection": selection.pk},
            )
    return selection


def selection_respond(
    *,
    actor: Actor,
    municipality: Municipality,
    selection: Selection,
    outcome: str,
    response: str,
) -> Selection:
    authorize(actor, municipality, Permission.FORUM_MANAGE)
    same_municipality(municipality, selection)
    if outcome not in ResponseOutcome.values:
        raise ApplicationError(
            _("Say whether it was reflected, partly reflected or not reflected."),
            code="invalid_outcome",
        )
    refuse_hidden_characters(response)
    if not response.strip():
        raise ApplicationError(_("Give the reason, for everyone to read."), code="reason_required")
    with transaction.atomic():
        selection.outcome = outcome
        selection.response = response.strip()
        selection.save(update_fields=["outcome", "response"])
        audit_record(
            actor=actor,
            municipality=municipality,
            action="forum.respond",
            object_type="opinion",
            object_ref=str(selection.opinion_id),
            reason=selection.response,
            data={"outcome": outcome},
        )
    return selection


def results_publish(*, actor: Actor, municipality: Municipality, topic: Topic) -> Topic:
    """Publish the results: every participant with an e-mail address is told."""
    authorize(actor, municipality, Permission.FORUM_MANAGE)
    same_municipality(municipality, topic)
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
    with transaction.atomic():
        topic = topic_set_phase(
            actor=actor, municipality=municipality, topic=topic, phase=Phase.RESULTS
        )
        outbox_put(
            municipality=municipality,
            kind="forum.notify",
            ref=f"topic:{topic.pk}",
            payload={"event": "results", "topic": topic.pk},
        )
    return topic


def analysis_request(*, actor: Actor, municipality: Municipality, topic: Topic) -> bool:
    """An officer asks for the analysis again, now, even with no vote since (the
    register's residents and the page views move too). The worker computes it, not the
    officer's request: a large topic takes seconds, and clicks or scripts must not run
    analyses side by side. True when a run was enqueued; False when one is already due
    or under way (it takes in everything up to its start)."""
    authorize(actor, municipality, Permission.FORUM_MANAGE)
    same_municipality(municipality, topic)
    return analysis_wanted(topic.pk, now=True, force=True)
