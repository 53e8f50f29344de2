"""Files of a request: `POST /requests/{tracking_code}/attachments` (multipart, each
file under its form question's name), and the list of a request's files that
`GET /requests/{tracking_code}` answers with."""

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status
from ninja.decorators import decorate_view

from eloket.api.auth import AUTH
from eloket.api.routers.requests import attachment_out, caller_and_case
from eloket.api.schemas import AttachmentOut, Error
from eloket.attachments.services import attachments_store_answers
from eloket.common.uploads import upload_limit

router = Router(tags=["requests"], auth=AUTH)


@router.post(
    "/{tracking_code}/attachments",
    response={
        201: list[AttachmentOut],
        400: Error,
        401: Error,
        403: Error,
        404: Error,
        409: Error,
        413: Error,
        422: Error,
    },
    summary="Send files for the file questions of a request's form",
    description=(
        "Multipart: each file under the name of its form question (the questions marked "
        '`"x-eloket-file": true` in the service\'s answers_schema); several files per '
        "question where it takes several. For the request's requester and the officers who "
        "handle it. The content is checked, not the name: 400 file_type_refused (not an "
        "accepted type), file_too_large, too_many_files (counting the files already sent), "
        "file_empty, unknown_question (the form asks no such file question); 413 "
        "upload_too_large for a request over the upload limit. Nothing is stored unless "
        "every file is accepted."
    ),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "additionalProperties": {
                            "oneOf": [
                                {"type": "string", "format": "binary"},
                                {
                                    "type": "array",
                                    "items": {"type": "string", "format": "binary"},
                                },
                            ]
                        },
                    }
                }
            },
        }
    },
)
@decorate_view(upload_limit("ELOKET_ATTACHMENTS_UPLOAD_MAX_BYTES"))
def attachments_send(request: HttpRequest, tracking_code: str) -> Any:
    actor, case = caller_and_case(request, tracking_code)
    files = {name: request.FILES.getlist(name) for name in request.FILES}
    stored = attachments_store_answers(
        actor=actor, municipality=case.municipality, case=case, files=files
    )
    officer = actor.kind == "officer"
    return Status(201, [attachment_out(request, case, a, officer=officer) for a in stored])
