"""Opening an attachment: for the request's applicant (under their request page) and for
the officers who may handle it (under the back office). Anyone else gets 404, whether
the request or the file exists or not. The file is streamed with the type read from its
content (never the sender's claim), `nosniff`, and a sandboxing Content-Security-Policy:
a PDF or an image opens in place, anything else is a download."""

from typing import Any, Protocol, cast

from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from eloket.attachments.selectors import attachment_for_officer, attachment_for_requester
from eloket.common.errors import ApplicationError
from eloket.common.nocache import never_cache
from eloket.identity.access import NotAuthenticated, officer_access
from eloket.identity.selectors import citizen_actor_of, officer_role_in
from eloket.tenants.decorators import tenant_page
from eloket.tenants.links import tenant_reverse
from eloket.tenants.models import Municipality

# Whatever the file holds, it runs nothing: no script, no form, no plug-in, an origin of
# its own; images and the browser's PDF viewer still show it.
SANDBOX_CSP = "sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'"


class ServedFile(Protocol):
    """What `file_response` serves: an attachment, or a file kept like one (an
    objection's, inquiries/models.py)."""

    file: Any
    name: str
    content_type: str

    @property
    def opens_in_place(self) -> bool: ...


def file_response(attachment: ServedFile) -> FileResponse:
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404(_("There is no such file.")) from exc
    response = FileResponse(
        handle,
        content_type=attachment.content_type,
        as_attachment=not attachment.opens_in_place,
        filename=attachment.name,
    )
    response["Content-Type"] = attachment.content_type  # FileResponse guesses from the name
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = SANDBOX_CSP
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


@require_GET
@never_cache
@tenant_page
def citizen_file(
    request: HttpRequest, tenant: Municipality, code: str, file_id: str
) -> HttpResponse:
    if not request.user.is_authenticated:
        login = tenant_reverse(request, "identity:login")
        return HttpResponseRedirect(f"{login}?next={request.get_full_path()}")
    if citizen_actor_of(request.user) is None:
        raise Http404(_("There is no such file."))
    try:
        attachment = attachment_for_requester(
            municipality=tenant, user=request.user, tracking_code=code, public_id=file_id
        )
    except ApplicationError as exc:
        raise Http404(str(exc)) from exc
    # A streaming response: the decorators' types know only HttpResponse.
    return cast(HttpResponse, file_response(attachment))


@require_GET
@never_cache
@tenant_page
def officer_file(
    request: HttpRequest, tenant: Municipality, code: str, file_id: str
) -> HttpResponse:
    """Not `officer_page`: someone who does not work here gets 404, as for a file that
    does not exist, not the back office's 403."""
    if not request.user.is_authenticated or officer_role_in(request.user, tenant) is None:
        raise Http404(_("There is no such file."))
    try:
        actor = officer_access(request, tenant)
    except NotAuthenticated:
        return HttpResponseRedirect(f"/auth/officer/login?next={request.get_full_path()}")
    except ApplicationError as exc:
        raise Http404(str(exc)) from exc
    try:
        attachment = attachment_for_officer(
            municipality=tenant, actor=actor, tracking_code=code, public_id=file_id
        )
    except ApplicationError as exc:
        raise Http404(str(exc)) from exc
    # A streaming response: the decorators' types know only HttpResponse.
    return cast(HttpResponse, file_response(attachment))
