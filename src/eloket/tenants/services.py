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
