"""Reads about who is acting: citizens, officers and their roles, tokens, sessions."""

from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.core.cache import cache
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from eloket.common.actors import Actor, ActorKind
from eloket.identity.models import ApiToken, Citizen, OfficerRole, Role, UserSession
from eloket.register.models import Person
from eloket.register.selectors import person_for_identifier, resident_sql
from eloket.tenants.models import Municipality


def citizen_of(user: User | AnonymousUser) -> Citizen | None:
    if not user.is_authenticated:
        return None
    # Asked several times per request (page, navigation): remember it on the user object.
    if not hasattr(user, "_eloket_citizen"):
        user._eloket_citizen = Citizen.objects.filter(user=user).first()  # type: ignore[attr-defined]
    citizen: Citizen | None = user._eloket_citizen  # type: ignore[attr-defined]
    return citizen


def citizen_person(user: User | AnonymousUser) -> Person | None:
    """The register record of a logged-in citizen (wherever they live on the platform)."""
    citizen = citizen_of(user)
    if citizen is None:
        return None
    return person_for_identifier(national_id=citizen.national_id)


def citizen_person_in(
    user: User | AnonymousUser | Actor, municipality: Municipality
) -> Person | None:
    """`citizen_person`, with `resident` (bool) telling whether they live in `municipality`
    today, in one statement: the forum asks this on every page view (may this visitor
    take part?), where the ORM took ten times longer composing it than running it."""
    user_id = user.user_id if isinstance(user, Actor) else user.pk
    if user_id is None:
        return None
    lives_here, params = resident_sql(municipality=municipality)
    sql = (
        f"SELECT p.*, {lives_here} AS resident FROM register_person p"  # noqa: S608 (fixed SQL)  # nosec B608
        " JOIN identity_citizen c ON c.country = p.country AND c.national_id = p.national_id"
        " WHERE c.user_id = %s"
    )
    found: list[Any] = list(Person.objects.raw(sql, [*params, user_id]))
    if not found:
        return None
    person = found[0]
    person.resident = bool(person.resident)  # SQLite answers 0 or 1
    return person


def officer_roles(user: User | AnonymousUser) -> QuerySet[OfficerRole]:
    if not user.is_authenticated:
        return OfficerRole.objects.none()
    return OfficerRole.objects.filter(user=user, user__is_active=True).select_related(
        "municipality"
    )


def officer_role_in(user: User | AnonymousUser, municipality: Municipality) -> OfficerRole | None:
    """The user's role in `municipality`, if any (and if their account is active).

    Asked on every page (may this visitor moderate, see drafts, reach the back office?),
    so written out in SQL: the ORM spent ten times longer composing it than running it."""
    if not user.is_authenticated:
        return None
    found = list(
        OfficerRole.objects.raw(
            "SELECT r.* FROM identity_officerrole r JOIN auth_user u ON u.id = r.user_id"
            " WHERE r.user_id = %s AND r.municipality_id = %s AND u.is_active = %s"
            " ORDER BY r.id LIMIT 1",
            [user.pk, municipality.pk, True],
        )
    )
    if not found:
        return None
    found[0].municipality = municipality
    return found[0]


def officer_role_here(request: HttpRequest, municipality: Municipality) -> OfficerRole | None:
    """`officer_role_in` for the request's user, asked once per request: a page asks
    several times (the view, the navigation)."""
    memo: dict[int, OfficerRole | None] = request.__dict__.setdefault("_officer_roles", {})
    if municipality.pk not in memo:
        memo[municipality.pk] = officer_role_in(request.user, municipality)
    return memo[municipality.pk]


# The navigation's "Back office" link, shown to officers on every page of their municipality:
# a query per logged-in page for a fact that changes when a role is given or taken away.
# Kept in the shared cache per user and municipality, forgotten when a role is written
# (identity/signals.py). It only chooses a link: every back-office page asks
# `officer_role_here` itself.
OFFICER_LINK_SECONDS = 300


def officer_link_key(user_id: int, municipality_id: int) -> str:
    return f"officer-link:{user_id}:{municipality_id}"


def shows_officer_link(request: HttpRequest, municipality: Municipality) -> bool:
    """Whether the page's navigation leads the visitor to this municipality's back office."""
    if not request.user.is_authenticated:
        return False
    asked: dict[int, OfficerRole | None] = request.__dict__.get("_officer_roles", {})
    if municipality.pk in asked:  # the view asked already: no cache needed
        return asked[municipality.pk] is not None
    key = officer_link_key(request.user.pk, municipality.pk)
    shown: bool | None = cache.get(key)
    if shown is None:
        shown = officer_role_here(request, municipality) is not None
        cache.set(key, shown, timeout=OFFICER_LINK_SECONDS)
    return shown


def officer_actor(role: OfficerRole) -> Actor:
    user = role.user
    name = user.get_full_name() or user.username
    return Actor(
        kind=ActorKind.OFFICER,
        label=name,
        user_id=user.pk,
        municipality=role.municipality,
        role=role.role,
        department=role.department,
    )


def officer_actor_in(user_id: int, municipality: Municipality) -> Actor | None:
    """The officer as they act for `municipality` now (their role may have changed since
    a task was queued): for tasks and messages acting on an officer's behalf."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    role = officer_role_in(user, municipality) if user is not None else None
    return officer_actor(role) if role is not None else None


def citizen_actor_of(user: User | AnonymousUser) -> Actor | None:
    """The user as a citizen who acts (None for visitors and officers)."""
    citizen = citizen_of(user)
    if citizen is None:
        return None
    assert isinstance(user, User)
    return citizen_actor(user, citizen)


def preferred_language(user_id: int, fallback: str) -> str:
    """The language a citizen chose (for e-mails to them), else `fallback`."""
    language = (
        Citizen.objects.filter(user_id=user_id).values_list("preferred_language", flat=True).first()
    )
    return language or fallback


def citizen_actor(user: User, citizen: Citizen) -> Actor:
    return Actor(
        kind=ActorKind.CITIZEN,
        label=user.get_full_name(),
        user_id=user.pk,
        national_id=citizen.national_id,
        country=citizen.country,
    )


def authenticated_by_second_factor(request: HttpRequest) -> bool:
    """Officers act only after their authenticator code (or with a token issued then)."""
    if getattr(request, "auth_method", "") == "token":
        return True
    is_verified = getattr(request.user, "is_verified", None)
    return bool(is_verified and is_verified())


def api_tokens_of(user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user)


def sessions_of(user: User) -> QuerySet[UserSession]:
    return UserSession.objects.filter(user=user)


def role_label(role: str) -> str:
    return str(dict(Role.choices).get(role, _("officer")))


def is_officer(user: User) -> bool:
    return bool(user.is_active and (user.is_superuser or user.officer_roles.exists()))


def officer_confirmed_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def citizen_email(*, country: str, national_id: str) -> tuple[str, str] | None:
    """(e-mail address, chosen language) of the register's person who has an account
    with an e-mail address; None otherwise (they are written to by post)."""
    citizen = (
        Citizen.objects.filter(country=country, national_id=national_id)
        .select_related("user")
        .first()
    )
    if citizen is None or not citizen.user.email:
        return None
    return citizen.user.email, citizen.preferred_language
