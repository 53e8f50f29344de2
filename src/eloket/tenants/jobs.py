"""Periodic work of the tenants: the hosts' template pages are fetched again."""

import datetime as dt

from django.conf import settings

from eloket.common.actors import Actor
from eloket.common.schedule import PeriodicJob, periodic_jobs


def host_chromes_refresh(*, now: dt.datetime) -> int:
    """Refresh every template page fetched longer ago than ELOKET_CHROME_REFRESH_MINUTES
    (a failed one is tried again after a tenth of that); a host that is down keeps its
    last good copy in use."""
    from eloket.tenants.models import ChromeStatus, HostChrome
    from eloket.tenants.services import host_chrome_refresh

    every = dt.timedelta(minutes=settings.ELOKET_CHROME_REFRESH_MINUTES)
    done = 0
    for row in HostChrome.objects.select_related("municipality").filter(
        municipality__is_active=True
    ):
        if row.checked_at is not None and now - row.checked_at < every / 10:
            continue
        if row.status == ChromeStatus.OK and row.fetched_at and now - row.fetched_at < every:
            continue
        municipality = row.municipality
        done += host_chrome_refresh(
            actor=Actor.system("host chrome refresh", municipality), municipality=municipality
        )
    return done


@periodic_jobs.register("host_chrome_refresh")
class RefreshHostChromes(PeriodicJob):
    verbose_name = "fetch the hosts' template pages again"

    def run(self, now: dt.datetime) -> int:
        return host_chromes_refresh(now=now)
