"""Tokens die with the credentials they stand for: a new password or an authenticator
removed (reset) revokes the user's API tokens, whatever path made the change (a form, the
admin, a shell). A role given or taken away shows in the navigation at once."""

from typing import Any

from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver
from django_otp.plugins.otp_totp.models import TOTPDevice

from eloket.identity.models import OfficerRole


@receiver(pre_save, sender=User)
def _remember_password_change(sender: Any, instance: User, **kwargs: Any) -> None:
    update_fields = kwargs.get("update_fields")
    if instance.pk is None or (update_fields is not None and "password" not in update_fields):
        return  # a new account, or a save that leaves the password (the last login)
    before = User.objects.filter(pk=instance.pk).values_list("password", flat=True).first()
    instance._eloket_password_changed = before is not None and before != instance.password  # type: ignore[attr-defined]


@receiver(post_save, sender=User)
def _revoke_on_password_change(sender: Any, instance: User, **kwargs: Any) -> None:
    if getattr(instance, "_eloket_password_changed", False):
        from eloket.identity.services import api_tokens_revoke_all

        api_tokens_revoke_all(user=instance)
        instance._eloket_password_changed = False  # type: ignore[attr-defined]


@receiver(post_delete, sender=TOTPDevice)
def _revoke_on_authenticator_reset(sender: Any, instance: TOTPDevice, **kwargs: Any) -> None:
    from eloket.identity.services import api_tokens_revoke_all

    if instance.user_id:
        api_tokens_revoke_all(user=instance.user)


@receiver(post_save, sender=OfficerRole)
@receiver(post_delete, sender=OfficerRole)
def _forget_officer_link(sender: Any, instance: OfficerRole, **kwargs: Any) -> None:
    from eloket.identity.selectors import officer_link_key

    key = officer_link_key(instance.user_id, instance.municipality_id)
    # Forgotten now and again once the change is committed: a page between the two
    # read the rows as they were before it.
    cache.delete(key)
    transaction.on_commit(lambda: cache.delete(key))
