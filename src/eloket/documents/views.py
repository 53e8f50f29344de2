"""The public verification page: by code (typed or from the QR code) or by uploading the
PDF. Anyone may use it; code look-ups and uploads are rate-limited per address.

Strangers read it (a landlord, a bank, another administration), so it has its own
language switch, says every outcome in plain words (documents/verdicts.py), and once the
document is identified wears the issuing municipality's name, logo and colours."""

from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from eloket.common.errors import ApplicationError
from eloket.common.pagecache import visitor_page
from eloket.documents.codes import normalise_code
from eloket.documents.ratelimit import check_rate, check_upload_rate
from eloket.documents.verdicts import check_label, verdict_of
from eloket.documents.verify import Verification, verification_refused, verify_code, verify_pdf
from eloket.tenants.links import municipality_reverse
from eloket.tenants.middleware import offered_languages, remember_language
from eloket.tenants.models import Municipality

LANGUAGE_NAMES = dict(settings.LANGUAGES)


def document_download(document: Any) -> HttpResponse:
    """A document's PDF as a download, never cached by the way (the caller checked that
    the reader may open it)."""
    response = HttpResponse(bytes(document.pdf), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="{document.api_kind}-{document.display_code}.pdf"'
    )
    response["Cache-Control"] = "private, no-store"
    return response


@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest, code: str = "") -> HttpResponse:
    result = None
    if request.method == "POST":
        if request.FILES.get("document"):
            # The upload handler has refused a file over ELOKET_UPLOAD_MAX_BYTES already.
            upload: UploadedFile = request.FILES["document"]  # type: ignore[assignment]
            try:
                check_upload_rate(request)
                result = verify_pdf(upload.read())
            except ApplicationError as exc:
                result = verification_refused(exc)
        elif request.POST.get("code"):
            return HttpResponseRedirect(f"/verify/{normalise_code(request.POST['code'])[:24]}")
    elif code:
        try:
            check_rate(request, scope="verify", limit=settings.ELOKET_VERIFY_RATE)
            result = verify_code(code)
        except ApplicationError as exc:
            result = verification_refused(exc, method="code")
    if result is None:
        # The empty form, the same for every visitor: kept per process (pagecache.py).
        brand: Municipality | None = getattr(request, "tenant", None)
        key = ("verify", brand.pk if brand else None, brand.updated_at if brand else None)
        return visitor_page(request, key, lambda: _page(request, None, ""))
    return _page(request, result, code)


def _upload_refused(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
    """A file over the limit, refused while it was read (web.middleware): said on this
    page like any other outcome."""
    return _page(request, verification_refused(exc), "")


verify.upload_refused = _upload_refused  # type: ignore[attr-defined]


def _page(request: HttpRequest, result: Verification | None, code: str) -> HttpResponse:
    context: dict[str, Any] = {"result": result, "code": code}
    # The page wears the issuer's branding once the document is identified; on a
    # municipality's own host name, that municipality's until then.
    brand: Municipality | None = getattr(request, "tenant", None)
    status = 200
    if result is not None:
        verdict = verdict_of(result)
        brand = result.municipality or brand
        context["verdict"] = verdict
        context["checks"] = (
            [(check_label(c), "passed" if ok else "failed") for c, ok in result.checks]
            + [(check_label(c), "not-checked") for c in result.not_reached]
            if result.checks
            else []
        )
        status = {"too_large": 413, "rate_limited": 429, "not_a_pdf": 400}.get(result.outcome, 200)
    if brand is not None:
        context["brand"] = brand
        context["brand_links"] = {
            "home": municipality_reverse(request, brand, "web:home"),
            "theme": municipality_reverse(request, brand, "web:theme"),
            "logo": municipality_reverse(request, brand, "web:logo"),
        }
    context["verify_languages"] = [
        (code, LANGUAGE_NAMES[code])
        for code in offered_languages(request)
        if code in LANGUAGE_NAMES
    ]
    return render(request, "documents/verify.html", context, status=status)


@require_GET
def switch_language(request: HttpRequest, code: str) -> HttpResponse:
    """Remember the language choice (a cookie) and go back: a link, as on the citizen
    pages, so it works without JavaScript."""
    if code not in offered_languages(request):
        raise Http404(_("This language is not offered here."))
    target = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/verify/"
    response = HttpResponseRedirect(target)
    remember_language(response, code)
    return response
