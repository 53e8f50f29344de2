"""The services' periodic work: drafts past their time go, with their files."""

import datetime as dt

from eloket.common.schedule import PeriodicJob, periodic_jobs


@periodic_jobs.register("service_drafts_expire")
class ExpireDrafts(PeriodicJob):
    verbose_name = "delete expired drafts of service forms"
    daily_after_hour = 3

    def run(self, now: dt.datetime) -> int:
        from eloket.services.services import drafts_expire

        return drafts_expire(now=now)
