"""The admin: the platform operator manages municipalities; a municipality's
administrator manages their own officers, roles, branding, languages and modules, and sees
nothing of other municipalities. Entry only after the officers' two-step login."""

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.http import urlencode

from eloket.identity.models import OfficerRole, Role
from eloket.identity.selectors import authenticated_by_second_factor
from eloket.tenants.models import Municipality


def administered_municipalities(request: HttpRequest) -> QuerySet[Municipality]:
    user = request.user
    if not user.is_authenticated:
        return Municipality.objects.none()
    if user.is_superuser:
        return Municipality.objects.all()
    return Municipality.objects.filter(
        pk__in=OfficerRole.objects.filter(user=user, role=Role.ADMIN).values("municipality")
    )


class EloketAdminSite(admin.AdminSite):
    site_header = "Eloket"
    site_title = "Eloket administration"
    index_title = "Administration"

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(
            user.is_active
            and user.is_authenticated
            and authenticated_by_second_factor(request)
            and (user.is_superuser or administered_municipalities(request).exists())
        )

    def login(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        # One login for officers everywhere: password, then the authenticator code.
        target = request.GET.get("next") or request.get_full_path()
        return HttpResponseRedirect(f"/auth/officer/login?{urlencode({'next': target})}")
