"""The approver's back-office page (issue 13): the drafts waiting at a step of theirs (or
of a colleague who delegated to them), each to approve, with a comment or not, or to
return with a reason; and the form to delegate one's approvals for a period."""

import datetime as dt

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from eloket.approvals.selectors import approvals_waiting_for, delegations_of
from eloket.approvals.services import approval_act, delegation_create
from eloket.common.actors import Actor
from eloket.common.errors import ApplicationError
from eloket.common.nocache import never_cache
from eloket.identity.access import officer_page
from eloket.tenants.links import tenant_reverse
from eloket.tenants.models import Municipality


def _day(value: str) -> dt.datetime:
    try:
        day = dt.date.fromisoformat(value.strip())
    except ValueError:
        raise ApplicationError(_("Give the dates as YYYY-MM-DD.")) from None
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


@require_http_methods(["GET", "POST"])
@never_cache
@officer_page()
def approvals(request: HttpRequest, tenant: Municipality, actor: Actor) -> HttpResponse:
    if request.method == "POST":
        try:
            if request.POST.get("action") == "delegate":
                delegation_create(
                    actor=actor,
                    municipality=tenant,
                    delegate_username=request.POST.get("delegate", ""),
                    starts_at=_day(request.POST.get("starts", "")),
                    ends_at=_day(request.POST.get("ends", "")) + dt.timedelta(days=1),
                )
                messages.success(request, _("Your approvals are delegated for that period."))
            else:
                waiting = {
                    d.case.tracking_code: d
                    for d in approvals_waiting_for(municipality=tenant, user=request.user)  # type: ignore[arg-type]
                }
                draft = waiting.get(request.POST.get("code", ""))
                if draft is None:
                    raise ApplicationError(
                        _("No draft decision waits for approval on this request.")
                    )
                approval_act(
                    actor=actor,
                    municipality=tenant,
                    case=draft.case,
                    action=request.POST.get("action", ""),
                    comment=request.POST.get("comment", ""),
                )
                messages.success(request, _("Done."))
        except ApplicationError as exc:
            messages.error(request, str(exc))
        return HttpResponseRedirect(tenant_reverse(request, "backoffice:approvals"))
    return render(
        request,
        "backoffice/approvals.html",
        {
            "drafts": approvals_waiting_for(municipality=tenant, user=request.user),  # type: ignore[arg-type]
            "delegations": delegations_of(municipality=tenant, user_id=actor.user_id or 0),
        },
    )
