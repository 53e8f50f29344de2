"""Upload limits on pages (common/uploads.py): the view's own limit is put on the request
before anything reads the body, and a page's body is read here, before the CSRF check
would, so that a refusal is a 413 page in the visitor's language and not a server error."""

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.utils.csp import CSP

from eloket.common.uploads import UploadTooLarge, too_large
from eloket.web.framing import frame_origins_for, leave_frame
from eloket.web.views import refused_upload


class UploadLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        setting = getattr(view, "upload_limit_setting", None)
        if setting:
            request.upload_limit_setting = setting  # type: ignore[attr-defined]
            request.upload_limit_hint = getattr(view, "upload_limit_hint", "")  # type: ignore[attr-defined]
        if request.method != "POST" or getattr(view, "csrf_exempt", False):
            return None  # the API reads its own body, and answers a refusal itself
        # A page that explains a refusal itself (the verification page) says so.
        refused = getattr(view, "upload_refused", refused_upload)
        try:
            request.POST  # noqa: B018 (reads the body now, within the limits)
        except UploadTooLarge as exc:
            return refused(request, exc)
        except RequestDataTooBig:  # form fields beyond DATA_UPLOAD_MAX_MEMORY_SIZE
            return refused(request, too_large(settings.DATA_UPLOAD_MAX_MEMORY_SIZE))
        return None

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, UploadTooLarge):  # a view that read the body itself
            return refused_upload(request, exception)
        return None


class FrameAncestorsMiddleware:
    """A municipality's citizen pages may be shown in a frame by the sites it named
    (`Municipality.frame_origins`, the embed.js snippet, docs/embedding.md): their response
    says `frame-ancestors 'self' <origins>` and has no X-Frame-Options; every other
    response keeps `frame-ancestors 'none'` and X-Frame-Options DENY. Decided from the
    request alone (the municipality and the page's URL name) after the view, so a page
    kept for visitors (common/pagecache.py) gets its framing anew on every answer.
    In a frame, a redirect to log-in (or a form refused for its token) becomes a framed
    page with a link that goes on at the top level (`framing.leave_frame`).
    Placed after the CSP middleware and before HostChromeCspMiddleware: it sees the
    response after the host chrome's policy and before the header is written."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = leave_frame(request, self.get_response(request))
        origins = frame_origins_for(request)
        if (
            not origins
            or "Content-Security-Policy" in response  # a view's own (sandboxing) policy
            or not response.get("Content-Type", "").startswith("text/html")
        ):
            return response
        config = getattr(response, "_csp_config", None) or settings.SECURE_CSP
        policy = {key: list(value) for key, value in config.items()}
        policy["frame-ancestors"] = [CSP.SELF, *origins]
        response._csp_config = policy  # type: ignore[attr-defined]
        response.xframe_options_exempt = True
        return response


class HostChromeCspMiddleware:
    """A page served inside a host's chrome (docs/embedding.md) loads the host's
    stylesheets, images and fonts, may post the host's search form to the host, and (where
    chosen) its scripts: the Content-Security-Policy of that response names those origins
    and the hashes of the host's style blocks. Placed after the CSP middleware, so it
    sees the response first.

    The policy depends only on the chrome (its version), the scripts served and the
    platform's own policy, not on the request: it is made once per process for each and
    shared by the responses (read only: FrameAncestorsMiddleware copies it before adding
    to it). Django's CSP middleware still writes the header per response, so a nonce in
    SECURE_CSP stays one per response. Making it anew cost ~40 µs a page (issue 15)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        parts = getattr(request, "eloket_chrome", None)
        if parts is None:
            return response
        response._csp_config = host_chrome_policy(  # type: ignore[attr-defined]
            parts, getattr(request, "eloket_chrome_scripts", ())
        )
        return response


_policies: dict[tuple[Any, ...], tuple[dict[str, Any], dict[str, tuple[str, ...]]]] = {}


def host_chrome_policy(parts: Any, scripts: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """The Content-Security-Policy of a page in the host's chrome `parts` serving the
    host's `scripts`: made once per chrome version, scripts and SECURE_CSP."""
    base = settings.SECURE_CSP
    key = (parts.version, parts.style_origins, parts.style_hashes, tuple(scripts))
    found = _policies.get(key)
    if found is not None and found[0] is base:  # a changed SECURE_CSP (tests) makes it anew
        return found[1]
    origins = list(parts.style_origins)
    policy = {key: list(value) for key, value in base.items()}
    hashes = [f"'{digest}'" for digest in parts.style_hashes]
    for directive, extra in (
        ("style-src", origins + hashes),
        ("img-src", origins),
        ("font-src", origins),
        ("form-action", origins[:1]),
        ("script-src", _origins(tuple(scripts))),
    ):
        policy[directive] = [*policy.get(directive, []), *extra]
    made = {directive: tuple(values) for directive, values in policy.items()}
    if len(_policies) > 1000:  # chromes refreshed many times in a long-running process
        _policies.clear()
    _policies[key] = (base, made)
    return made


def _origins(urls: tuple[str, ...]) -> list[str]:
    from urllib.parse import urlsplit

    found: list[str] = []
    for url in urls:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in found:
            found.append(origin)
    return found
