"""Identity providers as plugins (`identity_providers`): how citizens may log in. Each
municipality's login page offers the providers that are available to it; a provider's
per-municipality options (an OIDC federation's issuer and client, say) are a
`tenants.PluginSetting`, validated against the provider's JSON Schema, and set by the
platform operator only (the admin refuses municipality administrators: who may vouch
for a national number is the platform's decision)."""

from typing import Any, ClassVar

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from eloket.common.registry import Plugin, Registry
from eloket.tenants.selectors import plugin_options

REGISTRY = "identity_providers"


class IdentityProvider(Plugin):
    login_url_name: ClassVar[str] = ""
    title: Any = ""
    description: Any = ""
    button: Any = ""

    def options(self, municipality: Any) -> dict[str, Any] | None:
        """The municipality's options, or None when it switched the provider off."""
        return plugin_options(municipality=municipality, registry=REGISTRY, plugin=self.id)

    def available(self, municipality: Any) -> bool:
        return self.options(municipality) is not None


identity_providers: Registry[IdentityProvider] = Registry(
    REGISTRY, description="identity provider", configurable=True, operator_only=True
)


@identity_providers.register("oidc")
class OpenIdConnect(IdentityProvider):
    """An eID federation (itsme, CSAM, FranceConnect, Keycloak), or the demo provider."""

    verbose_name = "OpenID Connect eID federation"
    login_url_name = "identity:oidc-login"
    title = _("With an eID app or identity provider")
    description = _("itsme, the eID portal or your country's login service.")
    button = _("Log in with eID")
    options_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "issuer": {"type": "string", "pattern": "^https?://[^\\s/$.?#][^\\s]*$"},
            "client_id": {"type": "string", "minLength": 1, "maxLength": 200},
            "client_secret": {"type": "string", "maxLength": 500},
            "national_id_claim": {"type": "string", "pattern": "^[A-Za-z0-9_:.\\-]{1,100}$"},
            "scope": {"type": "string", "pattern": "^openid( [A-Za-z0-9_:.\\-]+)*$"},
        },
    }

    def check_options(self, options: dict[str, Any]) -> None:
        """An issuer of the platform's federation only, on a public address (outside demo):
        a municipality's setting cannot make the platform believe any other provider."""
        from eloket.identity.providers.oidc import check_issuer

        if options.get("issuer"):
            check_issuer(str(options["issuer"]))


@identity_providers.register("eid_card")
class EidCard(IdentityProvider):
    """The eID card's certificate, behind the TLS proxy (needs EID_CA_BUNDLE)."""

    verbose_name = "eID card and card reader"
    login_url_name = "identity:eid-card-login"
    title = _("With your eID card and a card reader")
    description = _("Insert your card; your browser will ask for its PIN.")
    button = _("Log in with the eID card")

    def available(self, municipality: Any) -> bool:
        return bool(settings.ELOKET_EID_CA_BUNDLE) and super().available(municipality)
