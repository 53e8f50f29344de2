"""The policy forum: topics with phases, background and expert opinions; opinions, one
level of replies and votes by verified residents; moderation; awards and the
municipality's response; analyses. Modelled on Seoul's Cyber Policy Forum."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from eloket.common.models import ActedBy, AppendOnlyModel, TenantOwnedModel, TimeStampedModel


class Phase(models.TextChoices):
    DRAFT = "draft", _("draft")
    OPEN = "open", _("open for opinions")
    ANALYSIS = "analysis", _("analysis")
    RESULTS = "results", _("results published")
    CLOSED = "closed", _("closed")


PHASE_ORDER = [Phase.DRAFT, Phase.OPEN, Phase.ANALYSIS, Phase.RESULTS, Phase.CLOSED]


class VoteMode(models.TextChoices):
    AGREE_DISAGREE_PASS = "agree_disagree_pass", _("agree, disagree or pass")
    SUPPORT_ONLY = "support_only", _("support only")


class IdentityDisplay(models.TextChoices):
    REAL_NAME = "real_name", _("real names")
    PSEUDONYM = "pseudonym", _("pseudonyms (stable within the topic)")


class Topic(TenantOwnedModel, TimeStampedModel):
    """A policy question put to residents. Texts are kept per language code."""

    title = models.JSONField(help_text="Per language, e.g. {'nl': '...'}")
    summary = models.JSONField(default=dict, blank=True)
    background = models.JSONField(default=dict, blank=True, help_text="Markdown per language.")
    background_html = models.JSONField(default=dict, blank=True, editable=False)
    department = models.CharField(max_length=200, blank=True)
    phase = models.CharField(max_length=10, choices=Phase.choices, default=Phase.DRAFT)
    opens_at = models.DateTimeField(null=True, blank=True)
    closes_at = models.DateTimeField(null=True, blank=True)
    results_at = models.DateTimeField(null=True, blank=True, help_text="Results due.")
    ends_at = models.DateTimeField(null=True, blank=True, help_text="Closed for good.")
    vote_mode = models.CharField(
        max_length=20, choices=VoteMode.choices, default=VoteMode.AGREE_DISAGREE_PASS
    )
    identity_display = models.CharField(
        max_length=10, choices=IdentityDisplay.choices, default=IdentityDisplay.PSEUDONYM
    )
    min_age = models.PositiveSmallIntegerField(default=16)
    pre_moderation = models.BooleanField(default=False)
    auto_hide_reports = models.PositiveSmallIntegerField(
        default=3, help_text="Reports that hide an opinion until a moderator decides."
    )
    edit_window_minutes = models.PositiveSmallIntegerField(default=15)
    # Counters kept with each write, so that pages never count rows.
    opinion_count = models.PositiveIntegerField(default=0)
    vote_count = models.PositiveIntegerField(default=0)
    participant_count = models.PositiveIntegerField(default=0)
    # The analysis is the worker's (forum/analysis_jobs.py), never a request's: every
    # change of what it reads (a vote, an opinion, a moderator's decision) counts one in
    # `data_version`, and the first change after a run sets `analysis_due_at`, when one
    # run will take in all changes since. `analysed_version` is the data_version the
    # stored analysis saw: lower than data_version means it is stale.
    data_version = models.PositiveIntegerField(default=0)
    analysed_version = models.PositiveIntegerField(default=0)
    analysis_due_at = models.DateTimeField(null=True, blank=True)
    # Imported from elsewhere (Polis): closed, participants unverified.
    source = models.CharField(max_length=300, blank=True)
    suggestion = models.ForeignKey(
        "TopicSuggestion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-opens_at", "-created_at"]
        indexes = [models.Index(fields=["municipality", "phase"])]

    def __str__(self) -> str:
        return self.text("title")

    def text(self, field: str, language: str | None = None) -> str:
        values: dict[str, str] = getattr(self, field) or {}
        if language and values.get(language):
            return values[language]
        for code in self.municipality.languages if self.municipality_id else []:
            if values.get(code):
                return values[code]
        return next((v for v in values.values() if v), "")

    @property
    def is_open(self) -> bool:
        return self.phase == Phase.OPEN

    @property
    def imported(self) -> bool:
        return bool(self.source)


class Attachment(TenantOwnedModel):
    """A plan, a PDF or an image, kept in the database like logos (stateless web nodes)."""

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="attachments")
    title = models.CharField(max_length=200)
    filename = models.CharField(max_length=200)
    content_type = models.CharField(max_length=80)
    data = models.BinaryField()
    size = models.PositiveIntegerField(default=0)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.title


class ExpertOpinion(TenantOwnedModel):
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="experts")
    name = models.CharField(max_length=200)
    role = models.CharField(max_length=200)
    statement = models.JSONField(help_text="Per language.")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.role})"


class Participant(TenantOwnedModel):
    """Someone taking part in one topic. Votes and opinions point here, not at the user:
    a participant is a different id in every topic, shown by real name or by a pseudonym
    derived with a keyed hash from the topic and the person."""

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The register person, for eligibility and statistics (never shown).
    person_id_ref = models.BigIntegerField(null=True, blank=True)
    display_name = models.CharField(max_length=200)
    pseudonym = models.CharField(max_length=40)
    verified = models.BooleanField(default=True)
    external_id = models.CharField(max_length=64, blank=True, help_text="Polis voter id")
    blocked = models.BooleanField(default=False)
    blocked_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["topic", "user"], condition=Q(user__isnull=False), name="participant_once"
            ),
            models.UniqueConstraint(
                fields=["topic", "external_id"],
                condition=~Q(external_id=""),
                name="participant_external_once",
            ),
        ]

    def __str__(self) -> str:
        return self.pseudonym


class OpinionState(models.TextChoices):
    PUBLISHED = "published", _("published")
    PENDING = "pending", _("waiting for moderation")
    HIDDEN = "hidden", _("hidden by a moderator")
    REPORTED = "reported", _("hidden after reports, waiting for a moderator")


class Opinion(TenantOwnedModel):
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="opinions")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="opinions")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies"
    )
    text = models.TextField()
    created_at = models.DateTimeField()
    edited_at = models.DateTimeField(null=True, blank=True)
    state = models.CharField(
        max_length=10, choices=OpinionState.choices, default=OpinionState.PUBLISHED
    )
    moderation_reason = models.CharField(max_length=300, blank=True, help_text="Shown publicly.")
    agree = models.PositiveIntegerField(default=0)
    disagree = models.PositiveIntegerField(default=0)
    passed = models.PositiveIntegerField(default=0)
    reports = models.PositiveSmallIntegerField(default=0)
    external_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["topic", "state", "-created_at", "-id"]),
            models.Index(fields=["topic", "state", "-agree", "-id"]),
        ]

    def __str__(self) -> str:
        return self.text[:60]

    @property
    def visible(self) -> bool:
        return self.state == OpinionState.PUBLISHED


class VoteValue(models.IntegerChoices):
    AGREE = 1, _("agree")
    DISAGREE = -1, _("disagree")
    PASS = 0, _("pass")


class Vote(TenantOwnedModel):
    opinion = models.ForeignKey(Opinion, on_delete=models.CASCADE, related_name="votes")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="votes")
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="+")
    value = models.SmallIntegerField(choices=VoteValue.choices)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["opinion", "participant"], name="one_vote_per_opinion")
        ]
        indexes = [models.Index(fields=["topic", "participant"])]

    def __str__(self) -> str:
        return f"{self.participant_id} {self.value:+d} on {self.opinion_id}"


class Report(TenantOwnedModel):
    opinion = models.ForeignKey(Opinion, on_delete=models.CASCADE, related_name="report_rows")
    reporter = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["opinion", "reporter"], name="report_once")]

    def __str__(self) -> str:
        return self.reason


class ModerationAction(TenantOwnedModel, AppendOnlyModel):
    """What a moderator did, and why (the public reason is also on the opinion)."""

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="+")
    opinion = models.ForeignKey(Opinion, null=True, on_delete=models.CASCADE, related_name="+")
    participant = models.ForeignKey(
        Participant, null=True, on_delete=models.CASCADE, related_name="+"
    )
    action = models.CharField(max_length=20)
    reason = models.CharField(max_length=300)
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.action}: {self.reason}"


class Follow(TenantOwnedModel):
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="followers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    digest = models.BooleanField(default=False, help_text="One e-mail a day instead of each.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["topic", "user"], name="follow_once")]

    def __str__(self) -> str:
        return f"{self.user_id} follows {self.topic_id}"


class PendingNotice(TenantOwnedModel):
    """News for a follower who asked for a daily digest, waiting for the next one."""

    follow = models.ForeignKey(Follow, on_delete=models.CASCADE, related_name="pending")
    message = models.CharField(max_length=300)
    params = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.message


class SuggestionStatus(models.TextChoices):
    OPEN = "open", _("open")
    ADOPTED = "adopted", _("turned into a topic")
    DECLINED = "declined", _("declined")


class TopicSuggestion(TenantOwnedModel, TimeStampedModel):
    title = models.CharField(max_length=200)
    description = models.TextField()
    suggested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    as_expert = models.BooleanField(default=False)
    status = models.CharField(
        max_length=10, choices=SuggestionStatus.choices, default=SuggestionStatus.OPEN
    )
    supports = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-supports", "-created_at"]

    def __str__(self) -> str:
        return self.title


class SuggestionSupport(TenantOwnedModel):
    suggestion = models.ForeignKey(TopicSuggestion, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["suggestion", "user"], name="support_once")]


class ResponseOutcome(models.TextChoices):
    REFLECTED = "reflected", _("reflected in the policy")
    PARTLY = "partly", _("partly reflected")
    NOT_REFLECTED = "not_reflected", _("not reflected")


class Award(models.TextChoices):
    """The usual awards, named in each reader's language; an officer may also write an
    award of their own (kept as written)."""

    BEST = "best", _("Best opinion")
    EXCELLENT = "excellent", _("Excellent opinion")
    HONOURABLE = "honourable", _("Honourable mention")


class Selection(TenantOwnedModel):
    """A best opinion: its award (one of `Award`, or an officer's own words) and the
    municipality's response to it."""

    opinion = models.OneToOneField(Opinion, on_delete=models.CASCADE, related_name="selection")
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="selections")
    award = models.CharField(max_length=200, blank=True)
    outcome = models.CharField(max_length=20, choices=ResponseOutcome.choices, blank=True)
    response = models.TextField(blank=True)
    selected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    selected_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.award_name or str(self.opinion_id)

    @property
    def award_name(self) -> str:
        """The award in the reader's language when it is one of the usual ones."""
        if self.award in Award.values:
            return str(Award(self.award).label)
        return self.award


class DailyCount(TenantOwnedModel):
    """Page views per topic and day (written in batches, see forum/views.py)."""

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    views = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["topic", "day"], name="daily_count_once")]


class Analysis(TenantOwnedModel):
    """An analysis of a topic, computed by the worker from its votes and opinions; the
    one with the highest `data_version` is what every page and the API show."""

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="analyses")
    computed_at = models.DateTimeField(auto_now_add=True)
    data_version = models.PositiveIntegerField(
        default=0, help_text="The topic's data_version when read: a later change makes it stale."
    )
    vote_count = models.PositiveIntegerField(help_text="Votes when computed.")
    opinion_count = models.PositiveIntegerField()
    duration_ms = models.PositiveIntegerField(default=0)
    result = models.JSONField()

    class Meta:
        ordering = ["-data_version", "-computed_at", "-id"]
        indexes = [models.Index(fields=["topic", "-data_version", "-computed_at", "-id"])]

    def __str__(self) -> str:
        return f"analysis of {self.topic_id} at {self.computed_at:%Y-%m-%d %H:%M}"


class TopicPhaseChange(TenantOwnedModel, AppendOnlyModel, ActedBy):
    """One move of a topic from one phase to the next: by whom (an officer, or the
    schedule), when. Append-only."""

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="phase_history")
    at = models.DateTimeField()
    from_phase = models.CharField(max_length=10, choices=Phase.choices)
    to_phase = models.CharField(max_length=10, choices=Phase.choices)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.topic_id} {self.from_phase}->{self.to_phase}"
