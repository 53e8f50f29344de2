"""What the outbox could not send yet, or failed to send for good: the officer sees why
and sends it again."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from eloket.common.actors import Actor
from eloket.common.errors import ApplicationError
from eloket.common.forms import id_of
from eloket.common.nocache import never_cache
from eloket.identity.access import officer_page
from eloket.outbox.kinds import outbox_kinds
from eloket.outbox.selectors import outbox_message_get, outbox_trouble
from eloket.outbox.services import outbox_retry
from eloket.tenants.models import Municipality


@require_http_methods(["GET", "POST"])
@never_cache
@officer_page()
def outbox(request: HttpRequest, tenant: Municipality, actor: Actor) -> HttpResponse:
    if request.method == "POST":
        message = outbox_message_get(
            municipality=tenant, message_id=id_of(request.POST.get("message"))
        )
        try:
            if message is None:
                raise ApplicationError(_("No such message."))
            outbox_retry(actor=actor, municipality=tenant, message=message)
            messages.success(request, _("It will be sent again now."))
        except ApplicationError as exc:
            messages.error(request, str(exc))
        back = request.POST.get("next", "")
        # Back to the page the form was on: a path of this site only.
        if not back.startswith("/") or back.startswith("//") or "\\" in back:
            back = request.path
        return HttpResponseRedirect(back)
    rows = []
    for message in outbox_trouble(municipality=tenant, actor=actor)[:200]:
        kind = outbox_kinds.get(message.kind)
        rows.append((message, kind.describe(message) if kind else message.kind))
    return render(request, "backoffice/outbox.html", {"rows": rows, "active": "backoffice"})
