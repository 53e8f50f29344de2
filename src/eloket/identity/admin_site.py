"""The admin: the platform operator manages municipalities; a municipality's
administrator manages their own officers, roles, branding, languages and modules, and sees
nothing of other municipalities. Entry only after the officers' two-step login; an
officer who logged in but administers nothing (a clerk, a head of department) is told so
on a page of their own, with the way to their back office, not sent to the login again."""

import functools
from collections.abc import Callable
from typing import Any, cast

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.http import urlencode
from django.utils.translation import get_language

from eloket.identity.models import OfficerRole, Role
from eloket.identity.selectors import authenticated_by_second_factor, officer_roles
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

    def logged_in_without_admin(self, request: HttpRequest) -> bool:
        """Logged in through both steps, yet administering nothing: logging in again
        would change nothing, so the login is the wrong answer."""
        user = request.user
        return bool(
            user.is_authenticated
            and user.is_active
            and authenticated_by_second_factor(request)
            and not self.has_permission(request)
        )

    def refused(self, request: HttpRequest) -> HttpResponse:
        """403 in the officer's language: what the admin is for, and where to go instead."""
        roles = officer_roles(request.user).order_by("municipality__slug")
        response = render(
            request,
            "identity/admin_refused.html",
            {
                "back_offices": [
                    (
                        role.municipality.display_name(get_language()),
                        f"/{role.municipality.slug}/backoffice/",
                    )
                    for role in roles
                    if role.municipality.is_active
                ]
            },
            status=403,
        )
        add_never_cache_headers(response)
        return response

    def admin_view[V: Callable[..., HttpResponseBase]](self, view: V, cacheable: bool = False) -> V:
        inner = super().admin_view(view, cacheable)

        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if self.logged_in_without_admin(request) and request.path != reverse(
                "admin:logout", current_app=self.name
            ):
                return self.refused(request)
            return inner(request, *args, **kwargs)

        return cast(V, functools.update_wrapper(guarded, inner))

    def login(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        if self.logged_in_without_admin(request):
            return self.refused(request)
        # One login for officers everywhere: password, then the authenticator code.
        target = request.GET.get("next") or request.get_full_path()
        return HttpResponseRedirect(f"/auth/officer/login?{urlencode({'next': target})}")
