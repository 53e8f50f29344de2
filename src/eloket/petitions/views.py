"""Petition pages for residents: start, join, sign, read the answer. (Officers'
pages are in the back office.) Thin: the services decide."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from eloket.common.errors import ApplicationError
from eloket.common.nocache import never_cache
from eloket.identity.eligibility import participant_actor
from eloket.identity.selectors import officer_role_here
from eloket.petitions import selectors, services
from eloket.petitions.models import Petition
from eloket.tenants.decorators import kept_for_visitors, tenant_page
from eloket.tenants.links import tenant_reverse
from eloket.tenants.models import Module, Municipality


def _petition(request: HttpRequest, tenant: Municipality, petition_id: int) -> Petition:
    try:
        return selectors.petition_get(
            municipality=tenant,
            petition_id=petition_id,
            user=request.user,
            officer=officer_role_here(request, tenant) is not None,
        )
    except ApplicationError as exc:
        raise Http404(str(exc)) from exc


@tenant_page(module=Module.PETITIONS)
@require_http_methods(["GET", "POST"])
@never_cache
@kept_for_visitors
def petitions(request: HttpRequest, tenant: Municipality) -> HttpResponse:
    if request.method == "POST":
        try:
            petition = services.petition_start(
                actor=participant_actor(request.user),
                municipality=tenant,
                title=request.POST.get("title", ""),
                text=request.POST.get("text", ""),
            )
            messages.success(
                request, _("Your petition is started. Invite co-initiators with its address.")
            )
            return HttpResponseRedirect(
                tenant_reverse(request, "petitions:petition", petition_id=petition.pk)
            )
        except ApplicationError as exc:
            messages.error(request, str(exc))
    shown = selectors.public_list(municipality=tenant)
    return render(
        request,
        "petitions/list.html",
        {
            "petitions": shown.petitions,
            "rules": shown.rules,
            "why_not": selectors.why_not_take_part(municipality=tenant, user=request.user),
            "active": "petitions",
        },
    )


@tenant_page(module=Module.PETITIONS)
@require_GET
@kept_for_visitors
def petition_page(request: HttpRequest, tenant: Municipality, petition_id: int) -> HttpResponse:
    petition = _petition(request, tenant, petition_id)
    signed = selectors.has_signed(municipality=tenant, petition=petition, user=request.user)
    return render(
        request,
        "petitions/petition.html",
        {
            "petition": petition,
            "signed": signed,
            "rules": selectors.rules_of(municipality=tenant),
            "coinitiators": petition.coinitiators.count(),
            "is_initiator": request.user.is_authenticated
            and request.user.pk == petition.initiator_id,
            "why_not": selectors.why_not_take_part(municipality=tenant, user=request.user),
            "active": "petitions",
        },
    )


@tenant_page(module=Module.PETITIONS)
@require_POST
def petition_act(request: HttpRequest, tenant: Municipality, petition_id: int) -> HttpResponse:
    petition = _petition(request, tenant, petition_id)
    action = request.POST.get("action", "")
    try:
        actor = participant_actor(request.user)
        if action == "sign":
            services.petition_sign(actor=actor, municipality=tenant, petition=petition)
            messages.success(request, _("You signed the petition."))
        elif action == "join":
            services.petition_join(actor=actor, municipality=tenant, petition=petition)
            messages.success(request, _("You are a co-initiator."))
        elif action == "submit":
            services.petition_submit(actor=actor, municipality=tenant, petition=petition)
            messages.success(
                request, _("The municipality now checks whether the petition is admissible.")
            )
        else:
            raise ApplicationError(_("Unknown action."))
    except ApplicationError as exc:
        messages.error(request, str(exc))
    return HttpResponseRedirect(
        tenant_reverse(request, "petitions:petition", petition_id=petition.pk)
    )
