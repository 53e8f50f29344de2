import hashlib
import ipaddress
import json
import re
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from eloket.common.models import TimeStampedModel
from eloket.common.text import hidden_character_problem
from eloket.tenants import tokens as design_tokens

SLUG_RE = re.compile(r"^[a-z][a-z0-9-]{1,48}[a-z0-9]$")
# Path prefixes the platform itself uses: a municipality cannot take them as its slug.
RESERVED_SLUGS = frozenset(
    {
        "admin",
        "api",
        "healthz",
        "readyz",
        "metrics",
        "static",
        "media",
        "accounts",
        "oidc",
        "auth",
        "login",
        "logout",
        "embed",
        "verify",
        "docs",
        "www",
        "eloket",
        "platform",
        "favicon-ico",
    }
)
HOST_RE = re.compile(
    r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$"
)
COLOUR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")
SUPPORTED_LANGUAGES = tuple(code for code, _name in settings.LANGUAGES)
LOGO_TYPES = {"image/svg+xml", "image/png", "image/webp"}
MAX_LOGO_BYTES = 20 * 1024
MAX_CUSTOM_CSS_BYTES = 8 * 1024
MAX_FRAME_ORIGINS = 20


def frame_origin(text: str) -> str:
    """A site allowed to show the municipality's pages in a frame (docs/embedding.md), as
    the origin a browser compares (`https://www.gent.be`, `https://x.be:8443`): https, or
    http on a loopback address only; no path, query, user name or wildcard. Raises a
    ValidationError with the reason; returns the origin written as CSP names it."""
    value = (text or "").strip()
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        parts, port = None, None
    if (
        parts is None
        or parts.scheme.lower() not in ("http", "https")
        or not parts.hostname
        or parts.username is not None
        or parts.password is not None
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
        or "?" in value
        or "#" in value
    ):
        raise ValidationError(
            _("“%(value)s” is not an origin: write it as https://www.example.be, without a path.")
            % {"value": value[:100]}
        )
    scheme, host = parts.scheme.lower(), parts.hostname.lower()
    try:
        address: ipaddress.IPv4Address | ipaddress.IPv6Address | None = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if address is None and not HOST_RE.match(host) and host != "localhost":
        raise ValidationError(_("“%(value)s” does not name a valid host.") % {"value": value[:100]})
    loopback = host == "localhost" or (address is not None and address.is_loopback)
    if scheme == "http" and not loopback:
        raise ValidationError(
            _("“%(value)s”: use https (http only for this machine, 127.0.0.1 or localhost).")
            % {"value": value[:100]}
        )
    shown = f"[{host}]" if address is not None and address.version == 6 else host
    default = 443 if scheme == "https" else 80
    return f"{scheme}://{shown}" + (f":{port}" if port and port != default else "")


class Country(models.TextChoices):
    BELGIUM = "BE", _("Belgium")
    SOUTH_KOREA = "KR", _("South Korea")


class Module(models.TextChoices):
    """Capabilities a municipality can switch on. Later issues add their own."""

    CERTIFICATES = "certificates", _("Certificates")
    PERMITS = "permits", _("Permits")
    PARTICIPATION = "participation", _("Participation")
    PETITIONS = "petitions", _("Petitions")


# NIS codes are five digits in Belgium; Korean administrative codes are ten digits
# (the first two name the province or special city).
NIS_CODE_RE = {
    Country.BELGIUM: re.compile(r"^\d{5}$"),
    Country.SOUTH_KOREA: re.compile(r"^\d{10}$"),
}


class Municipality(TimeStampedModel):
    """A tenant: one municipality served by the platform."""

    slug = models.SlugField(max_length=50, unique=True)
    names = models.JSONField(help_text="Official name per language code, e.g. {'nl': 'Gent'}.")
    country = models.CharField(max_length=2, choices=Country.choices)
    nis_code = models.CharField(_("statistical code"), max_length=10)
    languages = models.JSONField(help_text="Language codes offered, first is the default.")
    host = models.CharField(max_length=253, unique=True, null=True, blank=True)

    # Branding.
    logo = models.BinaryField(blank=True, default=b"", editable=True)
    logo_content_type = models.CharField(max_length=40, blank=True)
    primary_colour = models.CharField(max_length=7, default="#1d4f91")
    secondary_colour = models.CharField(max_length=7, default="#f2f5f9")
    font_stack = models.CharField(max_length=200, default="system-ui, sans-serif")
    custom_css = models.TextField(blank=True)
    # The other design tokens (tenants/tokens.py, docs/theming.md), only those set. The
    # database's own default too: code of an older migration inserts rows without it.
    tokens = models.JSONField(default=dict, blank=True, db_default={})

    # Contact details shown on every page.
    contact_email = models.EmailField(blank=True)
    contact_phone = models.CharField(max_length=40, blank=True)
    contact_address = models.CharField(max_length=200, blank=True)
    website = models.URLField(blank=True)

    modules = models.JSONField(
        default=list, blank=True, help_text="Enabled modules, e.g. ['certificates']."
    )
    # Sites that may show the municipality's citizen pages in a frame (the embed.js
    # snippet, docs/embedding.md): their origins, named in frame-ancestors.
    # (db_default: rows written by code that predates the column, e.g. a migration test.)
    frame_origins = models.JSONField(
        _("sites that may frame the pages"), default=list, db_default=[], blank=True
    )
    is_active = models.BooleanField(default=True)
    # Kept up to date on save, so that pages need not load the logo or the CSS to link them.
    has_logo = models.BooleanField(default=False, editable=False)
    branding_version = models.CharField(max_length=12, blank=True, editable=False)

    class Meta:
        ordering = ["slug"]
        verbose_name_plural = "municipalities"
        constraints = [
            models.UniqueConstraint(fields=["country", "nis_code"], name="municipality_unique_nis")
        ]

    def __str__(self) -> str:
        return self.display_name()

    @property
    def default_language(self) -> str:
        return str(self.languages[0])

    def display_name(self, language: str | None = None) -> str:
        names: dict[str, str] = self.names or {}
        if language and language in names:
            return names[language]
        for code in self.languages or []:
            if code in names:
                return names[code]
        return next(iter(names.values()), self.slug)

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.has_logo = bool(self.logo)
        self.branding_version = self.compute_branding_version()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "has_logo", "branding_version"}
        super().save(*args, **kwargs)

    def compute_branding_version(self) -> str:
        """Changes whenever the branding does: cache-busts theme.css and the logo."""
        digest = hashlib.sha256()
        tokens = json.dumps(self.tokens or {}, sort_keys=True)
        for part in (self.primary_colour, self.secondary_colour, self.font_stack, tokens):
            digest.update(part.encode())
            digest.update(b"\0")
        digest.update(self.custom_css.encode())
        digest.update(bytes(self.logo or b""))
        return digest.hexdigest()[:12]

    def clean(self) -> None:
        errors: dict[str, list[Any]] = {}

        def add(field: str, message: Any) -> None:
            errors.setdefault(field, []).append(message)

        if not SLUG_RE.match(self.slug or ""):
            add(
                "slug",
                str(_("Use 3 to 50 lowercase letters, digits or hyphens, starting with a letter.")),
            )
        elif self.slug in RESERVED_SLUGS:
            add("slug", str(_("This name is reserved by the platform.")))
        if not isinstance(self.languages, list) or not self.languages:
            add("languages", str(_("Offer at least one language.")))
        else:
            unknown = [code for code in self.languages if code not in SUPPORTED_LANGUAGES]
            if unknown:
                add(
                    "languages",
                    str(
                        _("Unknown language: %(codes)s. Choose from %(known)s.")
                        % {
                            "codes": ", ".join(map(str, unknown)),
                            "known": ", ".join(SUPPORTED_LANGUAGES),
                        }
                    ),
                )
            if len(set(self.languages)) != len(self.languages):
                add("languages", str(_("A language is listed twice.")))
        for field in ("names", "contact_phone", "contact_address"):
            problem = hidden_character_problem(getattr(self, field))
            if problem:
                add(field, problem)
        if not isinstance(self.names, dict) or not any(str(v).strip() for v in self.names.values()):
            add("names", str(_("Give the official name.")))
        elif any(code not in SUPPORTED_LANGUAGES for code in self.names):
            add("names", str(_("Names are keyed by a supported language code.")))
        pattern = NIS_CODE_RE.get(Country(self.country)) if self.country in Country.values else None
        if pattern and not pattern.match(self.nis_code or ""):
            digits = 5 if self.country == Country.BELGIUM else 10
            add("nis_code", str(_("The statistical code has %(n)d digits here.") % {"n": digits}))
        if self.host is not None:
            self.host = self.host.strip().lower() or None
        if self.host and not HOST_RE.match(self.host):
            add("host", str(_("Not a valid host name.")))
        self._clean_tokens(add)
        if len((self.custom_css or "").encode()) > MAX_CUSTOM_CSS_BYTES:
            add("custom_css", str(_("Custom CSS is limited to 8 KB to keep pages light.")))
        if "</" in (self.custom_css or "") or "@import" in (self.custom_css or "").lower():
            add("custom_css", str(_("Custom CSS may not contain @import or markup.")))
        if self.logo:
            if self.logo_content_type not in LOGO_TYPES:
                add("logo", str(_("The logo must be SVG, PNG or WebP.")))
            if len(bytes(self.logo)) > MAX_LOGO_BYTES:
                add("logo", str(_("The logo is limited to 20 KB to keep pages light.")))
        valid_modules = set(Module.values)
        if not isinstance(self.modules, list) or any(m not in valid_modules for m in self.modules):
            add(
                "modules",
                str(
                    _("Unknown module. Choose from %(known)s.")
                    % {"known": ", ".join(Module.values)}
                ),
            )
        if not isinstance(self.frame_origins, list):
            add("frame_origins", str(_("Give a list of origins.")))
        else:
            origins: list[str] = []
            for value in self.frame_origins:
                try:
                    origin = frame_origin(str(value))
                except ValidationError as exc:
                    add("frame_origins", " ".join(exc.messages))
                    continue
                if origin not in origins:
                    origins.append(origin)
            if len(origins) > MAX_FRAME_ORIGINS:
                add(
                    "frame_origins",
                    str(_("At most %(n)d sites may frame the pages.") % {"n": MAX_FRAME_ORIGINS}),
                )
            if "frame_origins" not in errors:
                self.frame_origins = origins
        if errors:
            raise ValidationError(errors)

    def _clean_tokens(self, add: Any) -> None:
        """The look's tokens by type, then their colours' contrast (WCAG 2.2 AA). An error
        carries the code `token:<name>`, so that a form can show it at that token."""
        sound = True
        for field in ("primary_colour", "secondary_colour"):
            if not COLOUR_RE.match(getattr(self, field) or ""):
                add(field, ValidationError(_("Use a colour like #1d4f91."), code="invalid"))
                sound = False
            else:
                setattr(self, field, getattr(self, field).lower())
        try:
            self.font_stack = design_tokens.clean_font(self.font_stack or "")
        except design_tokens.TokenError as exc:
            add("font_stack", ValidationError(str(exc), code="invalid"))
        for name, message in design_tokens.stored_problems(self.tokens):
            add("tokens", ValidationError(message, code=f"token:{name}"))
            sound = False
        if not sound:
            return
        for problem in design_tokens.contrast_problems(design_tokens.values_of(self)):
            column = design_tokens.BY_NAME[problem.token].column
            add(column, ValidationError(problem.message, code=f"token:{problem.token}"))

    @property
    def look(self) -> dict[str, str]:
        """Every design token's value, defaults filled in."""
        return design_tokens.values_of(self)


class PluginSetting(TimeStampedModel):
    """A municipality's choice and options of one plugin of a registry (a delivery
    channel, a document signer, a register backend, an identity provider), checked
    against the plugin's JSON Schema (`common/registry.py`)."""

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="plugin_settings"
    )
    registry = models.CharField(max_length=60, help_text="e.g. delivery_channels")
    plugin = models.CharField(max_length=60, help_text="The plugin's id in that registry.")
    enabled = models.BooleanField(default=True)
    options = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["municipality", "registry", "plugin"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "registry", "plugin"], name="plugin_setting_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.registry}/{self.plugin}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        from eloket.tenants.invalidation import tenant_change_announce
        from eloket.tenants.selectors import municipality_cache_clear

        municipality_cache_clear()
        tenant_change_announce()

    def clean(self) -> None:
        from eloket.common.registry import REGISTRIES, ApplicationError

        registry = REGISTRIES.get(self.registry)
        if registry is None or not registry.configurable:
            known = sorted(name for name, r in REGISTRIES.items() if r.configurable)
            raise ValidationError(
                {"registry": _("Choose one of: %(ids)s.") % {"ids": ", ".join(known)}}
            )
        try:
            self.options = registry.validate_options(self.plugin, self.options or {})
        except ApplicationError as exc:
            field = "plugin" if exc.code == "unknown_plugin" else "options"
            raise ValidationError({field: str(exc)}) from exc


class ChromeStatus(models.TextChoices):
    NEVER = "never", _("Not fetched yet")
    OK = "ok", _("Fetched")
    FAILED = "failed", _("Last fetch failed")


class HostChrome(TimeStampedModel):
    """The municipality's own web site around Eloket's pages (issue 15, docs/embedding.md):
    a template page of its site, fetched on the server, sanitised and split around the
    element marked `data-eloket-content`. The last good copy is kept and served while the
    host is down; `enabled` switches back to Eloket's own chrome."""

    municipality = models.OneToOneField(
        Municipality, on_delete=models.CASCADE, related_name="host_chrome"
    )
    template_url = models.URLField(_("template page"), max_length=500)
    enabled = models.BooleanField(_("serve pages inside it"), default=False)
    keep_host_scripts = models.BooleanField(
        _("keep the host's scripts"),
        default=False,
        help_text=_(
            "Only on the municipality's own host name, never on log-in, officer or admin pages."
        ),
    )
    # Set by the operator's command line (which may name a loopback address): the
    # scheduled refresh fetches it under the same rule.
    set_by_operator = models.BooleanField(default=False, editable=False)
    # The last good copy (sanitised HTML).
    head_html = models.TextField(blank=True)
    before_html = models.TextField(blank=True)
    after_html = models.TextField(blank=True)
    body_class = models.CharField(max_length=200, blank=True)
    inside_main = models.BooleanField(default=False)
    scripts = models.JSONField(default=list, blank=True)
    style_origins = models.JSONField(default=list, blank=True)
    style_hashes = models.JSONField(default=list, blank=True)
    report = models.JSONField(default=dict, blank=True)
    version = models.CharField(max_length=16, blank=True)
    fetched_at = models.DateTimeField(null=True, blank=True)
    # The last attempt, good or not.
    status = models.CharField(max_length=10, choices=ChromeStatus.choices, default="never")
    checked_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        verbose_name = _("host chrome")

    def __str__(self) -> str:
        return self.template_url

    @property
    def usable(self) -> bool:
        return bool(self.enabled and self.version)
