"""Writes of municipalities: onboarding and configuration."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from eloket.common.actors import Actor
from eloket.common.errors import ApplicationError, Conflict
from eloket.common.permissions import Permission, authorize, authorize_platform
from eloket.common.registry import Plugin, Registry
from eloket.tenants.models import Module, Municipality

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
