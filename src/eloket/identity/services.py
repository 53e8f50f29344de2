"""Logging in and out, officers' second factor, API tokens and sessions."""

import datetime as dt
import hashlib
import secrets
import time
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.models import User
from django.contrib.sessions.backends.base import SessionBase
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from eloket.common.errors import ApplicationError, NotFound
from eloket.identity.models import ApiToken, Citizen, LoginMethod, UserSession
from eloket.register.models import Person
from eloket.register.selectors import person_for_identifier

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
SESSION_AUTH_AT = "eloket_auth_at"
SESSION_SEEN_AT = "eloket_seen_at"
SESSION_METHOD = "eloket_login_method"
PENDING_OFFICER = "eloket_pending_officer"
TOKEN_PREFIX = "elk_"  # noqa: S105 (a prefix that marks Eloket tokens, not a secret)


class LoginRefused(ApplicationError):
    code = "login_refused"
    status = 403


class TooManyAttempts(ApplicationError):
    code = "too_many_attempts"
    status = 429


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
    if not citizen.user.is_active:
        raise LoginRefused(_("This account has been blocked."), code="blocked")
    Citizen.objects.filter(pk=citizen.pk).update(last_login_method=method)
    return citizen.user


def citizen_remember_language(*, user: User, language: str) -> None:
    """E-mails that are not about a request (the forum, petitions) use this language."""
    Citizen.objects.filter(user=user).update(preferred_language=language[:5])


def citizen_login(*, request: HttpRequest, national_id: str, method: str) -> User:
    """Log in the person an eID identifies. Nothing is created when they are refused."""
    person = citizen_identify(national_id=national_id)
    user = citizen_account(person=person, method=method)
    session_login(request, user, method)
    citizen_remember_language(user=user, language=getattr(request, "LANGUAGE_CODE", ""))
    return user


# --- Sessions


def session_login(request: HttpRequest, user: User, method: str) -> None:
    login(request, user, backend=MODEL_BACKEND)
    now = int(time.time())
    request.session[SESSION_AUTH_AT] = now
    request.session[SESSION_SEEN_AT] = now
    request.session[SESSION_METHOD] = method
    request.session.save()
    UserSession.objects.update_or_create(
        session_key=request.session.session_key,
        defaults={
            "user": user,
            "method": method,
            "user_agent": request.headers.get("User-Agent", "")[:200],
        },
    )


def session_expired(session: SessionBase, now: float | None = None) -> bool:
    now = now or time.time()
    auth_at = session.get(SESSION_AUTH_AT, 0)
    seen_at = session.get(SESSION_SEEN_AT, auth_at)
    return (
        now - auth_at > settings.ELOKET_SESSION_ABSOLUTE_SECONDS
        or now - seen_at > settings.ELOKET_SESSION_IDLE_SECONDS
    )


def session_logout(request: HttpRequest) -> None:
    key = request.session.session_key
    logout(request)
    if key:
        UserSession.objects.filter(session_key=key).delete()


def sessions_end_all(*, user: User) -> int:
    """Log the user out of every browser (logout everywhere). Returns how many ended."""
    from importlib import import_module

    store = import_module(settings.SESSION_ENGINE).SessionStore
    keys = list(UserSession.objects.filter(user=user).values_list("session_key", flat=True))
    for key in keys:
        store(session_key=key).delete()
    UserSession.objects.filter(user=user).delete()
    return len(keys)


# --- Officers: password, then an authenticator code (TOTP)


def _throttle_keys(username: str, address: str) -> list[str]:
    name = hashlib.sha256(username.strip().lower().encode()).hexdigest()[:24]
    return [f"login-failures:user:{name}", f"login-failures:addr:{address}"]


def _check_throttle(username: str, address: str) -> None:
    for key in _throttle_keys(username, address):
        if (cache.get(key) or 0) >= settings.ELOKET_LOGIN_MAX_FAILURES:
            minutes = max(1, settings.ELOKET_LOGIN_WINDOW_SECONDS // 60)
            raise TooManyAttempts(
                _("Too many failed attempts. Try again in %(minutes)d minutes.")
                % {"minutes": minutes}
            )


def _record_failure(username: str, address: str) -> None:
    for key in _throttle_keys(username, address):
        if not cache.add(key, 1, timeout=settings.ELOKET_LOGIN_WINDOW_SECONDS):
            try:
                cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.add(key, 1, timeout=settings.ELOKET_LOGIN_WINDOW_SECONDS)


def _clear_failures(username: str, address: str) -> None:
    cache.delete_many(_throttle_keys(username, address))


def officer_check_password(*, request: HttpRequest, username: str, password: str) -> User:
    """First step: the password. The officer is not logged in until the second factor."""
    address = request.META.get("REMOTE_ADDR", "")
    _check_throttle(username, address)
    user = authenticate(request, username=username, password=password)
    if user is None or not is_officer(user):
        _record_failure(username, address)
        raise LoginRefused(_("Wrong username or password."), code="wrong_credentials")
    request.session[PENDING_OFFICER] = {"user": user.pk, "at": int(time.time())}
    return user


def pending_officer(request: HttpRequest) -> User | None:
    pending = request.session.get(PENDING_OFFICER)
    if not pending or time.time() - pending.get("at", 0) > 300:
        return None
    return User.objects.filter(pk=pending["user"], is_active=True).first()


def officer_confirmed_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def officer_verify_code(*, request: HttpRequest, user: User, code: str) -> None:
    """Second step: the authenticator code. Logs the officer in."""
    address = request.META.get("REMOTE_ADDR", "")
    _check_throttle(user.username, address)
    device = officer_confirmed_device(user)
    if device is None:
        raise LoginRefused(_("Set up your authenticator first."), code="no_device")
    if not device.verify_token(code.strip().replace(" ", "")):
        _record_failure(user.username, address)
        raise LoginRefused(_("That code is not right. Try the current one."), code="wrong_code")
    _clear_failures(user.username, address)
    request.session.pop(PENDING_OFFICER, None)
    session_login(request, user, LoginMethod.PASSWORD_TOTP)
    otp_login(request, device)


def officer_enrol_device(*, user: User) -> TOTPDevice:
    """An unconfirmed authenticator for an officer who has none yet."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)


def officer_confirm_device(*, request: HttpRequest, user: User, code: str) -> None:
    address = request.META.get("REMOTE_ADDR", "")
    _check_throttle(user.username, address)
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None or not device.verify_token(code.strip().replace(" ", "")):
        _record_failure(user.username, address)
        raise LoginRefused(_("That code is not right. Try the current one."), code="wrong_code")
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    _clear_failures(user.username, address)
    request.session.pop(PENDING_OFFICER, None)
    session_login(request, user, LoginMethod.PASSWORD_TOTP)
    otp_login(request, device)


def is_officer(user: User) -> bool:
    return bool(user.is_active and (user.is_superuser or user.officer_roles.exists()))


# --- API tokens


@dataclass
class IssuedToken:
    token: ApiToken
    secret: str


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def api_token_create(*, user: User, name: str, days: int | None = None) -> IssuedToken:
    """A new bearer token. The secret is shown once; only its hash is kept."""
    days = settings.ELOKET_API_TOKEN_DAYS if days is None else days
    if not 1 <= days <= 365:
        raise ApplicationError(_("A token lives from 1 to 365 days."), code="invalid_lifetime")
    name = name.strip() or _("API token")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name[:100],
        prefix=secret[:10],
        key_hash=_hash(secret),
        expires_at=timezone.now() + dt.timedelta(days=days),
    )
    return IssuedToken(token=token, secret=secret)


def api_token_authenticate(secret: str) -> User | None:
    """The user of a valid (known, not expired, not revoked) token, or None."""
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
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def api_token_revoke(*, user: User, token_id: int) -> ApiToken:
    token = ApiToken.objects.filter(user=user, pk=token_id).first()
    if token is None:
        raise NotFound(_("You have no token with this number."))
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token
