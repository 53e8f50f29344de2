"""Writes of municipalities: onboarding and configuration."""

import datetime as dt
import logging
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from eloket.common.actors import Actor, ActorKind
from eloket.common.errors import ApplicationError, Conflict
from eloket.common.permissions import Permission, authorize, authorize_platform
from eloket.common.registry import Plugin, Registry
from eloket.tenants.chrome import (
    ChromeRefused,
    FetchPolicy,
    Sanitised,
    chrome_cache_clear,
    fetch,
    host_names_of,
    sanitise,
)
from eloket.tenants.models import ChromeStatus, HostChrome, Module, Municipality
from eloket.tenants.tokens import (
    BY_NAME,
    TokenError,
    TokenImport,
    TokensFileError,
    clean_value,
    read_tokens_file,
)

log = logging.getLogger(__name__)

DEFAULT_MODULES = [Module.CERTIFICATES.value, Module.PARTICIPATION.value]


class MunicipalitySetup(Plugin):
    """What a module sets up for a new municipality (certificates: its catalogue)."""

    def set_up(self, municipality: Municipality) -> None:
        raise NotImplementedError


municipality_setups: Registry[MunicipalitySetup] = Registry(
    "municipality_setups", description="municipality set-up"
)


def _validation_message(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        return "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items())
    return " ".join(exc.messages)


@transaction.atomic
def municipality_create(
    *,
    actor: Actor,
    slug: str,
    names: dict[str, str],
    country: str,
    nis_code: str,
    languages: list[str],
    host: str | None = None,
    modules: list[str] | None = None,
    **branding_and_contact: Any,
) -> Municipality:
    """Onboard a municipality (the platform operator's act). Refuses a bad or duplicate
    slug, host or NIS code."""
    authorize_platform(actor)
    languages = [code.strip().lower() for code in languages if code.strip()]
    # A name given without a language ("*") applies to every offered language not named.
    if "*" in names:
        names = dict(names)
        plain = names.pop("*")
        names = {**dict.fromkeys(languages, plain), **names}
    municipality = Municipality(
        slug=slug.strip(),
        names=names,
        country=country.strip().upper(),
        nis_code=nis_code.strip(),
        languages=languages,
        host=host or None,
        modules=list(DEFAULT_MODULES if modules is None else modules),
        **branding_and_contact,
    )
    try:
        municipality.full_clean()
    except ValidationError as exc:
        duplicate_fields = {
            field
            for field, errors in exc.error_dict.items()
            for error in errors
            if error.code == "unique"
        } | {
            "nis_code"
            for error in exc.error_dict.get("__all__", [])
            if error.code in {"unique", "unique_together"}
        }
        if duplicate_fields:
            raise Conflict(
                _("A municipality with this %(fields)s already exists.")
                % {"fields": ", ".join(sorted(duplicate_fields))},
                code="duplicate",
            ) from exc
        raise ApplicationError(_validation_message(exc), code="invalid_municipality") from exc
    try:
        with transaction.atomic():
            municipality.save()
    except IntegrityError as exc:  # a concurrent create of the same slug
        raise Conflict(
            _("A municipality with this slug already exists."), code="duplicate"
        ) from exc
    for setup in municipality_setups:
        setup.set_up(municipality)
    return municipality


@transaction.atomic
def municipality_update(
    *, actor: Actor, municipality: Municipality, **changes: Any
) -> Municipality:
    """Change configuration (branding, languages, modules, contact); validated first."""
    authorize(actor, municipality, Permission.CONFIGURE)
    for field, value in changes.items():
        setattr(municipality, field, value)
    try:
        municipality.full_clean()
    except ValidationError as exc:
        raise ApplicationError(_validation_message(exc), code="invalid_municipality") from exc
    municipality.save()
    return municipality


# --- Design tokens (issue 15, point 2; docs/theming.md).


def municipality_tokens_set(
    *, actor: Actor, municipality: Municipality, values: dict[str, Any]
) -> Municipality:
    """Set design tokens by Eloket's names ({"colour.link": "#005ca9"}); an empty value goes
    back to the default. Each value is checked by its type and the colours' contrast
    against WCAG 2.2 AA: a refusal (ApplicationError, code invalid_tokens) names the token
    or the failing pair and changes nothing."""
    authorize(actor, municipality, Permission.CONFIGURE)
    changes: dict[str, Any] = {}
    tokens = dict(municipality.tokens or {}) if isinstance(municipality.tokens, dict) else {}
    problems: list[str] = []
    for name, raw in values.items():
        token = BY_NAME.get(name)
        if token is None:
            problems.append(_("Unknown design token: %(name)s.") % {"name": name})
            continue
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            value = token.default
        else:
            try:
                value = clean_value(token, raw)
            except TokenError as exc:
                problems.append(f"{name}: {exc}")
                continue
        if token.column == "tokens":
            if value and value != token.default:
                tokens[name] = value
            else:
                tokens.pop(name, None)
        else:
            changes[token.column] = value
    if problems:
        raise ApplicationError(" ".join(problems), code="invalid_tokens")
    before = {field: getattr(municipality, field) for field in (*changes, "tokens")}
    for field, value in {**changes, "tokens": tokens}.items():
        setattr(municipality, field, value)
    try:
        municipality.full_clean()
    except ValidationError as exc:
        for field, value in before.items():  # the caller's object as it was
            setattr(municipality, field, value)
        raise ApplicationError(" ".join(exc.messages), code="invalid_tokens") from exc
    municipality.save()
    return municipality


def municipality_tokens_import(
    *, actor: Actor, municipality: Municipality, content: bytes
) -> TokenImport:
    """Set the design tokens a Style Dictionary / NL Design System tokens file gives
    (docs/theming.md): the names Eloket knows are applied over the current look, the others
    reported as ignored. A bad file, value or contrast changes nothing."""
    authorize(actor, municipality, Permission.CONFIGURE)
    try:
        result = read_tokens_file(content)
    except TokensFileError as exc:
        raise ApplicationError(str(exc), code="invalid_tokens") from exc
    if not result.values:
        raise ApplicationError(
            _("The file holds no token Eloket uses: nothing was changed."), code="invalid_tokens"
        )
    municipality_tokens_set(actor=actor, municipality=municipality, values=result.values)
    return result


# --- The host's own chrome (issue 15, docs/embedding.md).


def _policy(municipality: Municipality, *, operator: bool) -> FetchPolicy:
    if operator:
        # The operator's command line: any host name, loopback too (a host site proxied
        # on the same machine, the demo's sample site); never private or link-local.
        return FetchPolicy(hosts=None, allow_loopback=True)
    return FetchPolicy(hosts=host_names_of(municipality), allow_loopback=False)


def host_chrome_fetch(
    *, actor: Actor, municipality: Municipality, url: str, operator: bool = False
) -> Sanitised:
    """Fetch and sanitise a template page without keeping it (the admin's preview).
    `operator`: the platform operator's rule (loopback allowed), only for system actors."""
    authorize(actor, municipality, Permission.CONFIGURE)
    if operator and actor.kind != ActorKind.SYSTEM:
        raise ChromeRefused(_("Only the platform operator may fetch from this machine."))
    final_url, text = fetch(url.strip(), _policy(municipality, operator=operator))
    return sanitise(text, final_url, script_hosts=host_names_of(municipality))


def _keep(row: HostChrome, result: Sanitised, now: dt.datetime) -> None:
    row.head_html = result.head_html
    row.before_html = result.before_html
    row.after_html = result.after_html
    row.body_class = result.body_class
    row.inside_main = result.inside_main
    row.scripts = result.scripts
    row.style_origins = result.style_origins
    row.style_hashes = result.style_hashes
    row.report = {"kept": result.kept, "removed": result.removed}
    row.version = result.version
    row.fetched_at = now
    row.status = ChromeStatus.OK
    row.checked_at = now
    row.last_error = ""


def host_chrome_set(
    *,
    actor: Actor,
    municipality: Municipality,
    url: str,
    keep_host_scripts: bool = False,
    operator: bool = False,
) -> tuple[HostChrome, Sanitised]:
    """Fetch `url`, keep it as the municipality's chrome and serve its pages inside it
    ("use it"). A refusal (ChromeRefused) changes nothing."""
    result = host_chrome_fetch(actor=actor, municipality=municipality, url=url, operator=operator)
    with transaction.atomic():
        row = HostChrome.objects.select_for_update().filter(municipality=municipality).first()
        if row is None:
            row = HostChrome(municipality=municipality)
        row.template_url = url.strip()
        row.enabled = True
        row.keep_host_scripts = keep_host_scripts
        row.set_by_operator = operator
        _keep(row, result, timezone.now())
        row.save()
    chrome_cache_clear()
    return row, result


def host_chrome_switch(*, actor: Actor, municipality: Municipality, on: bool) -> bool:
    """Serve the pages inside the host's chrome (on) or Eloket's own (off). Switching on
    needs a good copy. True when something changed."""
    authorize(actor, municipality, Permission.CONFIGURE)
    row = HostChrome.objects.filter(municipality=municipality).first()
    if row is None or (on and not row.version):
        if not on:
            return False
        raise ChromeRefused(_("There is no host chrome to use: give a template page first."))
    if row.enabled == on:
        return False
    row.enabled = on
    row.save(update_fields=["enabled", "updated_at"])
    chrome_cache_clear()
    return True


def host_chrome_refresh(*, actor: Actor, municipality: Municipality) -> bool:
    """Fetch the template page again. On failure the last good copy stays in use and the
    failure is noted (status, last_error). True when the new copy was kept."""
    authorize(actor, municipality, Permission.CONFIGURE)
    row = HostChrome.objects.filter(municipality=municipality).first()
    if row is None:
        return False
    now = timezone.now()
    try:
        final_url, text = fetch(
            row.template_url, _policy(municipality, operator=row.set_by_operator)
        )
        result = sanitise(text, final_url, script_hosts=host_names_of(municipality))
    except ApplicationError as exc:
        HostChrome.objects.filter(pk=row.pk).update(
            status=ChromeStatus.FAILED, checked_at=now, last_error=str(exc)[:500]
        )
        log.warning("host chrome of %s not refreshed: %s", municipality.slug, exc)
        return False
    _keep(row, result, now)
    row.save()
    chrome_cache_clear()
    return True
