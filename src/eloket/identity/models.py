"""Who may log in: citizens (by national eID), officers (password + TOTP), API tokens,
and the sessions they hold. Everyone is a Django `auth.User`; these rows say what kind."""

from django.conf import settings
from django.contrib.auth.models import User
from django.db import models
from django.utils.translation import gettext_lazy as _

from eloket.common.models import TenantOwnedModel, TimeStampedModel


class LoginMethod(models.TextChoices):
    OIDC = "oidc", _("eID through an identity provider")
    EID_CARD = "eid_card", _("eID card")
    PASSWORD_TOTP = "password_totp", _("password and authenticator code")
    API_TOKEN = "api_token", _("API token")


class Citizen(TimeStampedModel):
    """A person of the register who has logged in. Created only once the register knows
    them and they are alive; the national identifier is never a username."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    country = models.CharField(max_length=2)
    national_id = models.CharField(max_length=13)
    preferred_language = models.CharField(max_length=5, blank=True)
    last_login_method = models.CharField(max_length=16, choices=LoginMethod.choices, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["country", "national_id"], name="citizen_unique_national_id"
            )
        ]

    def __str__(self) -> str:
        return f"citizen {self.user_id}"


class Role(models.TextChoices):
    CLERK = "clerk", _("clerk")
    HEAD = "head", _("head of department")
    # A member of the board of mayor and aldermen: signs the municipality's decisions
    # last (an approval chain's board step); acts for every department, as a head does.
    ALDERMAN = "alderman", _("alderman or mayor")
    ADMIN = "admin", _("municipality administrator")


# What each role may do (a higher role includes the lower ones): common/permissions.py.


class OfficerRole(TenantOwnedModel, TimeStampedModel):
    """An officer's role in one municipality. An officer may hold roles in several."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="officer_roles"
    )
    role = models.CharField(max_length=10, choices=Role.choices)
    department = models.CharField(max_length=100, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "municipality"], name="officer_one_role_per_municipality"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()}"


class ApiToken(TimeStampedModel):
    """A bearer token for the API. Only a SHA-256 of the secret is stored."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, help_text="The first characters, to recognise it.")
    key_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    # A citizen's token works in the municipalities where the session that made it was
    # logged in (slugs); empty: everywhere (officers' tokens, whose roles decide).
    municipalities = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class UserSession(models.Model):
    """A browser session after login: lets a person see their sessions and end them all."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="eloket_sessions"
    )
    session_key = models.CharField(max_length=40, unique=True)
    method = models.CharField(max_length=16, choices=LoginMethod.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    user_agent = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user_id} {self.method} {self.created_at:%Y-%m-%d %H:%M}"


class DemoIdpAccount(models.Model):
    """An account of the built-in demo identity provider (demo mode only): the identity
    the provider vouches for. It lives beside, not inside, the relying party's users."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    country = models.CharField(max_length=2)
    national_id = models.CharField(max_length=13, unique=True)
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)

    def __str__(self) -> str:
        return f"demo IdP account {self.user_id}"


class Officer(User):
    """Officers as the admin shows them (a proxy of the user model)."""

    class Meta:
        proxy = True
        verbose_name = "officer"
