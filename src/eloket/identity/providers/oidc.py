"""Citizens' login through an OpenID Connect provider (an eID federation or the demo IdP).

Authlib's Django client runs the authorization-code flow with PKCE (S256), a state and a
nonce, and checks the ID token's signature against the provider's JWKS, its issuer,
audience, expiry and nonce. The national identifier comes from a configured claim.
Settings: `ELOKET_OIDC` (platform), overridden per municipality by the options of the
`oidc` identity provider (providers/registry.py), which only the platform operator sets.

Who may vouch for a national number is the platform's decision: an issuer is used only if
it is the platform's own or in `ELOKET_OIDC_ISSUERS` (the federation's allow-list), and
outside demo mode the server fetches nothing from an issuer, token, key or user-info
address on loopback, private or link-local networks (common/netguard.py).
"""

import hashlib
import logging
from dataclasses import dataclass
from typing import Any

from authlib.integrations.base_client import OAuthError
from authlib.integrations.django_client import OAuth
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from joserfc.errors import JoseError

from eloket.common.errors import ApplicationError
from eloket.common.netguard import UnsafeAddress, public_url
from eloket.tenants.models import Municipality

logger = logging.getLogger(__name__)


class OidcNotConfigured(ApplicationError):
    code = "oidc_not_configured"
    status = 503


class OidcFailed(ApplicationError):
    code = "oidc_failed"
    status = 400


@dataclass(frozen=True)
class OidcConfig:
    issuer: str
    client_id: str
    client_secret: str
    national_id_claim: str
    scope: str

    @property
    def registry_name(self) -> str:
        # One Authlib client per distinct configuration (it caches the provider metadata).
        digest = hashlib.sha256(
            f"{self.issuer}|{self.client_id}|{self.client_secret}".encode()
        ).hexdigest()
        return f"oidc-{digest[:16]}"


def allowed_issuers() -> set[str]:
    """The federation: the platform's issuer and those the operator listed."""
    listed = [str(settings.ELOKET_OIDC.get("issuer") or ""), *settings.ELOKET_OIDC_ISSUERS]
    return {issuer.rstrip("/") for issuer in listed if issuer}


def check_issuer(issuer: str) -> str:
    """`issuer` if the platform trusts it to vouch for national numbers, and may call it."""
    issuer = issuer.rstrip("/")
    if issuer not in allowed_issuers():
        raise OidcNotConfigured(
            _(
                "The identity provider %(issuer)s is not one of the platform's federation; "
                "the platform operator lists those in OIDC_ISSUERS."
            )
            % {"issuer": issuer[:200]},
            code="issuer_not_allowed",
        )
    public_url(issuer)
    return issuer


# Addresses from the discovery document that the server itself calls.
SERVER_SIDE_ENDPOINTS = ("token_endpoint", "jwks_uri", "userinfo_endpoint")


def oidc_config(municipality: Municipality | None) -> OidcConfig:
    from eloket.identity.providers.registry import identity_providers

    base: dict[str, str] = dict(settings.ELOKET_OIDC)
    if municipality is not None:
        options = identity_providers["oidc"].options(municipality)
        if options is None:
            raise OidcNotConfigured(
                _("%(name)s does not offer login through an identity provider.")
                % {"name": municipality.display_name()}
            )
        for field in ("issuer", "client_id", "client_secret", "national_id_claim", "scope"):
            value = str(options.get(field) or "")
            if value:
                base[field] = value.rstrip("/") if field == "issuer" else value
    if not base.get("issuer") or not base.get("client_id"):
        raise OidcNotConfigured(
            _("Login with eID through an identity provider is not set up on this platform.")
        )
    try:
        issuer = check_issuer(base["issuer"])
    except UnsafeAddress as exc:
        raise OidcNotConfigured(str(exc), code=exc.code) from exc
    return OidcConfig(
        issuer=issuer,
        client_id=base["client_id"],
        client_secret=base.get("client_secret", ""),
        national_id_claim=base.get("national_id_claim") or "national_number",
        scope=base.get("scope") or "openid profile",
    )


_oauth = OAuth()


def _client(config: OidcConfig) -> Any:
    client = _oauth.create_client(config.registry_name)
    if client is None:
        client = _oauth.register(
            name=config.registry_name,
            client_id=config.client_id,
            client_secret=config.client_secret,
            server_metadata_url=f"{config.issuer}/.well-known/openid-configuration",
            client_kwargs={"scope": config.scope, "code_challenge_method": "S256", "timeout": 10},
        )
    _check_metadata(config, client.load_server_metadata())
    return client


def _check_metadata(config: OidcConfig, metadata: dict[str, Any]) -> None:
    """The discovery document speaks for the configured issuer, and names no address the
    server would call on an internal network (checked before any of them is called)."""
    if str(metadata.get("issuer") or "").rstrip("/") != config.issuer:
        raise OidcFailed(_("The identity provider's discovery document names another issuer."))
    for name in SERVER_SIDE_ENDPOINTS:
        if metadata.get(name):
            try:
                public_url(str(metadata[name]))
            except UnsafeAddress as exc:
                raise OidcFailed(str(exc), code=exc.code) from exc


def oidc_forget_clients() -> None:
    """Drop cached clients and the provider metadata and keys they fetched."""
    _oauth._clients.clear()
    _oauth._registry.clear()


def oidc_start(
    request: HttpRequest, *, config: OidcConfig, redirect_uri: str, extra: dict[str, str]
) -> HttpResponse:
    """Redirect the browser to the provider (state, nonce and PKCE verifier in the session)."""
    try:
        return _client(config).authorize_redirect(request, redirect_uri, **extra)
    except (OAuthError, OSError, ValueError) as exc:
        raise OidcFailed(
            _("The identity provider cannot be reached. Please try again later.")
        ) from exc


def oidc_finish(request: HttpRequest, *, config: OidcConfig) -> str:
    """Complete the flow on the callback; the national identifier the provider vouches for."""
    if request.GET.get("error"):
        raise OidcFailed(
            _("The identity provider did not log you in (%(reason)s).")
            % {"reason": request.GET.get("error_description") or request.GET["error"]}
        )
    try:
        token = _client(config).authorize_access_token(request)
    except (OAuthError, JoseError, OSError, ValueError, KeyError) as exc:
        # A replayed or forged callback (state or nonce mismatch), a bad signature, an
        # expired token or an unreachable provider: the person simply starts again. The
        # reason is logged for the operator (the provider's error code, never a claim).
        logger.warning("OIDC login not completed: %s: %s", type(exc).__name__, exc)
        raise OidcFailed(
            _("Your login could not be completed (%(reason)s). Please start again.")
            % {"reason": getattr(exc, "description", None) or type(exc).__name__}
        ) from exc
    claims = token.get("userinfo") or {}
    national_id = str(claims.get(config.national_id_claim) or "")
    if not national_id:
        raise OidcFailed(_("The identity provider did not say who you are (no national number)."))
    return national_id
