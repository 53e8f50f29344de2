"""Loading the demo municipalities and their synthetic residents. Idempotent: a
municipality that exists is left as it is, a register that holds people is not refilled."""

import datetime as dt
import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from eloket.common.actors import Actor
from eloket.common.errors import ApplicationError, NotFound
from eloket.demo.data import MUNICIPALITIES, DemoMunicipality, logo_svg
from eloket.register.ages import age_on
from eloket.register.demo import GeneratedRegister, generate_register
from eloket.register.models import IdScheme, Person, full_name
from eloket.register.selectors import (
    household_members,
    is_resident,
    person_for_identifier,
    register_counts,
    residents_in_households,
)
from eloket.register.services import register_import_records
from eloket.tenants.models import Municipality
from eloket.tenants.services import municipality_create, municipality_tokens_import

TOKENS_DIR = Path(__file__).parent / "tokens"

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
        actor=Actor.system("eloket demo load"),
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
    if spec.tokens_file:
        municipality_tokens_import(
            actor=Actor.system("eloket demo load", created),
            municipality=created,
            content=(TOKENS_DIR / spec.tokens_file).read_bytes(),
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
            actor=Actor.system("eloket demo load", municipality),
            municipality=municipality,
            persons=generated.persons,
            events=generated.events,
            progress=progress,
        )
        report.filled.append(spec.slug)
    from eloket.demo.cases import demo_cases_ensure
    from eloket.demo.offered import demo_services_ensure
    from eloket.demo.participation import demo_participation_ensure

    for spec in MUNICIPALITIES:
        if only and spec.slug not in only:
            continue
        municipality = Municipality.objects.get(slug=spec.slug)
        demo_officers_ensure(municipality)
        demo_services_ensure(municipality)
        demo_participation_ensure(municipality)
        demo_cases_ensure(municipality)
    demo_operator_ensure()
    return report


def demo_citizens(slug: str) -> dict[str, tuple[str, str]]:
    """The named demo citizens of a municipality: key -> (national number, full name)."""
    return dict(_demo_citizens(slug, settings.ELOKET_DEMO_SEED))


@lru_cache(maxsize=32)
def _demo_citizens(slug: str, seed: int) -> tuple[tuple[str, tuple[str, str]], ...]:
    # The generator makes the personas first, from the same seeded draws whatever the
    # register's size, so a register of only them names the same people as the full one
    # (tests/test_demo.py checks it) in a thousandth of the time: every start and the
    # demo provider's page ask for them.
    spec = next(s for s in MUNICIPALITIES if s.slug == slug)
    generated = generate_register(
        locale=spec.locale,
        residents=0,
        seed=seed,
        today=DEMO_REFERENCE_DATE,
        personas=spec.personas,
    )
    return tuple(
        (key, (r.national_id, full_name(spec.country, r.first_names, r.last_name)))
        for key, r in generated.personas.items()
    )


# --- Demo identities: citizens to log in as, officers with passwords and TOTP seeds

DEMO_PASSWORD = "eloket-demo"  # noqa: S105 (documented demo credential, demo mode only)
OPERATOR_USERNAME = "operator"
OFFICER_ROLES = [("clerk", "clerk"), ("head", "head"), ("admin", "admin")]
OFFICER_NAMES = {
    "BE": [("Nele", "Verhaeghe"), ("Dirk", "Van Damme"), ("Ilse", "Martens")],
    "KR": [("수진", "한"), ("동현", "윤"), ("미경", "장")],
}
PERSONA_LABELS = {
    "deceased": gettext_lazy("deceased"),
    "bis_number": gettext_lazy("BIS number holder (not in the National Register)"),
    "minor": gettext_lazy("a minor"),
    "senior": gettext_lazy("over 70"),
    "young_adult": gettext_lazy("under 25"),
    "lives_alone": gettext_lazy("lives alone"),
    "widowed": gettext_lazy("widowed"),
    "moved_away": gettext_lazy("no longer lives here"),
}
ORDINARY_COUNT = 8


def totp_key(username: str) -> str:
    """A deterministic TOTP secret (hex) per demo officer: the same after every reload."""
    digest = hmac.new(
        str(settings.ELOKET_DEMO_SEED).encode(), f"totp:{username}".encode(), hashlib.sha256
    )
    return digest.hexdigest()[:40]


@lru_cache(maxsize=1)
def _demo_password_hash() -> str:
    # One hash (with its own salt) of the documented demo password for every demo officer:
    # the hasher's work factor is the point of a real password, and 22 officers made the
    # first start hash it 22 times (about a second each on a busy machine).
    return make_password(DEMO_PASSWORD)


def demo_officers_ensure(municipality: Municipality) -> list[User]:
    """A clerk, a head of department and an administrator for the municipality, and a
    clerk for each department that handles one of its demo services (idempotent)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from eloket.demo.offered import ALDERMEN, DEPARTMENT_CLERKS, DEPARTMENT_HEADS
    from eloket.identity.models import OfficerRole

    names = OFFICER_NAMES.get(municipality.country, OFFICER_NAMES["BE"])
    population = str(_("Population and civil affairs"))
    officers = (
        [
            (suffix, role, first, last, population)
            for (suffix, role), (first, last) in zip(OFFICER_ROLES, names, strict=True)
        ]
        + [
            (suffix, "clerk", first, last, department)
            for suffix, department, (first, last) in DEPARTMENT_CLERKS.get(municipality.slug, [])
        ]
        + [
            (suffix, "head", first, last, department)
            for suffix, department, (first, last) in DEPARTMENT_HEADS.get(municipality.slug, [])
        ]
        + [
            (suffix, "alderman", first, last, department)
            for suffix, department, (first, last) in ALDERMEN.get(municipality.slug, [])
        ]
    )
    users = []
    for suffix, role, first, last, department in officers:
        username = f"{municipality.slug}.{suffix}"
        with transaction.atomic():
            user, created = User.objects.get_or_create(
                username=username, defaults={"first_name": first, "last_name": last}
            )
            if created:
                user.password = _demo_password_hash()
                user.save(update_fields=["password"])
                TOTPDevice.objects.create(
                    user=user, name="demo authenticator", key=totp_key(username), confirmed=True
                )
            OfficerRole.objects.get_or_create(
                user=user,
                municipality=municipality,
                defaults={"role": role, "department": department},
            )
        users.append(user)
    return users


def demo_operator_ensure() -> User:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user, created = User.objects.get_or_create(
        username=OPERATOR_USERNAME,
        defaults={"first_name": "Platform", "last_name": "Operator", "is_superuser": True},
    )
    if created:
        user.is_staff = True
        user.password = _demo_password_hash()
        user.save()
        TOTPDevice.objects.create(
            user=user, name="demo authenticator", key=totp_key(OPERATOR_USERNAME), confirmed=True
        )
    return user


def demo_officer_list(municipality: Municipality) -> list[dict[str, str]]:
    from eloket.identity.models import OfficerRole

    roles = (
        OfficerRole.objects.filter(
            municipality=municipality, user__username__startswith=f"{municipality.slug}."
        )
        .select_related("user")
        .order_by("user__username")
    )
    # The population office's clerk, head and administrator first; then the clerks of
    # the departments of its services (issue 12), by username.
    standard = {f"{municipality.slug}.{suffix}": i for i, (suffix, _r) in enumerate(OFFICER_ROLES)}
    return sorted(
        (
            {
                "username": r.user.username,
                "name": r.user.get_full_name(),
                "role": r.role,
                "department": r.department,
            }
            for r in roles
        ),
        key=lambda o: (standard.get(o["username"], len(standard)), o["username"]),
    )


def persona_of(person: Person, municipality: Municipality, today: dt.date) -> str | None:
    """What makes a demo citizen special (None for an ordinary resident)."""
    age = age_on(person, today)
    if person.is_deceased:
        return "deceased"
    if person.id_scheme == IdScheme.BE_BIS_NUMBER:
        return "bis_number"
    if age is not None and age < 18:
        return "minor"
    if not is_resident(person=person, municipality=municipality, on=today):
        return "moved_away"
    if age is not None and age > 70:
        return "senior"
    if age is not None and age < 25:
        return "young_adult"
    if len(household_members(person=person)) < 2:
        return "lives_alone"
    return None


def _citizen_row(person: Person, today: dt.date, persona: str | None) -> dict[str, Any]:
    return {
        "national_number": person.national_id,
        "name": person.full_name,
        "given_name": person.first_names,
        "family_name": person.last_name,
        "age": age_on(person, today),
        "persona": persona,
        "persona_label": str(PERSONA_LABELS.get(persona or "", "")),
    }


def demo_citizen_list(municipality: Municipality) -> list[dict[str, Any]]:
    """Ordinary residents first (alive, 25 to 70, living here, in a household of two or
    more), then the special personas, each marked with `persona`."""
    today = timezone.localdate()
    named: list[Person] = []
    if any(spec.slug == municipality.slug for spec in MUNICIPALITIES):
        for number, _name in demo_citizens(municipality.slug).values():
            person = person_for_identifier(national_id=number)
            if person is not None and person.municipality_id == municipality.pk:
                named.append(person)
    ordinary: list[dict[str, Any]] = []
    special: list[dict[str, Any]] = []
    for person in named:
        persona = persona_of(person, municipality, today)
        (special if persona else ordinary).append(_citizen_row(person, today, persona))
    seen = {row["national_number"] for row in ordinary + special}
    if len(ordinary) < ORDINARY_COUNT:
        for person in residents_in_households(
            municipality=municipality,
            min_age=25,
            max_age=70,
            min_household=2,
            limit=ORDINARY_COUNT * 3,
            on=today,
        ):
            if person.national_id not in seen and len(ordinary) < ORDINARY_COUNT:
                ordinary.append(_citizen_row(person, today, None))
                seen.add(person.national_id)
    return ordinary + special


def demo_made(user: User) -> bool:
    """Whether the demo made this officer account: a demo username with the demo's own
    authenticator (an account someone added by hand gets no demo token)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    slug, _dot, role = user.username.partition(".")
    from eloket.demo.offered import department_clerk_suffixes

    demo_name = user.username == OPERATOR_USERNAME or (
        any(spec.slug == slug for spec in MUNICIPALITIES)
        and role in {suffix for suffix, _role in OFFICER_ROLES} | department_clerk_suffixes(slug)
    )
    return (
        demo_name
        and TOTPDevice.objects.filter(
            user=user, name="demo authenticator", key=totp_key(user.username)
        ).exists()
    )


def demo_token(*, national_number: str | None, officer: str | None) -> dict[str, Any]:
    """A one-day API token for a demo citizen (as after an eID login) or officer."""
    from eloket.identity.models import LoginMethod
    from eloket.identity.selectors import is_officer
    from eloket.identity.services import api_token_create, citizen_account, citizen_identify

    demo_slugs = {spec.slug for spec in MUNICIPALITIES}
    if national_number:
        person = citizen_identify(national_id=national_number)
        if person.municipality.slug not in demo_slugs:
            raise NotFound(_("There is no demo resident with this number."))
        user = citizen_account(person=person, method=LoginMethod.API_TOKEN)
        kind = "citizen"
    else:
        found = User.objects.filter(username=officer or "", is_active=True).first()
        if found is None or not is_officer(found) or not demo_made(found):
            raise NotFound(_("There is no officer with this username."))
        user = found
        kind = "officer"
    if not user.is_active:
        raise ApplicationError(_("This account has been blocked."), code="blocked")
    issued = api_token_create(user=user, name=f"demo token ({kind})", days=1)
    return {"token": issued.secret, "kind": kind, "expires_at": issued.token.expires_at}
