"""The inbox the national registries post their signed XML messages to (docs/messaging.md).
No token: the message's signature, checked against the registries' certificates, is the
authentication; the answer is a signed Acknowledgement or Error."""

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Router

from eloket.api.schemas import Error
from eloket.messaging.inbox import inbox_receive
from eloket.messaging.keys import MessagingNotConfigured

router = Router(tags=["messaging"])


@router.post(
    "/inbox",
    auth=None,
    response={404: Error},
    summary="A registry's signed XML message (answered with a signed XML acknowledgement)",
    openapi_extra={
        "requestBody": {
            "content": {"application/xml": {"schema": {"type": "string"}}},
            "required": True,
        },
        "responses": {
            200: {
                "description": "A signed Acknowledgement (a BatchAcknowledgement for a MessageBatch)",
                "content": {"application/xml": {"schema": {"type": "string"}}},
            },
            400: {
                "description": "A signed Error: the message was refused, nothing changed",
                "content": {"application/xml": {"schema": {"type": "string"}}},
            },
        },
    },
)
def inbox(request: HttpRequest) -> HttpResponse:
    limit = settings.ELOKET_MESSAGING_MAX_BYTES
    # Read from the stream: `request.body` would stop at Django's smaller upload limit.
    data = request.read(limit + 1)
    try:
        answer = inbox_receive(data)
    except MessagingNotConfigured as exc:  # no registry connection on this platform
        raise Http404(_("Messaging with the national register is not configured.")) from exc
    head = answer[:200]
    status = 200 if b"<Acknowledgement" in head or b"<BatchAcknowledgement" in head else 400
    return HttpResponse(answer, status=status, content_type="application/xml")
