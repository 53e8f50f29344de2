"""The built-in demo identity provider: django-oauth-toolkit as a real OIDC provider,
answering only in demo mode (`ELOKET_DEMO`).

A tester picks a demo citizen (or types an identifier) on the provider's own page; the
provider then runs the ordinary authorization-code flow and signs an ID token (RS256) that
carries the national number in the platform's claim. The relying party talks to it over
HTTP exactly as it would to itsme or CSAM: discovery, JWKS, token endpoint.

The provider's sign-in is kept apart from the relying party's: the pick lives under its
own session key and is used for one authorization only; the provider's accounts
(`DemoIdpAccount`) are not the platform's citizen accounts.
"""

import hashlib
import hmac
import secrets
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from oauth2_provider.models import get_application_model
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.views import AuthorizationView

from eloket.identity.models import DemoIdpAccount
from eloket.register.national_ids import normalise

PICK_SESSION_KEY = "demo_idp_pick"
# The claim this provider puts the national number in (the platform's default claim).
DEMO_IDP_CLAIM = "national_number"
PICK_LIFETIME = 120  # seconds between picking a citizen and the authorization it is for


def demo_only() -> None:
    if not settings.ELOKET_DEMO:
        raise Http404("The demo identity provider answers only in demo mode.")


class DemoIdpValidator(OAuth2Validator):
    """Puts the national number and names into the ID token (and userinfo)."""

    oidc_claim_scope = None  # every claim below goes into the ID token

    def get_additional_claims(self, request: Any) -> dict[str, Any]:
        account = DemoIdpAccount.objects.filter(user=request.user).first()
        if account is None:
            return {}
        return {
            DEMO_IDP_CLAIM: account.national_id,
            "given_name": account.given_name,
            "family_name": account.family_name,
            "name": f"{account.given_name} {account.family_name}".strip(),
        }


def demo_idp_account(*, national_id: str, given_name: str, family_name: str) -> User:
    """The provider's account for an identity it vouches for (created on first use)."""
    digits = normalise(national_id)
    account = DemoIdpAccount.objects.select_related("user").filter(national_id=digits).first()
    if account:
        return account.user
    with transaction.atomic():
        user = User.objects.create(username=f"demo-idp-{secrets.token_hex(6)}")
        user.set_unusable_password()
        user.save(update_fields=["password"])
        DemoIdpAccount.objects.create(
            user=user,
            country="KR" if len(digits) == 13 else "BE",
            national_id=digits,
            given_name=given_name[:100],
            family_name=family_name[:100],
        )
    return user


def remember_pick(request: HttpRequest, user: User) -> None:
    request.session[PICK_SESSION_KEY] = {"user": user.pk, "at": int(time.time())}


def take_pick(request: HttpRequest) -> User | None:
    pick = request.session.pop(PICK_SESSION_KEY, None)
    if not pick or time.time() - pick.get("at", 0) > PICK_LIFETIME:
        return None
    return User.objects.filter(pk=pick["user"], demoidpaccount__isnull=False).first()


class DemoAuthorizationView(AuthorizationView):
    """DOT's authorization endpoint, signed in as the picked demo identity."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        demo_only()
        identity = take_pick(request)
        if identity is None:
            query = urlencode({"next": request.get_full_path()})
            return HttpResponseRedirect(f"/oidc/pick?{query}")
        request.user = identity
        return super().dispatch(request, *args, **kwargs)


def demo_client_register(*, base_urls: list[str]) -> None:
    """Create or update the demo relying party's registration at the demo provider.

    The demo provider keeps the client secret as it is (`hash_client_secret=False`): the
    relying party needs the plaintext anyway (`ELOKET_DEMO_OIDC_CLIENT_SECRET`, kept in
    var/ beside the database), so a password hash of it would protect nothing, and checking
    one (PBKDF2, about half a second of CPU) on every token request made each citizen's demo
    login cost as much as an officer's password (docs/scaling.md). DOT then compares the
    secret in constant time. The provider runs only in demo mode, never in production; a
    real provider is another machine with its own rules.
    """
    Application = get_application_model()
    redirect_uris = " ".join(f"{base.rstrip('/')}/auth/oidc/callback" for base in base_urls)
    app = Application.objects.filter(client_id=settings.ELOKET_DEMO_OIDC_CLIENT_ID).first()
    if app is not None and _registered_as_wanted(app, redirect_uris):
        # Every `make run` calls this: save only when something changed.
        return
    if app is None:
        app = Application(client_id=settings.ELOKET_DEMO_OIDC_CLIENT_ID)
    app.name = "Eloket (demo relying party)"
    app.client_type = Application.CLIENT_CONFIDENTIAL
    app.authorization_grant_type = Application.GRANT_AUTHORIZATION_CODE
    app.hash_client_secret = False
    app.client_secret = settings.ELOKET_DEMO_OIDC_CLIENT_SECRET
    app.redirect_uris = redirect_uris
    app.algorithm = Application.RS256_ALGORITHM
    app.skip_authorization = True
    app.save()
    _note().write_text(_fingerprint(app.client_secret))


def _note() -> Path:
    return Path(settings.VAR_DIR) / "demo_oidc_client_registered"


def _fingerprint(stored_hash: str) -> str:
    """Ties the stored hash to the plaintext in settings without hashing it again: a new
    secret, or a hash changed in the database, no longer matches."""
    material = f"{settings.ELOKET_DEMO_OIDC_CLIENT_SECRET}\n{stored_hash}".encode()
    return hashlib.sha256(material).hexdigest()


def _registered_as_wanted(app: Any, redirect_uris: str) -> bool:
    Application = get_application_model()
    note = _note()
    return (
        app.redirect_uris == redirect_uris
        and app.client_type == Application.CLIENT_CONFIDENTIAL
        and app.authorization_grant_type == Application.GRANT_AUTHORIZATION_CODE
        and app.algorithm == Application.RS256_ALGORITHM
        and app.skip_authorization
        and not app.hash_client_secret
        and note.is_file()
        and hmac.compare_digest(note.read_text().strip(), _fingerprint(app.client_secret))
    )


def demo_base_urls() -> list[str]:
    """Where the demo is reached: the configured base URL, and localhost for 127.0.0.1."""
    base = settings.ELOKET_BASE_URL.rstrip("/")
    urls = [base]
    if "://127.0.0.1" in base:
        urls.append(base.replace("://127.0.0.1", "://localhost"))
    return urls
