"""Every write of a petition or of the rules replaces the cached public list
(`selectors.public_list`), whatever path made it: the services, the admin, the demo."""

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from eloket.petitions.models import Petition, PetitionRules
from eloket.petitions.selectors import petitions_changed


@receiver(post_save, sender=Petition)
@receiver(post_delete, sender=Petition)
@receiver(post_save, sender=PetitionRules)
@receiver(post_delete, sender=PetitionRules)
def _forget_public_list(sender: Any, instance: Petition | PetitionRules, **kwargs: Any) -> None:
    petitions_changed(instance.municipality_id)
