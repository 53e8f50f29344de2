"""Logging in and out: the browser's session, beside the views that use it. Citizens
by eID; officers with a password, then an authenticator code, with failed attempts
counted per account and per address; idle and absolute expiry."""

import hashlib
import time

from django.conf import settings
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.models import User
from django.contrib.sessions.backends.base import SessionBase
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from eloket.common.errors import ApplicationError
from eloket.identity.models import LoginMethod, UserSession
from eloket.identity.selectors import is_officer, officer_confirmed_device
from eloket.identity.services import (
    LoginRefused,
    citizen_account,
    citizen_identify,
    citizen_remember_language,
)

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
SESSION_AUTH_AT = "eloket_auth_at"
SESSION_SEEN_AT = "eloket_seen_at"
SESSION_METHOD = "eloket_login_method"
PENDING_OFFICER = "eloket_pending_officer"


class TooManyAttempts(ApplicationError):
    code = "too_many_attempts"
    status = 429


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
