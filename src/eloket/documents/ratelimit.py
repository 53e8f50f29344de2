"""Look-ups per client address (document verification), on the shared rate limit."""

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _

from eloket.common.clients import client_address
from eloket.common.ratelimit import RateLimited, limit_calls

__all__ = ["RateLimited", "check_rate", "check_upload_rate", "client_address"]


def check_rate(
    request: HttpRequest, *, scope: str, limit: int, window: int = 60, message: str = ""
) -> None:
    """Raise RateLimited when this address made more than `limit` calls in the window."""
    limit_calls(
        f"{scope}:{client_address(request)}",
        limit=limit,
        window=window,
        message=message or _("Too many look-ups from your address. Wait a minute and try again."),
    )


def check_upload_rate(request: HttpRequest) -> None:
    """Uploads to verify: reading and checking a PDF's seal costs far more than a code."""
    check_rate(
        request,
        scope="verify-upload",
        limit=settings.ELOKET_VERIFY_UPLOAD_RATE,
        message=_("Too many files checked from your address. Wait a minute and try again."),
    )
