"""Login, logout and "my data" pages. Thin: parse, call a service or selector, render."""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from eloket.common.errors import ApplicationError
from eloket.common.forms import id_of, whole_number
from eloket.common.nocache import never_cache
from eloket.identity import selectors, services, sessions
from eloket.identity.models import LoginMethod
from eloket.identity.providers import eid_certificate, oidc
from eloket.identity.providers.registry import identity_providers
from eloket.register.access_log import access_log_summary
from eloket.register.selectors import own_record
from eloket.tenants.decorators import tenant_page
from eloket.tenants.links import municipality_base_url, tenant_reverse
from eloket.tenants.middleware import choose_language
from eloket.tenants.models import Municipality
from eloket.tenants.selectors import municipality_get

OIDC_PENDING = "eloket_oidc_pending"


def safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def refused(request: HttpRequest, exc: ApplicationError, *, title: str = "") -> HttpResponse:
    return render(
        request,
        "identity/refused.html",
        {"title": title or _("You could not be logged in"), "error": exc},
        status=exc.status,
    )


# --- Citizens


@require_GET
@tenant_page
def login_choice(request: HttpRequest, tenant: Municipality) -> HttpResponse:
    next_url = safe_next(request, tenant_reverse(request, "identity:my-data"))
    return render(
        request,
        "identity/login.html",
        {
            "next": next_url,
            "providers": [p for p in identity_providers if p.available(tenant)],
            "active": "login",
        },
    )


@require_GET
@never_cache
@tenant_page
def oidc_login(request: HttpRequest, tenant: Municipality) -> HttpResponse:
    try:
        config = oidc.oidc_config(tenant)
        request.session[OIDC_PENDING] = {
            "municipality": tenant.slug,
            "next": safe_next(request, tenant_reverse(request, "identity:my-data")),
        }
        redirect_uri = request.build_absolute_uri("/auth/oidc/callback")
        extra = {"ui_locales": request.LANGUAGE_CODE}
        if settings.ELOKET_DEMO:
            extra["demo_municipality"] = tenant.slug  # the demo provider lists its residents
        return oidc.oidc_start(request, config=config, redirect_uri=redirect_uri, extra=extra)
    except ApplicationError as exc:
        return refused(request, exc)


@require_GET
@never_cache
def oidc_callback(request: HttpRequest) -> HttpResponse:
    pending: dict[str, Any] = request.session.get(OIDC_PENDING) or {}
    try:
        tenant = municipality_get(slug=pending.get("municipality", ""))
    except ApplicationError:
        tenant = None
    if tenant is None:
        request.tenant = None  # type: ignore[attr-defined]
        return refused(
            request,
            oidc.OidcFailed(_("This login was not started here, or it took too long.")),
        )
    request.tenant = tenant  # type: ignore[attr-defined]
    # The callback is a platform URL: answer in the municipality's language.
    request.LANGUAGE_CODE = choose_language(request, list(tenant.languages))
    translation.activate(request.LANGUAGE_CODE)
    try:
        national_id = oidc.oidc_finish(request, config=oidc.oidc_config(tenant))
        sessions.citizen_login(
            request=request, national_id=national_id, method=LoginMethod.OIDC, municipality=tenant
        )
    except ApplicationError as exc:
        request.session.pop(OIDC_PENDING, None)
        return refused(request, exc)
    request.session.pop(OIDC_PENDING, None)
    return HttpResponseRedirect(pending.get("next") or "/")


@require_GET
@never_cache
@tenant_page
def eid_card_login(request: HttpRequest, tenant: Municipality) -> HttpResponse:
    try:
        if not identity_providers["eid_card"].available(tenant):
            raise eid_certificate.CertificateRefused(
                _("%(name)s does not offer login with the eID card.")
                % {"name": tenant.display_name()}
            )
        national_id = eid_certificate.eid_card_national_number(request)
        sessions.citizen_login(
            request=request,
            national_id=national_id,
            method=LoginMethod.EID_CARD,
            municipality=tenant,
        )
    except ApplicationError as exc:
        return refused(request, exc)
    return HttpResponseRedirect(safe_next(request, tenant_reverse(request, "identity:my-data")))


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    sessions.session_logout(request)
    return HttpResponseRedirect(safe_next(request, "/"))


@require_POST
def logout_everywhere(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        services.sessions_end_all(user=request.user)
        sessions.session_logout(request)
    return HttpResponseRedirect(safe_next(request, "/"))


def _citizen_or_login(request: HttpRequest) -> tuple[Any, HttpResponse | None]:
    person = selectors.citizen_person(request.user)
    if person is None:
        if request.user.is_authenticated:
            raise Http404(_("This page is for citizens logged in with their eID."))
        login = tenant_reverse(request, "identity:login")
        return None, HttpResponseRedirect(f"{login}?next={request.get_full_path()}")
    return person, None


@require_GET
@never_cache
@tenant_page
def my_data(request: HttpRequest, tenant: Municipality) -> HttpResponse:
    person, redirect = _citizen_or_login(request)
    if redirect:
        return redirect
    return render(
        request, "identity/my_data.html", {"record": own_record(person=person), "active": "my"}
    )


@require_GET
@never_cache
@tenant_page
def my_access_log(request: HttpRequest, tenant: Municipality) -> HttpResponse:
    person, redirect = _citizen_or_login(request)
    if redirect:
        return redirect
    lines = access_log_summary(person=person, reader_user_id=request.user.pk)
    home = tenant_reverse(request, "web:home")
    return render(
        request,
        "identity/access_log.html",
        {
            # Each line with the link to its case, where the case is the reader's own.
            "lines": [
                (
                    line,
                    (
                        home
                        if line.about.municipality == tenant
                        else municipality_base_url(line.about.municipality)
                    )
                    + line.about.path
                    if line.about and line.about.path
                    else "",
                )
                for line in lines
            ],
            "active": "my",
            "role_label": selectors.role_label,
        },
    )


@require_http_methods(["GET", "POST"])
@never_cache
@tenant_page
def my_security(request: HttpRequest, tenant: Municipality) -> HttpResponse:
    """API tokens and sessions, for citizens and officers alike."""
    if not request.user.is_authenticated:
        login = tenant_reverse(request, "identity:login")
        return HttpResponseRedirect(f"{login}?next={request.get_full_path()}")
    user: User = request.user
    new_secret = ""
    if request.method == "POST":
        try:
            if request.POST.get("action") == "create":
                days = whole_number(
                    request.POST.get("days"), default=settings.ELOKET_API_TOKEN_DAYS
                )
                issued = services.api_token_create(
                    user=user,
                    name=request.POST.get("name", ""),
                    days=days,
                    municipalities=sessions.token_scope(request),
                )
                new_secret = issued.secret
            elif request.POST.get("action") == "revoke":
                services.api_token_revoke(user=user, token_id=id_of(request.POST.get("token")))
                messages.success(request, _("The token was revoked."))
                return HttpResponseRedirect(request.path)
        except ApplicationError as exc:
            messages.error(request, str(exc))
    return render(
        request,
        "identity/security.html",
        {
            "tokens": list(selectors.api_tokens_of(user)),
            "sessions": list(selectors.sessions_of(user)),
            "current_session": request.session.session_key,
            "new_secret": new_secret,
            "active": "my",
            "default_days": settings.ELOKET_API_TOKEN_DAYS,
        },
    )


# --- Officers


def _officer_landing(user: User) -> str:
    role = selectors.officer_roles(user).order_by("municipality__slug").first()
    if role is None:
        return "/admin/" if user.is_superuser else "/"
    return f"/{role.municipality.slug}/backoffice/"


@require_http_methods(["GET", "POST"])
@never_cache
def officer_login(request: HttpRequest) -> HttpResponse:
    error = None
    if request.method == "POST":
        try:
            user = sessions.officer_check_password(
                request=request,
                username=request.POST.get("username", ""),
                password=request.POST.get("password", ""),
            )
            request.session["officer_next"] = safe_next(request, _officer_landing(user))
            if selectors.officer_confirmed_device(user) is None:
                return HttpResponseRedirect("/auth/officer/enrol")
            return HttpResponseRedirect("/auth/officer/code")
        except ApplicationError as exc:
            error = exc
    return render(
        request,
        "identity/officer_login.html",
        {"error": error, "next": safe_next(request, ""), "demo_mode": settings.ELOKET_DEMO},
        status=error.status if error else 200,
    )


@require_http_methods(["GET", "POST"])
@never_cache
def officer_code(request: HttpRequest) -> HttpResponse:
    user = sessions.pending_officer(request)
    if user is None:
        return HttpResponseRedirect("/auth/officer/login")
    error = None
    if request.method == "POST":
        try:
            sessions.officer_verify_code(
                request=request, user=user, code=request.POST.get("code", "")
            )
            return HttpResponseRedirect(
                request.session.pop("officer_next", "") or _officer_landing(user)
            )
        except ApplicationError as exc:
            error = exc
    return render(
        request,
        "identity/officer_code.html",
        {"error": error},
        status=error.status if error else 200,
    )


@require_http_methods(["GET", "POST"])
@never_cache
def officer_enrol(request: HttpRequest) -> HttpResponse:
    """First login: set up the authenticator app (a QR code and the secret as text)."""
    import segno

    user = sessions.pending_officer(request)
    if user is None:
        return HttpResponseRedirect("/auth/officer/login")
    if selectors.officer_confirmed_device(user) is not None:
        return HttpResponseRedirect("/auth/officer/code")
    device = services.officer_enrol_device(user=user)
    error = None
    if request.method == "POST":
        try:
            sessions.officer_confirm_device(
                request=request, user=user, code=request.POST.get("code", "")
            )
            return HttpResponseRedirect(
                request.session.pop("officer_next", "") or _officer_landing(user)
            )
        except ApplicationError as exc:
            error = exc
    import base64

    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    qr = segno.make(device.config_url, error="m")
    svg = qr.svg_inline(scale=4, title=_("QR code for your authenticator app"))
    return render(
        request,
        "identity/officer_enrol.html",
        {"error": error, "secret": secret, "qr_svg": svg},
        status=error.status if error else 200,
    )
