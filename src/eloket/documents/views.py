"""The public verification page: by code (typed or from the QR code) or by uploading the
PDF. Anyone may use it; code look-ups and uploads are rate-limited per address."""

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from eloket.common.errors import ApplicationError
from eloket.documents.codes import normalise_code
from eloket.documents.ratelimit import check_rate, check_upload_rate
from eloket.documents.verify import verify_code, verify_pdf


@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest, code: str = "") -> HttpResponse:
    result = None
    error = None
    method = ""
    if request.method == "POST":
        if request.FILES.get("document"):
            # The upload handler has refused a file over ELOKET_UPLOAD_MAX_BYTES already.
            upload: UploadedFile = request.FILES["document"]  # type: ignore[assignment]
            try:
                check_upload_rate(request)
                result = verify_pdf(upload.read())
                method = "upload"
            except ApplicationError as exc:
                error = exc
        elif request.POST.get("code"):
            return HttpResponseRedirect(f"/verify/{normalise_code(request.POST['code'])[:24]}")
    elif code:
        try:
            check_rate(request, scope="verify", limit=settings.ELOKET_VERIFY_RATE)
            result = verify_code(code)
            method = "code"
        except ApplicationError as exc:
            error = exc
    status = 200
    if error is not None:
        status = error.status
    return render(
        request,
        "documents/verify.html",
        {"result": result, "error": error, "method": method, "code": code},
        status=status,
    )
