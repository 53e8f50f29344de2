"""Officers' petition screens: admissibility, the answer, and a petition's history."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from eloket.backoffice.case_views import case_context
from eloket.common.actors import Actor
from eloket.common.errors import ApplicationError
from eloket.common.forms import id_of
from eloket.common.nocache import never_cache
from eloket.identity.access import officer_page
from eloket.petitions import selectors, services
from eloket.petitions.models import Petition
from eloket.tenants.links import tenant_reverse
from eloket.tenants.models import Module, Municipality


def _act(request: HttpRequest, tenant: Municipality, actor: Actor, petition: Petition) -> None:
    action = request.POST.get("action")
    try:
        if action in ("admit", "refuse"):
            services.petition_admit(
                actor=actor,
                municipality=tenant,
                petition=petition,
                admissible=action == "admit",
                reason=request.POST.get("reason", ""),
            )
        elif action == "answer":
            services.petition_answer(
                actor=actor,
                municipality=tenant,
                petition=petition,
                answer=request.POST.get("answer", ""),
            )
        else:
            raise ApplicationError(_("Unknown action."))
        messages.success(request, _("Done."))
    except ApplicationError as exc:
        messages.error(request, str(exc))


@officer_page(module=Module.PETITIONS)
@require_http_methods(["GET", "POST"])
@never_cache
def petitions(request: HttpRequest, tenant: Municipality, actor: Actor) -> HttpResponse:
    if request.method == "POST":
        try:
            petition = selectors.petition_for_officer(
                municipality=tenant, petition_id=id_of(request.POST.get("petition"))
            )
        except ApplicationError:
            messages.error(request, _("No such petition."))
        else:
            _act(request, tenant, actor, petition)
        return HttpResponseRedirect(request.path)
    return render(
        request,
        "backoffice/petitions.html",
        {
            "petitions": list(
                selectors.petitions_of(municipality=tenant, include_all=True).select_related("case")
            ),
            "active": "backoffice",
        },
    )


@officer_page(module=Module.PETITIONS)
@require_http_methods(["GET", "POST"])
@never_cache
def petition_detail(
    request: HttpRequest, tenant: Municipality, actor: Actor, petition_id: int
) -> HttpResponse:
    try:
        petition = selectors.petition_for_officer(municipality=tenant, petition_id=petition_id)
    except ApplicationError as exc:
        raise Http404(str(exc)) from exc
    if request.method == "POST":
        _act(request, tenant, actor, petition)
        return HttpResponseRedirect(
            tenant_reverse(request, "backoffice:petition", petition_id=petition.pk)
        )
    answer_case = petition.case
    return render(
        request,
        "backoffice/petition.html",
        {
            **(case_context(request, tenant, actor, answer_case) if answer_case else {}),
            "p": petition,
            "history": list(petition.history.all()),
            "active": "backoffice",
        },
    )
