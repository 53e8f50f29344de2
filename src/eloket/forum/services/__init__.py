"""Writes of the forum, one module per concern: `topics` (creation, phases),
`participation` (participants, opinions, votes, follows), `moderation`, `suggestions`,
`results` (selections, responses, publishing). Every service takes the acting `actor`
and the municipality, and checks the actor's right there before it writes."""

from eloket.forum.services.moderation import (
    MODERATION_ACTIONS,
    opinion_moderate,
    opinion_report,
    participant_block,
)
from eloket.forum.services.participation import (
    OPINIONS_PER_10_MINUTES,
    SIMILAR_CHECKS_PER_10_MINUTES,
    VOTE_WORDS,
    VOTES_PER_MINUTE,
    follow,
    opinion_edit,
    opinion_post,
    opinions_like,
    participant_for,
    unfollow,
    vote_cast,
    vote_withdraw,
)
from eloket.forum.services.results import (
    analysis_request,
    opinion_select,
    results_publish,
    selection_respond,
)
from eloket.forum.services.suggestions import (
    suggestion_adopt,
    suggestion_create,
    suggestion_support,
)
from eloket.forum.services.topics import (
    topic_add_expert,
    topic_attach,
    topic_create,
    topic_set_phase,
    topics_advance_on_schedule,
)

__all__ = [
    "MODERATION_ACTIONS",
    "OPINIONS_PER_10_MINUTES",
    "SIMILAR_CHECKS_PER_10_MINUTES",
    "VOTES_PER_MINUTE",
    "VOTE_WORDS",
    "analysis_request",
    "follow",
    "opinion_edit",
    "opinion_moderate",
    "opinion_post",
    "opinion_report",
    "opinion_select",
    "opinions_like",
    "participant_block",
    "participant_for",
    "results_publish",
    "selection_respond",
    "suggestion_adopt",
    "suggestion_create",
    "suggestion_support",
    "topic_add_expert",
    "topic_attach",
    "topic_create",
    "topic_set_phase",
    "topics_advance_on_schedule",
    "unfollow",
    "vote_cast",
    "vote_withdraw",
]
