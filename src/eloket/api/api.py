"""The JSON API under /api/v1/ (django-ninja; OpenAPI 3 at /api/v1/openapi.json).

Endpoints are thin: parse, call a selector or service, return. Errors are JSON
{"code", "message", "details"}; every operation documents its error answers.
"""

import json
from typing import Any, cast

from django.conf import settings
from django.core.exceptions import BadRequest, RequestDataTooBig, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser

from eloket.api.routers import (
    approvals,
    attachments,
    backoffice,
    certificates,
    demo,
    forum,
    inquiries,
    me,
    messaging,
    municipalities,
    petitions,
    requests,
    services,
)
from eloket.common.errors import ApplicationError
from eloket.common.uploads import too_large


class StrictJSON(Parser):
    """JSON as RFC 8259 has it: Python's reader also takes NaN and Infinity, which no
    database stores and no other client sends; a body with them is refused (400)."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        def refuse(constant: str) -> None:
            raise ValueError(f"{constant} is not JSON")

        return cast(dict[str, Any], json.loads(request.body, parse_constant=refuse))


api = NinjaAPI(
    title="Eloket API",
    parser=StrictJSON(),
    version="1",
    description=(
        'Eloket\'s public REST API. Lists answer {"count": N, "results": [...]} and are '
        "paginated with ?page=. National identifiers travel as bare digits. Errors answer "
        '{"code", "message", "details"} with a stable code and a message in the '
        "request's language (Accept-Language); without one, in the first language of "
        "the municipality the path names (/m/{slug}/...), else in English."
    ),
    urls_namespace="api",
    docs_url=None,
    openapi_url="/openapi.json",
)
api.add_router("/municipalities", municipalities.router)
api.add_router("/me", me.router)
api.add_router("/requests", requests.router)
api.add_router("/requests", attachments.router)
api.add_router("", requests.start_router)
api.add_router("/m", backoffice.router)
api.add_router("", services.router)
api.add_router("", services.backoffice_router)
api.add_router("/demo", demo.router)
api.add_router("", certificates.router)
api.add_router("", forum.router)
api.add_router("", petitions.router)
api.add_router("", inquiries.router)
api.add_router("/messaging", messaging.router)
api.add_router("", approvals.router)


def error_response(
    request: HttpRequest, status: int, code: str, message: str, details: object = None
) -> HttpResponse:
    return api.create_response(
        request, {"code": code, "message": message, "details": details}, status=status
    )


@api.exception_handler(ApplicationError)
def application_error(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
    return error_response(request, exc.status, exc.code, str(exc.message), exc.details)


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    details = [
        {
            "field": ".".join(str(part) for part in error.get("loc", [])[1:]),
            "message": error.get("msg", ""),
        }
        for error in exc.errors
    ]
    return error_response(request, 422, "invalid_input", _("Some input is not valid."), details)


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(
        request, 404, "not_found", str(exc) or _("Nothing was found at this address.")
    )


@api.exception_handler(AuthenticationError)
def not_authenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error_response(
        request,
        401,
        "not_authenticated",
        _("Log in, or send a bearer token (Authorization: Bearer ...)."),
    )


@api.exception_handler(RequestDataTooBig)
def request_too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    """A JSON or form body over DATA_UPLOAD_MAX_MEMORY_SIZE (files: common/uploads.py)."""
    return application_error(request, too_large(settings.DATA_UPLOAD_MAX_MEMORY_SIZE))


@api.exception_handler(MultiPartParserError)
@api.exception_handler(SuspiciousOperation)
@api.exception_handler(BadRequest)
def malformed_body(request: HttpRequest, exc: Exception) -> HttpResponse:
    """A body Django cannot read (a broken multipart body, headers over its limits, too
    many fields): the API's own 400 in JSON, not Django's HTML page. Found by the
    schemathesis negative run (a multipart part with a thousand header lines)."""
    return error_response(
        request, 400, "malformed_body", _("The request's body could not be read.")
    )


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    codes = {401: "not_authenticated", 403: "forbidden", 405: "method_not_allowed"}
    return error_response(request, exc.status_code, codes.get(exc.status_code, "error"), str(exc))
