"""Petitions' periodic work: close those whose signing period ended."""

import datetime as dt

from eloket.common.actors import Actor
from eloket.common.schedule import PeriodicJob, periodic_jobs
from eloket.petitions.models import Petition, PetitionStatus
from eloket.tenants.models import Module
from eloket.tenants.modules import module_on


@periodic_jobs.register("petitions_closed")
class ExpirePetitions(PeriodicJob):
    verbose_name = "close petitions past their signing period"

    def run(self, now: dt.datetime) -> int:
        from eloket.petitions.services import petitions_expire
        from eloket.tenants.models import Municipality

        due = Petition.objects.filter(
            status=PetitionStatus.SIGNING, signing_closes_at__lte=now
        ).values("municipality")
        return sum(
            petitions_expire(
                actor=Actor.system("Eloket", municipality), municipality=municipality, now=now
            )
            for municipality in Municipality.objects.filter(pk__in=due)
            if module_on(municipality, Module.PETITIONS)  # a switched-off module rests
        )
