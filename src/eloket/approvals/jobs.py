"""The approvals' periodic work: reminders and escalations of steps past their time."""

import datetime as dt

from eloket.common.schedule import PeriodicJob, periodic_jobs


@periodic_jobs.register("approval_deadlines")
class ApprovalDeadlines(PeriodicJob):
    verbose_name = "remind approvers and escalate late approvals"

    def run(self, now: dt.datetime) -> int:
        from eloket.approvals.models import DraftDecision, DraftStatus
        from eloket.approvals.services import approvals_remind_and_escalate
        from eloket.common.actors import Actor
        from eloket.tenants.models import Municipality

        ids = set(
            DraftDecision.objects.filter(status=DraftStatus.PENDING).values_list(
                "municipality_id", flat=True
            )
        )
        done = 0
        for municipality in Municipality.objects.filter(pk__in=ids):
            actor = Actor.system("approval deadlines", municipality)
            done += approvals_remind_and_escalate(actor=actor, municipality=municipality, now=now)
        return done
