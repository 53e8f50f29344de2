"""The log of messages exchanged with the national registries, for the municipality's
administrators (issue 14, point 7): filter by type, state, direction and day, read one
message with its signed XML, send a dead letter again. Filters are query parameters of
the message's kind, never a person's national number."""

import datetime as dt

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from eloket.cases.codes import normalise_tracking_code
from eloket.common.actors import Actor
from eloket.common.errors import ApplicationError, NotFound
from eloket.common.nocache import never_cache
from eloket.identity.access import officer_page
from eloket.identity.models import Role
from eloket.messaging.models import Direction, MessageState
from eloket.messaging.services import DEAD, message_detail, message_retry, messages_list
from eloket.messaging.wire import MESSAGE_TYPES
from eloket.tenants.links import tenant_reverse
from eloket.tenants.models import Municipality


def _day(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


@require_GET
@never_cache
@officer_page(Role.ADMIN)
def registry_messages(request: HttpRequest, tenant: Municipality, actor: Actor) -> HttpResponse:
    chosen = {
        "type": request.GET.get("type", "") if request.GET.get("type") in MESSAGE_TYPES else "",
        "state": request.GET.get("state", ""),
        "direction": request.GET.get("direction", ""),
        "day": request.GET.get("day", ""),
        # A request's tracking code (never a person's number: that is no filter here).
        "case": normalise_tracking_code(request.GET.get("case", "")),
    }
    if chosen["state"] not in {*MessageState.values, DEAD}:
        chosen["state"] = ""
    if chosen["direction"] not in Direction.values:
        chosen["direction"] = ""
    day = _day(chosen["day"])
    if day is None:
        chosen["day"] = ""
    states = [*MessageState.choices, (DEAD, dead_label())]
    rows = messages_list(
        actor=actor,
        municipality=tenant,
        state=chosen["state"],
        type=chosen["type"],
        direction=chosen["direction"],
        day=day,
        case_code=chosen["case"],
    )
    return render(
        request,
        "backoffice/registry_messages.html",
        {
            "rows": rows,
            "chosen": chosen,
            "types": MESSAGE_TYPES,
            "states": states,
            "state_labels": dict(states),
            "directions": Direction.choices,
            "active": "backoffice",
        },
    )


def dead_label() -> str:
    return _("failed: to send again")


@require_http_methods(["GET", "POST"])
@never_cache
@officer_page(Role.ADMIN)
def registry_message(
    request: HttpRequest, tenant: Municipality, actor: Actor, message_id: int
) -> HttpResponse:
    if request.method == "POST":
        try:
            message_retry(actor=actor, municipality=tenant, message_pk=message_id)
            messages.success(request, _("It will be sent again now."))
        except NotFound as exc:
            raise Http404(str(exc)) from exc
        except ApplicationError as exc:
            messages.error(request, str(exc))
        return HttpResponseRedirect(
            tenant_reverse(request, "backoffice:registry-message", message_id=message_id)
        )
    try:
        message = message_detail(actor=actor, municipality=tenant, message_pk=message_id)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    states = dict(MessageState.choices)
    return render(
        request,
        "backoffice/registry_message.html",
        {
            "m": message,
            "state_label": dead_label()
            if message["state"] == DEAD
            else states.get(message["state"], message["state"]),
            "dead": message["state"] == DEAD,
            "active": "backoffice",
        },
    )
