"""How much a request may send, enforced while it is read (issue 10, point 8).

Django reads a multipart upload whole, to memory or to a temporary file, before any view
can look at its size. `BoundedUploadHandler` (first in `FILE_UPLOAD_HANDLERS`) refuses a
request whose declared length is already too large without reading it, and stops reading
once the files received pass the limit; the parts already written are closed and deleted.
The refusal is `UploadTooLarge` (413, code `upload_too_large`): the API answers it as any
`ApplicationError`, the pages through `web.middleware.UploadLimitMiddleware`.

The limit is `ELOKET_UPLOAD_MAX_BYTES`; a view that takes more (the Polis import) says so
with `@upload_limit("ELOKET_POLIS_UPLOAD_MAX_BYTES")` (a page) or
`@decorate_view(upload_limit(...))` (an API operation). A raw body (a PDF sent as
`application/pdf`) is read with `read_body`, which checks `Content-Length` first and never
reads more than the limit and one byte.
"""

import functools
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest
from django.utils.translation import gettext as _

from eloket.common.errors import ApplicationError

# Room for the multipart envelope (boundaries, part headers, the form's other fields)
# between the files' limit and the length of the whole request; nginx's
# client_max_body_size is the limit plus this, rounded (deploy/nginx.conf.example).
ENVELOPE_BYTES = 1024 * 1024
DEFAULT_SETTING = "ELOKET_UPLOAD_MAX_BYTES"


class UploadTooLarge(ApplicationError):
    code = "upload_too_large"
    status = 413


def megabytes(size: int) -> str:
    """20 MB, 5 MB, 0.5 MB: the limit as people read it."""
    value = size / (1024 * 1024)
    return f"{value:.0f}" if value >= 1 else f"{value:.1f}"


def too_large(limit: int, hint: Any = "") -> UploadTooLarge:
    message = _(
        "What you sent is larger than %(mb)s MB, the most accepted here. Nothing was saved."
    ) % {"mb": megabytes(limit)}
    if hint:
        message = f"{message} {hint}"
    return UploadTooLarge(message, details={"limit_bytes": limit})


def limit_of(request: HttpRequest) -> tuple[int, Any]:
    """The limit for this request (bytes) and the hint to give with a refusal."""
    setting = getattr(request, "upload_limit_setting", None) or DEFAULT_SETTING
    return int(getattr(settings, setting)), getattr(request, "upload_limit_hint", "")


def upload_limit(
    setting: str, hint: Any = ""
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Let a view (or, through ninja's `decorate_view`, an API operation) take uploads up
    to the size in `setting` instead of ELOKET_UPLOAD_MAX_BYTES. The middleware reads the
    attributes before anything parses the body (the CSRF check does, for a page); an API
    operation sets them on the request before ninja reads its files."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            request.upload_limit_setting = setting  # type: ignore[attr-defined]
            request.upload_limit_hint = hint  # type: ignore[attr-defined]
            return view(request, *args, **kwargs)

        wrapper.upload_limit_setting = setting  # type: ignore[attr-defined]
        wrapper.upload_limit_hint = hint  # type: ignore[attr-defined]
        return wrapper

    return decorate


def declared_length(request: HttpRequest) -> int | None:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
    return length if length >= 0 else None


def read_body(request: HttpRequest) -> bytes:
    """The raw body, at most the request's limit: refused up front when Content-Length
    says more, and when more arrives than it said (never more than the limit + 1 read)."""
    limit, hint = limit_of(request)
    length = declared_length(request)
    if length is not None and length > limit:
        raise too_large(limit, hint)
    if hasattr(request, "_body"):
        data: bytes = request._body
    else:
        data = request.read(limit + 1)
    if len(data) > limit:
        raise too_large(limit, hint)
    return data


class BoundedUploadHandler(FileUploadHandler):
    """First of the upload handlers: counts the bytes of every file of the request and
    stops the upload when they pass the limit, before the next handlers store them."""

    def __init__(self, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self.received = 0
        self.refused: UploadTooLarge | None = None

    def _limit(self) -> tuple[int, Any]:
        if self.request is None:
            return int(getattr(settings, DEFAULT_SETTING)), ""
        return limit_of(self.request)

    def handle_raw_input(
        self,
        input_data: Any,
        META: dict[str, Any],
        content_length: int,
        boundary: str,
        encoding: str | None = None,
    ) -> None:
        limit, hint = self._limit()
        if content_length > limit + ENVELOPE_BYTES:
            raise too_large(limit, hint)  # nothing read

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        limit, hint = self._limit()
        if self.content_length is not None and self.received + self.content_length > limit:
            self.refused = too_large(limit, hint)
            raise StopUpload(connection_reset=False)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        limit, hint = self._limit()
        if self.received > limit:
            self.refused = too_large(limit, hint)
            # Django closes (and so deletes) what was written, then reads the rest of the
            # body, already bounded by the length checked in handle_raw_input, to nowhere.
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None

    def upload_complete(self) -> None:
        if self.refused is not None:
            raise self.refused
