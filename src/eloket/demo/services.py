"""Loading the demo municipalities and their synthetic residents. Idempotent: a
municipality that exists is left as it is, a register that holds people is not refilled."""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings

from eloket.demo.data import MUNICIPALITIES, DemoMunicipality, logo_svg
from eloket.register.demo import GeneratedRegister, generate_register
from eloket.register.models import full_name
from eloket.register.selectors import register_counts
from eloket.register.services import register_import_records
from eloket.tenants.models import Municipality
from eloket.tenants.services import municipality_create

# Demo people are generated as of this day, so the same seed gives the same people
# (same ages, same dates) whatever day the demo is loaded.
DEMO_REFERENCE_DATE = dt.date(2026, 11, 1)

Say = Callable[[str], None]


@dataclass
class LoadReport:
    created: list[str]
    filled: list[str]
    skipped: list[str]


def demo_register(spec: DemoMunicipality, *, seed: int | None = None) -> GeneratedRegister:
    return generate_register(
        locale=spec.locale,
        residents=spec.residents,
        seed=settings.ELOKET_DEMO_SEED if seed is None else seed,
        today=DEMO_REFERENCE_DATE,
        personas=spec.personas,
    )


def _municipality_for(spec: DemoMunicipality) -> tuple[Municipality, bool]:
    existing = Municipality.objects.filter(slug=spec.slug).first()
    if existing:
        return existing, False
    initials = "".join(word[0] for word in spec.slug.split("-")).upper()
    created = municipality_create(
        slug=spec.slug,
        names=spec.names,
        country=spec.country,
        nis_code=spec.nis_code,
        languages=spec.languages,
        modules=spec.modules,
        primary_colour=spec.primary_colour,
        secondary_colour=spec.secondary_colour,
        font_stack=spec.font_stack,
        contact_email=spec.contact_email,
        contact_phone=spec.contact_phone,
        contact_address=spec.contact_address,
        website=spec.website,
        logo=logo_svg(initials if spec.country == "BE" else "서울", spec.primary_colour),
        logo_content_type="image/svg+xml",
    )
    return created, True


def demo_load(*, say: Say | None = None, only: list[str] | None = None) -> LoadReport:
    report = LoadReport(created=[], filled=[], skipped=[])
    for spec in MUNICIPALITIES:
        if only and spec.slug not in only:
            continue
        municipality, created = _municipality_for(spec)
        if created:
            report.created.append(spec.slug)
        if register_counts(municipality=municipality)["persons"]:
            report.skipped.append(spec.slug)
            if say:
                say(f"{spec.slug}: demo data already loaded")
            continue
        generated = demo_register(spec)

        def progress(what: str, done: int, total: int, slug: str = spec.slug) -> None:
            if say and (done == total or done % 2000 == 0):
                say(f"{slug}: {what} {done}/{total}")

        register_import_records(
            municipality=municipality,
            persons=generated.persons,
            events=generated.events,
            progress=progress,
        )
        report.filled.append(spec.slug)
    return report


def demo_citizens(slug: str) -> dict[str, tuple[str, str]]:
    """The named demo citizens of a municipality: key -> (national number, full name)."""
    spec = next(s for s in MUNICIPALITIES if s.slug == slug)
    generated = demo_register(spec)
    return {
        key: (r.national_id, full_name(spec.country, r.first_names, r.last_name))
        for key, r in generated.personas.items()
    }
