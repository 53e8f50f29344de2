"""Petition pages for residents (start, join, sign, read the answer) and officers
(admissibility, answer). Thin: the services decide."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from eloket.common.actors import Actor
from eloket.common.errors import ApplicationError
from eloket.identity.access import officer_page
from eloket.identity.selectors import officer_role_here
from eloket.petitions import selectors, services
from eloket.petitions.models import Petition, PetitionStatus, Signature
from eloket.tenants.decorators import tenant_page
from eloket.tenants.models import Municipality
from eloket.web.links import tenant_reverse


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


@require_http_methods(["GET", "POST"])
@never_cache
@tenant_page
def petitions(request: HttpRequest, tenant: Municipality) -> HttpResponse:
    if request.method == "POST":
        try:
            petition = services.petition_start(
                municipality=tenant,
                user=request.user,  # type: ignore[arg-type]
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
    return render(
        request,
        "petitions/list.html",
        {
            "petitions": list(selectors.petitions_of(municipality=tenant)[:100]),
            "rules": services.rules_of(tenant),
            "active": "petitions",
        },
    )


@require_GET
@tenant_page
def petition_page(request: HttpRequest, tenant: Municipality, petition_id: int) -> HttpResponse:
    petition = _petition(request, tenant, petition_id)
    signed = (
        request.user.is_authenticated
        and Signature.objects.filter(petition=petition, user=request.user).exists()
    )
    return render(
        request,
        "petitions/petition.html",
        {
            "petition": petition,
            "signed": signed,
            "rules": services.rules_of(tenant),
            "coinitiators": petition.coinitiators.count(),
            "is_initiator": request.user.is_authenticated
            and request.user.pk == petition.initiator_id,
            "active": "petitions",
        },
    )


@require_POST
@tenant_page
def petition_act(request: HttpRequest, tenant: Municipality, petition_id: int) -> HttpResponse:
    petition = _petition(request, tenant, petition_id)
    action = request.POST.get("action", "")
    try:
        if action == "sign":
            services.petition_sign(petition=petition, user=request.user)
            messages.success(request, _("You signed the petition."))
        elif action == "join":
            services.petition_join(petition=petition, user=request.user)  # type: ignore[arg-type]
            messages.success(request, _("You are a co-initiator."))
        elif action == "submit":
            services.petition_submit(petition=petition, user=request.user)  # type: ignore[arg-type]
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


@require_http_methods(["GET", "POST"])
@never_cache
@officer_page()
def backoffice_petitions(request: HttpRequest, tenant: Municipality, actor: Actor) -> HttpResponse:
    if request.method == "POST":
        petition = Petition.objects.filter(
            municipality=tenant, pk=request.POST.get("petition") or 0
        ).first()
        try:
            if petition is None:
                raise ApplicationError(_("No such petition."))
            action = request.POST.get("action")
            if action in ("admit", "refuse"):
                services.petition_admit(
                    petition=petition,
                    actor=actor,
                    admissible=action == "admit",
                    reason=request.POST.get("reason", ""),
                )
            elif action == "answer":
                services.petition_answer(
                    petition=petition, actor=actor, answer=request.POST.get("answer", "")
                )
            else:
                raise ApplicationError(_("Unknown action."))
            messages.success(request, _("Done."))
        except ApplicationError as exc:
            messages.error(request, str(exc))
        return HttpResponseRedirect(request.path)
    return render(
        request,
        "petitions/backoffice.html",
        {
            "petitions": list(selectors.petitions_of(municipality=tenant, include_all=True)),
            "active": "backoffice",
            "statuses": PetitionStatus,
        },
    )
