"""The daily removal of abandoned drafts' files and of orphan files (`attachments_cleanup`)."""

import datetime as dt

from eloket.common.schedule import PeriodicJob, periodic_jobs


@periodic_jobs.register("attachments_cleanup")
class AttachmentsCleanup(PeriodicJob):
    verbose_name = "remove the files of abandoned drafts"
    daily_after_hour = 3

    def run(self, now: dt.datetime) -> int:
        from eloket.attachments.services import attachments_cleanup
        from eloket.common.actors import Actor
        from eloket.tenants.models import Municipality

        return sum(
            attachments_cleanup(
                actor=Actor.system("attachments cleanup", municipality),
                municipality=municipality,
                now=now,
            )
            for municipality in Municipality.objects.all()
        )
