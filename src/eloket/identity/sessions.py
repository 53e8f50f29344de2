"""Logging in and out: the browser's session, beside the views that use it. Citizens
by eID; officers with a password, then an authenticator code, with failed attempts
counted per account and per address; idle and absolute expiry."""

import hashlib
import time
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.models import User
from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from eloket.common.clients import client_address
from eloket.common.errors import ApplicationError
from eloket.common.ratelimit import (
    backoff_clear,
    backoff_failure,
    backoff_wait,
    calls_in_window,
    limit_calls,
)
from eloket.identity.models import LoginMethod, UserSession
from eloket.identity.selectors import is_officer, officer_confirmed_device
from eloket.identity.services import (
    LoginRefused,
    citizen_account,
    citizen_identify,
    citizen_remember_language,
)

MODEL_BACKEND = "eloket.identity.backends.UserBackend"
SESSION_AUTH_AT = "eloket_auth_at"
SESSION_SEEN_AT = "eloket_seen_at"
SESSION_METHOD = "eloket_login_method"
# The municipalities where this citizen's session logged in: a login counts only where it
# was started (identity/middleware.py CitizenScopeMiddleware).
SESSION_CITIZEN_AT = "eloket_citizen_at"
CITIZEN_METHODS = (LoginMethod.OIDC, LoginMethod.EID_CARD)
PENDING_OFFICER = "eloket_pending_officer"


class TooManyAttempts(ApplicationError):
    code = "too_many_attempts"
    status = 429


def citizen_login(
    *, request: HttpRequest, national_id: str, method: str, municipality: Any
) -> User:
    """Log in the person an eID identifies, for the municipality where the login started
    (elsewhere the session is not logged in until they log in there too). Nothing is
    created when they are refused."""
    person = citizen_identify(national_id=national_id)
    user = citizen_account(person=person, method=method)
    same_person = request.session.get("_auth_user_id") == str(user.pk)
    earlier = list(request.session.get(SESSION_CITIZEN_AT, [])) if same_person else []
    session_login(request, user, method)
    request.session[SESSION_CITIZEN_AT] = sorted({*earlier, municipality.slug})
    citizen_remember_language(user=user, language=getattr(request, "LANGUAGE_CODE", ""))
    return user


def token_scope(request: HttpRequest) -> list[str]:
    """Where a token made in this request may work: a citizen's session's municipalities
    (a token is never wider than the login it came from), or the token's own when a token
    asks; [] for everyone else."""
    if getattr(request, "auth_method", "") == "token":
        return list(getattr(request, "token_municipalities", []))
    if request.session.get(SESSION_METHOD) in CITIZEN_METHODS:
        return list(request.session.get(SESSION_CITIZEN_AT, []))
    return []


def login_scope(request: HttpRequest) -> list[str] | None:
    """The municipalities (slugs) this request's login counts in; None: no limit (an
    officer, whose roles decide, or a login the platform made itself)."""
    if getattr(request, "auth_method", "") == "token":
        return list(getattr(request, "token_municipalities", [])) or None
    if request.session.get(SESSION_METHOD) in CITIZEN_METHODS:
        return list(request.session.get(SESSION_CITIZEN_AT, []))
    return None


def login_reaches(request: HttpRequest, slug: str) -> bool:
    scope = login_scope(request)
    return scope is None or slug in scope


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


def _account_key(username: str) -> str:
    return "login:user:" + hashlib.sha256(username.strip().lower().encode()).hexdigest()[:24]


def _check_throttle(username: str, address: str) -> None:
    """Per account: a few free failures, then a wait that doubles with every further one
    (an attacker can slow one officer down, never lock out everyone). Per address, a
    looser limit against someone trying many accounts. Both in the shared cache, under
    the client's real address (common/clients.py)."""
    wait = backoff_wait(
        _account_key(username),
        free=settings.ELOKET_LOGIN_MAX_FAILURES,
        base=settings.ELOKET_LOGIN_BACKOFF_SECONDS,
        longest=settings.ELOKET_LOGIN_WINDOW_SECONDS,
    )
    if wait == 0:
        tried = calls_in_window(
            f"login:addr:{address}", window=settings.ELOKET_LOGIN_WINDOW_SECONDS
        )
        if tried >= settings.ELOKET_LOGIN_ADDRESS_LIMIT:
            wait = settings.ELOKET_LOGIN_WINDOW_SECONDS
    if wait:
        raise TooManyAttempts(
            _("Too many failed attempts. Try again in %(minutes)d minutes.")
            % {"minutes": max(1, -(-wait // 60))}
        )


def _record_failure(username: str, address: str) -> None:
    backoff_failure(_account_key(username), longest=settings.ELOKET_LOGIN_WINDOW_SECONDS)
    limit_calls(
        f"login:addr:{address}",
        limit=10**9,  # counted here, refused in _check_throttle
        window=settings.ELOKET_LOGIN_WINDOW_SECONDS,
        message="",
    )


def _clear_failures(username: str, address: str) -> None:
    backoff_clear(_account_key(username))


def officer_check_password(*, request: HttpRequest, username: str, password: str) -> User:
    """First step: the password. The officer is not logged in until the second factor."""
    address = client_address(request)
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
    address = client_address(request)
    _check_throttle(user.username, address)
    device = officer_confirmed_device(user)
    if device is None:
        raise LoginRefused(_("Set up your authenticator first."), code="no_device")
    if not device.verify_token(code.strip().replace(" ", "")):
        _record_failure(user.username, address)
        raise LoginRefused(
            _("That code is not right, or it was used already. Wait for the next code and try it."),
            code="wrong_code",
        )
    _clear_failures(user.username, address)
    request.session.pop(PENDING_OFFICER, None)
    session_login(request, user, LoginMethod.PASSWORD_TOTP)
    otp_login(request, device)


def officer_confirm_device(*, request: HttpRequest, user: User, code: str) -> None:
    address = client_address(request)
    _check_throttle(user.username, address)
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None or not device.verify_token(code.strip().replace(" ", "")):
        _record_failure(user.username, address)
        raise LoginRefused(
            _("That code is not right, or it was used already. Wait for the next code and try it."),
            code="wrong_code",
        )
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    _clear_failures(user.username, address)
    request.session.pop(PENDING_OFFICER, None)
    session_login(request, user, LoginMethod.PASSWORD_TOTP)
    otp_login(request, device)
