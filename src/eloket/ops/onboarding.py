"""Onboarding a municipality in one step after `eloket tenant create` (issue 15, point 5;
docs/onboarding.md): its catalogue (the certificates and the library's services), its
seal key, its look (a design tokens file), its place on its own web site (the host's
chrome, or the sites that may frame its pages) and its first administrator.

Each step reads what is there first and only does what is missing, so a second run
changes nothing and says so; the administrator's password and authenticator secret are
shown only when the account is made. Everything is checked before anything is kept: a
bad tokens file, a template page that is refused, a seal file that does not open or a
username that is someone else's leave the municipality as it was (one transaction; the
seal file is written last, inside it).

An interface of the operator's (ops imports the apps; none imports it): the command
`eloket onboard` (ops/management/commands/onboard.py) is its only caller.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils.translation import gettext as _

from eloket.common.actors import Actor
from eloket.common.errors import ApplicationError, Conflict
from eloket.documents.services import seal_provide
from eloket.identity.models import OfficerRole, Role
from eloket.identity.services import NewOfficer, officer_create
from eloket.services.library import library_codes, library_starter_codes
from eloket.services.services import service_library_enable
from eloket.tenants.links import municipality_urls
from eloket.tenants.models import Municipality
from eloket.tenants.services import (
    host_chrome_set,
    municipality_setups,
    municipality_tokens_import,
    municipality_update,
)


@dataclass
class Onboarded:
    """What onboarding did, step by step, and where the municipality now answers."""

    municipality: Municipality
    steps: list[tuple[str, str]] = field(default_factory=list)  # (step, what was done)
    urls: list[tuple[str, str]] = field(default_factory=list)
    admin: NewOfficer | None = None
    warnings: list[str] = field(default_factory=list)

    def did(self, step: str, what: str) -> None:
        self.steps.append((step, what))


def services_wanted(municipality: Municipality, services: str) -> list[str]:
    """`default` (the library's services for the municipality's country), `none`, or
    codes separated by commas; an unknown code is refused."""
    services = services.strip()
    if services == "none" or not services:
        return []
    if services == "default":
        return library_starter_codes(municipality.country)
    codes = [code.strip() for code in services.split(",") if code.strip()]
    unknown = [code for code in codes if code not in library_codes()]
    if unknown:
        raise ApplicationError(
            _("The library has no service %(codes)s (it has: %(known)s).")
            % {"codes": ", ".join(unknown), "known": ", ".join(library_codes())},
            code="unknown_service",
        )
    return codes


def _check_admin(municipality: Municipality, username: str) -> bool:
    """Whether the administrator account is there already (True) or free to make
    (False); someone else's username is refused."""
    user = User.objects.filter(username=username).first()
    if user is None:
        return False
    if OfficerRole.objects.filter(user=user, municipality=municipality, role=Role.ADMIN).exists():
        return True
    raise Conflict(
        _("The username %(name)s is taken by another account: choose another with --admin.")
        % {"name": username},
        code="username_taken",
    )


def onboard(
    municipality: Municipality,
    *,
    services: str = "default",
    tokens: bytes | None = None,
    chrome_url: str = "",
    keep_host_scripts: bool = False,
    frame_origins: Sequence[str] = (),
    seal_p12: bytes | None = None,
    admin_username: str = "",
    admin_email: str = "",
) -> Onboarded:
    """Bring the municipality from created to working (see the module's docstring).
    ApplicationError (the reason, in the operator's language) with nothing changed."""
    actor = Actor.system("eloket onboard", municipality)
    done = Onboarded(municipality=municipality)
    admin_username = (admin_username or f"{municipality.slug}.admin").strip()

    # Checked before anything is written; the rest is refused inside the transaction
    # (a tokens file, a template page, a seal file), which then keeps nothing.
    codes = services_wanted(municipality, services)
    admin_exists = _check_admin(municipality, admin_username)

    with transaction.atomic():
        # The catalogue: each module's set-up (the certificates offered), then services.
        for setup in municipality_setups:
            setup.set_up(municipality)
        published = []
        for code in codes:
            _kind, new = service_library_enable(actor=actor, municipality=municipality, code=code)
            if new:
                published.append(code)
        offered = ", ".join(codes) or "-"
        done.did(
            "services",
            f"{len(published)} published from the library ({', '.join(published) or '-'}); "
            f"offered: {offered}",
        )

        if tokens is not None:
            result = municipality_tokens_import(
                actor=actor, municipality=municipality, content=tokens
            )
            done.did(
                "look",
                f"{len(result.used)} design tokens applied, {len(result.ignored)} ignored",
            )
        else:
            done.did("look", "unchanged (no --tokens)")

        if chrome_url:
            row, chrome = host_chrome_set(
                actor=actor,
                municipality=municipality,
                url=chrome_url,
                keep_host_scripts=keep_host_scripts,
                operator=True,
            )
            done.did(
                "host chrome",
                f"pages served inside {row.template_url} (version {row.version}; "
                f"{chrome.removed.get('script', 0)} scripts removed)",
            )
        if frame_origins:
            origins = [origin.strip() for origin in frame_origins if origin.strip()]
            municipality = municipality_update(
                actor=actor, municipality=municipality, frame_origins=origins
            )
            done.did("framing", f"pages may be framed by {', '.join(municipality.frame_origins)}")
        if not chrome_url and not frame_origins:
            done.did("embedding", "unchanged (no --chrome or --frame-origin)")

        if admin_exists:
            done.did(
                "administrator",
                f"{admin_username} exists: kept (password and authenticator are not shown "
                "again; reset them in the admin)",
            )
        else:
            done.admin = officer_create(
                actor=actor,
                municipality=municipality,
                username=admin_username,
                role=Role.ADMIN,
                email=admin_email,
            )
            done.did("administrator", f"{admin_username} made, with an authenticator")

        # Last: the only step that writes outside the database.
        try:
            how, detail = seal_provide(actor=actor, municipality=municipality, p12=seal_p12)
            done.did("seal", f"{how}: {detail}")
        except ApplicationError as exc:
            if seal_p12 is not None:
                raise
            done.did("seal", "none")
            done.warnings.append(str(exc))

    urls = municipality_urls(municipality)
    done.urls = [("home page", urls["home"]), ("services", urls["catalogue"])]
    if urls["by_path"] != urls["home"]:
        done.urls.append(("by path", urls["by_path"]))
    from eloket.certificates.selectors import certificate_types_offered

    offered_types = certificate_types_offered(municipality=municipality)
    if offered_types:
        done.urls.append(
            ("a certificate", f"{urls['home']}certificates/{offered_types[0].code}/order")
        )
    base = settings.ELOKET_BASE_URL.rstrip("/")
    if municipality.frame_origins:
        done.urls.append(
            (
                "snippet",
                f'<script src="{base}/embed.js" data-municipality="{municipality.slug}" '
                f'data-page="services/" async></script>',
            )
        )
    done.urls += [
        ("officers' log-in", f"{base}/auth/officer/login"),
        ("admin", f"{base}/admin/"),
        ("API", urls["api"]),
    ]
    return done
