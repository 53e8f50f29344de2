"""A draft decision that goes up a service's approval chain, every act on it, and
officers' delegations of their approvals for a period."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from eloket.common.models import TenantOwnedModel


class Outcome(models.TextChoices):
    GRANT = "grant", _("grant")
    REFUSE = "refuse", _("refuse")


class DraftStatus(models.TextChoices):
    PENDING = "pending", _("waiting for approval")
    RETURNED = "returned", _("returned for changes")
    APPROVED = "approved", _("approved")


class DraftDecision(TenantOwnedModel):
    """The clerk's draft decision on a case (text and outcome) and where it is in the
    chain. `steps` are the chain's steps this case goes through, copied when it was
    submitted (the service's version, its conditions met by this request)."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    text = models.TextField()
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    prepared_by_label = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=DraftStatus.choices)
    steps = models.JSONField(default=list)
    step = models.PositiveIntegerField(default=0)
    step_started_at = models.DateTimeField()
    reminded_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    # When the service makes a decision document: its code (printed in it), the document
    # as rendered at submission, and as it stands now, with one incremental signature
    # per valid approval (approvals/signing.py).
    document_code = models.CharField(max_length=12, blank=True)
    unsigned_pdf = models.BinaryField(null=True, blank=True)
    pdf = models.BinaryField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(status__in=["pending", "returned"]),
                name="approvals_one_open_draft_per_case",
            )
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.outcome} {self.status} step {self.step}"


class ActKind(models.TextChoices):
    SUBMIT = "submit", _("submitted")
    APPROVE = "approve", _("approved")
    RETURN = "return", _("returned")


class ApprovalAct(TenantOwnedModel):
    """One act on a draft: submitted, approved (with a comment or not), returned (with
    the reason). A delegate's act names both: `user` acted for `on_behalf_of`. An
    approval that a return sent back is `void` (the step is approved again)."""

    draft = models.ForeignKey(DraftDecision, on_delete=models.CASCADE, related_name="acts")
    kind = models.CharField(max_length=10, choices=ActKind.choices)
    step = models.PositiveIntegerField(default=0)
    slot = models.PositiveIntegerField(default=0)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    user_label = models.CharField(max_length=200)
    on_behalf_of = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    on_behalf_of_label = models.CharField(max_length=200, blank=True)
    comment = models.TextField(blank=True)
    at = models.DateTimeField()
    void = models.BooleanField(default=False)
    # An approval of a draft with a decision document: the document after this
    # officer's signature (a return goes back to the one before).
    pdf = models.BinaryField(null=True, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.draft_id} {self.kind} step {self.step} by {self.user_id}"


class Delegation(TenantOwnedModel):
    """`delegator`'s approvals are made by `delegate` from `starts_at` until `ends_at`."""

    delegator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    delegate = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_at", "id"]

    def __str__(self) -> str:
        return f"{self.delegator_id} -> {self.delegate_id}"
