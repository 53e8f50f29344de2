"""Citizens' accounts, officers' roles and authenticators, API tokens, ending one's
sessions. (Logging in and out works on the browser's session: identity/sessions.py,
beside the views.)"""

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from eloket.audit.services import audit_record
from eloket.common.actors import Actor
from eloket.common.errors import ApplicationError, NotFound
from eloket.common.permissions import Permission, authorize
from eloket.common.text import refuse_hidden_characters
from eloket.identity.models import ApiToken, Citizen, OfficerRole, Role, UserSession
from eloket.register.models import Person
from eloket.register.selectors import person_for_identifier
from eloket.tenants.models import Municipality

TOKEN_PREFIX = "elk_"  # noqa: S105 (a prefix that marks Eloket tokens, not a secret)


class LoginRefused(ApplicationError):
    code = "login_refused"
    status = 403


# --- Citizens


def citizen_identify(*, national_id: str) -> Person:
    """The living person of the register an eID identifies; refused with the reason."""
    person = person_for_identifier(national_id=national_id)
    if person is None:
        raise LoginRefused(
            _(
                "Your eID was recognised, but you are not in the population register of a "
                "municipality served here, so you cannot log in. No account was created."
            ),
            code="unknown_person",
        )
    if person.is_deceased:
        raise LoginRefused(
            _(
                "The population register records this person as deceased, so no one can "
                "log in with this identity. No account was created."
            ),
            code="deceased_person",
        )
    return person


def citizen_account(*, person: Person, method: str) -> User:
    """The user account of a person of the register, created at their first login."""
    citizen = _citizen_of_person(person)
    if not citizen.user.is_active:
        raise LoginRefused(_("This account has been blocked."), code="blocked")
    Citizen.objects.filter(pk=citizen.pk).update(last_login_method=method)
    return citizen.user


def citizen_account_for_filing(
    *, actor: Actor, municipality: Municipality, person: Person, channel: str
) -> User:
    """The account of a resident an officer files a request for (at the counter, on the
    phone, by letter), made now if they never logged in: it is the account their first
    eID login finds (by national number), so the request waits in "My requests". No
    login happened, so no login method is recorded; the audit trail says who made the
    account and through which channel."""
    authorize(actor, municipality, Permission.CASE_HANDLE)
    if person.municipality_id != municipality.pk:
        raise NotFound(
            _("This person is not in the register of %(m)s.") % {"m": municipality.display_name()}
        )
    if person.is_deceased:
        raise ApplicationError(
            _("The population register records this person as deceased."), code="deceased_person"
        )
    existed = Citizen.objects.filter(country=person.country, national_id=person.national_id)
    is_new = not existed.exists()
    citizen = _citizen_of_person(person)
    if not citizen.user.is_active:
        raise ApplicationError(_("This account has been blocked."), code="blocked")
    if is_new:
        audit_record(
            actor=actor,
            municipality=municipality,
            action="citizen.account_create",
            object_type="user",
            object_ref=str(citizen.user_id),
            data={"channel": channel},
        )
    return citizen.user


def _citizen_of_person(person: Person) -> Citizen:
    citizen = (
        Citizen.objects.select_related("user")
        .filter(country=person.country, national_id=person.national_id)
        .first()
    )
    if citizen is None:
        try:
            with transaction.atomic():
                user = User.objects.create(
                    username=f"citizen-{secrets.token_hex(8)}",
                    first_name=person.first_names[:150],
                    last_name=person.last_name[:150],
                )
                user.set_unusable_password()
                user.save(update_fields=["password"])
                citizen = Citizen.objects.create(
                    user=user, country=person.country, national_id=person.national_id
                )
        except IntegrityError:  # the same person logging in twice at once
            citizen = Citizen.objects.select_related("user").get(
                country=person.country, national_id=person.national_id
            )
    return citizen


def citizen_remember_language(*, user: User, language: str) -> None:
    """E-mails that are not about a request (the forum, petitions) use this language."""
    Citizen.objects.filter(user=user).update(preferred_language=language[:5])


def sessions_end_all(*, user: User) -> int:
    """Log the user out of every browser and revoke their API tokens (logout everywhere).
    Returns how many sessions ended."""
    from importlib import import_module

    store = import_module(settings.SESSION_ENGINE).SessionStore
    keys = list(UserSession.objects.filter(user=user).values_list("session_key", flat=True))
    for key in keys:
        store(session_key=key).delete()
    UserSession.objects.filter(user=user).delete()
    api_tokens_revoke_all(user=user)
    return len(keys)


def officer_enrol_device(*, user: User) -> TOTPDevice:
    """An unconfirmed authenticator for an officer who has none yet."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)


# --- API tokens


@dataclass
class IssuedToken:
    token: ApiToken
    secret: str


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def api_token_create(
    *, user: User, name: str, days: int | None = None, municipalities: list[str] | None = None
) -> IssuedToken:
    """A new bearer token. The secret is shown once; only its hash is kept.

    A token stands in for the second factor, so an officer's lives a working day at most
    (ELOKET_OFFICER_TOKEN_HOURS); a citizen's as many days as asked (up to a year). Both
    die with "log out everywhere", and an officer's with a new password or authenticator."""
    from eloket.identity.selectors import is_officer

    days = settings.ELOKET_API_TOKEN_DAYS if days is None else days
    if not 1 <= days <= 365:
        raise ApplicationError(_("A token lives from 1 to 365 days."), code="invalid_lifetime")
    lifetime = dt.timedelta(days=days)
    if is_officer(user):
        lifetime = min(lifetime, dt.timedelta(hours=settings.ELOKET_OFFICER_TOKEN_HOURS))
    refuse_hidden_characters(name)
    name = name.strip() or _("API token")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        municipalities=sorted(municipalities or []),
        name=name[:100],
        prefix=secret[:10],
        key_hash=_hash(secret),
        expires_at=timezone.now() + lifetime,
    )
    return IssuedToken(token=token, secret=secret)


def api_tokens_revoke_all(*, user: User) -> int:
    """Revoke every live token of the user (their credentials changed, or they logged
    out everywhere). Returns how many."""
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def api_token_find(secret: str, *, municipality_slug: str = "") -> ApiToken | None:
    """A valid (known, not expired, not revoked) token of an active user, or None; a token
    limited to some municipalities is no token on another's API."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 100:
        return None
    now = timezone.now()
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=_hash(secret), revoked_at__isnull=True, expires_at__gt=now)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    if token.municipalities and municipality_slug and municipality_slug not in token.municipalities:
        return None
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


def api_token_authenticate(secret: str, *, municipality_slug: str = "") -> User | None:
    """The user of a valid token (api_token_find), or None."""
    token = api_token_find(secret, municipality_slug=municipality_slug)
    return token.user if token is not None else None


def api_token_revoke(*, user: User, token_id: int) -> ApiToken:
    token = ApiToken.objects.filter(user=user, pk=token_id).first()
    if token is None:
        raise NotFound(_("You have no token with this number."))
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


# --- Officers' roles


def officer_role_set(
    *, actor: Actor, municipality: Municipality, user: User, role: str, department: str = ""
) -> OfficerRole:
    """Give an officer their role (and department) in the municipality, or change it.
    An administrator's act, recorded in the audit trail."""
    authorize(actor, municipality, Permission.CONFIGURE)
    if role not in Role.values:
        raise ApplicationError(
            _("Choose a role: %(roles)s.") % {"roles": ", ".join(Role.values)}, code="invalid_role"
        )
    department = department.strip()[:100]
    refuse_hidden_characters(department)
    with transaction.atomic():
        current = (
            OfficerRole.objects.select_for_update()
            .filter(user=user, municipality=municipality)
            .first()
        )
        before = {"role": current.role, "department": current.department} if current else None
        if current is None:
            current = OfficerRole.objects.create(
                user=user, municipality=municipality, role=role, department=department
            )
        elif (current.role, current.department) != (role, department):
            current.role, current.department = role, department
            current.save(update_fields=["role", "department", "updated_at"])
        else:
            return current
        audit_record(
            actor=actor,
            municipality=municipality,
            action="officer.role",
            object_type="officer",
            object_ref=user.username,
            data={"from": before, "to": {"role": role, "department": department}},
        )
    return current


def officer_role_remove(*, actor: Actor, municipality: Municipality, user: User) -> None:
    """Take the officer's role in the municipality away (audited)."""
    authorize(actor, municipality, Permission.CONFIGURE)
    with transaction.atomic():
        current = OfficerRole.objects.filter(user=user, municipality=municipality).first()
        if current is None:
            return
        current.delete()
        audit_record(
            actor=actor,
            municipality=municipality,
            action="officer.role_removed",
            object_type="officer",
            object_ref=user.username,
            data={"from": {"role": current.role, "department": current.department}},
        )


@dataclass
class NewOfficer:
    """An officer account just made: its one-time secrets are only here, never stored in
    the clear (the password is hashed; the authenticator's key is the device's)."""

    user: User
    password: str
    totp_secret: str  # base32, as authenticator apps take it
    totp_uri: str  # otpauth://, for a QR code


def officer_create(
    *,
    actor: Actor,
    municipality: Municipality,
    username: str,
    role: str = Role.ADMIN,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
) -> NewOfficer:
    """A new officer account with a random password and a confirmed authenticator, and
    their role in the municipality (onboarding: its first administrator). The password
    and the authenticator's secret are returned once, to hand over; a username already
    taken is refused (Conflict), nothing made."""
    import base64

    from eloket.common.errors import Conflict

    authorize(actor, municipality, Permission.CONFIGURE)
    username = username.strip()
    refuse_hidden_characters(username)
    if not username or len(username) > 150 or any(c.isspace() for c in username):
        raise ApplicationError(_("Give a username without spaces."), code="invalid_username")
    password = secrets.token_urlsafe(18)
    with transaction.atomic():
        if User.objects.filter(username=username).exists():
            raise Conflict(
                _("The username %(name)s is taken.") % {"name": username}, code="username_taken"
            )
        user = User(
            username=username,
            email=email.strip(),
            first_name=first_name.strip()[:150],
            last_name=last_name.strip()[:150],
        )
        user.set_password(password)
        user.save()
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
        officer_role_set(actor=actor, municipality=municipality, user=user, role=role)
        audit_record(
            actor=actor,
            municipality=municipality,
            action="officer.created",
            object_type="officer",
            object_ref=username,
            data={"role": role},
        )
    secret = base64.b32encode(device.bin_key).decode()
    return NewOfficer(user=user, password=password, totp_secret=secret, totp_uri=device.config_url)
