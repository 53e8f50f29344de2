"""The host's own chrome (issue 15, docs/embedding.md): a template page of the
municipality's web site, with one element marked `data-eloket-content`, fetched on the
server, sanitised and split around that element; Eloket's pages are then served inside it.

Fetching a URL someone typed is the classic server-side request forgery: every hop is
checked before it is made (http(s) only, the allowed host names, every address the name
resolves to is public — loopback only for the operator's command line, never a private
or link-local one), and the connection goes to the address that was checked, so a DNS
answer that changes between the check and the connection (rebinding) changes nothing.
Redirects are followed by hand, each checked again; time-outs and a size limit bound it.

Sanitising: lxml parses the page (as a browser would, repairing it), finds the marker,
makes links absolute and collects the stylesheets; nh3 (ammonia) then cleans the body
with an allow-list of tags and attributes: no script, no event handler, no style
attribute, no javascript: link. The marker's content is replaced by a placeholder that
splits the cleaned body in the part before Eloket's content and the part after it.
"""

import base64
import hashlib
import ipaddress
import re
import secrets
import time
from collections import Counter
from dataclasses import dataclass, field
from html import escape
from typing import Any
from urllib.parse import urljoin, urlsplit

import lxml.html
import nh3
import urllib3
from django.conf import settings
from django.utils.translation import gettext as _

from eloket.common.errors import ApplicationError
from eloket.common.netguard import addresses_of

MARKER = "data-eloket-content"
MAX_BYTES = 512 * 1024
CONNECT_TIMEOUT = 3.0
READ_TIMEOUT = 5.0
TOTAL_SECONDS = 10.0
MAX_REDIRECTS = 3
USER_AGENT = "Eloket-chrome/1 (+https://eloket.example/docs/embedding)"

# What a header, a menu and a footer are made of. No script, style, iframe, object, svg.
TAGS = nh3.ALLOWED_TAGS | {
    "main",
    "section",
    "form",
    "input",
    "button",
    "label",
    "select",
    "option",
    "picture",
    "source",
    "address",
    "fieldset",
    "legend",
}
GENERIC_ATTRIBUTES = {"class", "id", "role", "title", "lang", "dir", "hidden"}
ATTRIBUTES = {
    "*": GENERIC_ATTRIBUTES,
    "a": {"href", "hreflang", "rel", "target"},
    "img": {"src", "alt", "width", "height", "srcset", "sizes", "loading"},
    "source": {"srcset", "media", "type", "sizes"},
    "form": {"action", "method"},
    "input": {"type", "name", "value", "placeholder", "autocomplete", "required"},
    "button": {"type", "name", "value"},
    "label": {"for"},
    "select": {"name"},
    "option": {"value", "selected"},
    "details": {"open"},
    "ol": {"start", "reversed"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "time": {"datetime"},
}
URL_ATTRIBUTES = ("href", "src", "action", "formaction", "poster", "cite", "background")
CLASS_RE = re.compile(r"^[A-Za-z0-9_-]{1,60}$")
SAFE_SCHEMES = {"http", "https", "mailto", "tel"}


def report_labels() -> dict[str, str]:
    """The words of the kept/removed report, translated (the admin's preview)."""
    return {
        "template": _("template page"),
        "stylesheet": _("stylesheets"),
        "style block": _("style blocks"),
        "link": _("links"),
        "script": _("scripts"),
        "noscript": _("noscript blocks"),
        "event handler": _("event handlers"),
        "style attribute": _("style attributes"),
        "unsafe link": _("unsafe links"),
        "stylesheet not on http(s)": _("stylesheets not on http(s)"),
        "style block with markup": _("style blocks with markup"),
        "iframe": _("frames"),
        "object": _("objects"),
        "embed": _("embedded objects"),
        "svg": _("SVG images"),
        "canvas": _("canvases"),
        "video": _("videos"),
        "audio": _("audio"),
    }


def report_lines(counts: dict[str, int]) -> list[tuple[str, int]]:
    labels = report_labels()
    return [(labels.get(key, key), n) for key, n in sorted(counts.items())]


class ChromeRefused(ApplicationError):
    code = "chrome_refused"
    status = 400


@dataclass(frozen=True)
class FetchPolicy:
    """Where a fetch may go. `hosts`: the host names allowed (None: any, the operator's
    command line); `allow_loopback`: 127.0.0.0/8 and ::1 (the command line only)."""

    hosts: frozenset[str] | None
    allow_loopback: bool


def host_names_of(municipality: Any) -> frozenset[str]:
    """The host names that are the municipality's own: its Eloket host name and its web
    site's. A template page from the admin form must be on one of them."""
    names = {municipality.host or ""}
    if municipality.website:
        names.add((urlsplit(municipality.website).hostname or "").lower())
    return frozenset(name for name in names if name)


def _refuse(message: str) -> ChromeRefused:
    return ChromeRefused(message)


def _classify(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link-local"
    if address.is_private:
        return "private"
    if (
        address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    ):
        return "reserved"
    return "public"


def _kind_label(kind: str) -> str:
    return {
        "loopback": _("loopback"),
        "private": _("private"),
        "link-local": _("link-local"),
    }.get(kind, _("reserved"))


def check_url(
    url: str, policy: FetchPolicy
) -> tuple[str, ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """The host name of `url` and the one address to connect to, if the policy allows it;
    ChromeRefused naming why otherwise."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _refuse(_("%(url)s is not an http or https address.") % {"url": url[:200]})
    if parts.username or parts.password:
        raise _refuse(_("A web address with a password in it is refused."))
    host = parts.hostname.lower().rstrip(".")
    try:
        parts.port  # noqa: B018 (raises on a bad port)
    except ValueError as exc:
        raise _refuse(_("%(url)s has a bad port.") % {"url": url[:200]}) from exc
    if policy.hosts is not None and host not in policy.hosts:
        raise _refuse(
            _(
                "%(host)s is not one of the municipality's host names (%(hosts)s): the "
                "template page must be on its own site."
            )
            % {"host": host[:100], "hosts": ", ".join(sorted(policy.hosts)) or "-"}
        )
    addresses = addresses_of(host)
    if not addresses:
        raise _refuse(_("The address %(host)s cannot be resolved.") % {"host": host[:100]})
    for address in addresses:
        kind = _classify(address)
        if kind == "public" or (kind == "loopback" and policy.allow_loopback):
            continue
        raise _refuse(
            _(
                "%(host)s resolves to %(address)s, a %(kind)s address: the server does "
                "not fetch from those."
            )
            % {"host": host[:100], "address": address, "kind": _kind_label(kind)}
        )
    return host, addresses[0]


def fetch(url: str, policy: FetchPolicy) -> tuple[str, str]:
    """The final URL and the text of the page at `url`, fetched within the limits; every
    hop checked (check_url) and connected to the checked address."""
    deadline = time.monotonic() + TOTAL_SECONDS
    for _hop in range(MAX_REDIRECTS + 1):
        host, address = check_url(url, policy)
        parts = urlsplit(url)
        https = parts.scheme == "https"
        port = parts.port or (443 if https else 80)
        timeout = urllib3.Timeout(connect=CONNECT_TIMEOUT, read=READ_TIMEOUT)
        pool: urllib3.HTTPConnectionPool
        if https:
            pool = urllib3.HTTPSConnectionPool(
                str(address),
                port,
                timeout=timeout,
                retries=False,
                cert_reqs="CERT_REQUIRED",
                server_hostname=host,
                assert_hostname=host,
            )
        else:
            pool = urllib3.HTTPConnectionPool(str(address), port, timeout=timeout, retries=False)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        host_header = host if parts.port is None else f"{host}:{parts.port}"
        try:
            response = pool.urlopen(
                "GET",
                target,
                headers={
                    "Host": host_header,
                    "User-Agent": USER_AGENT,
                    "Accept": "text/html",
                    "Accept-Encoding": "identity",
                },
                redirect=False,
                retries=False,
                preload_content=False,
            )
        except urllib3.exceptions.HTTPError as exc:
            raise _refuse(
                _("%(url)s could not be fetched: %(reason)s")
                % {"url": url[:200], "reason": type(exc).__name__}
            ) from exc
        try:
            if response.status in (301, 302, 303, 307, 308):
                location = response.headers.get("Location", "")
                if not location:
                    raise _refuse(_("%(url)s redirects nowhere.") % {"url": url[:200]})
                url = urljoin(url, location)
                continue
            if response.status != 200:
                raise _refuse(
                    _("%(url)s answered %(status)s.")
                    % {"url": url[:200], "status": response.status}
                )
            content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
            if content_type not in ("text/html", "application/xhtml+xml"):
                raise _refuse(_("%(url)s is not an HTML page.") % {"url": url[:200]})
            body = bytearray()
            try:
                for chunk in response.stream(16384):
                    body += chunk
                    if len(body) > MAX_BYTES:
                        raise _refuse(
                            _("The template page is larger than %(kb)d KB.")
                            % {"kb": MAX_BYTES // 1024}
                        )
                    if time.monotonic() > deadline:
                        raise _refuse(_("The template page took too long to fetch."))
            except urllib3.exceptions.HTTPError as exc:
                raise _refuse(
                    _("%(url)s could not be fetched: %(reason)s")
                    % {"url": url[:200], "reason": type(exc).__name__}
                ) from exc
            charset = response.headers.get("Content-Type", "").partition("charset=")[2]
            charset = charset.split(";")[0].strip().strip('"') or "utf-8"
            try:
                text = bytes(body).decode(charset, errors="replace")
            except LookupError:
                text = bytes(body).decode("utf-8", errors="replace")
            return url, text
        finally:
            response.release_conn()
            pool.close()
    raise _refuse(_("%(url)s redirects too often.") % {"url": url[:200]})


@dataclass
class Sanitised:
    head_html: str
    before_html: str
    after_html: str
    body_class: str
    inside_main: bool
    scripts: list[str]
    style_origins: list[str]
    style_hashes: list[str]
    kept: dict[str, int] = field(default_factory=dict)
    removed: dict[str, int] = field(default_factory=dict)

    @property
    def version(self) -> str:
        digest = hashlib.sha256()
        for part in (self.head_html, self.before_html, self.after_html, self.body_class):
            digest.update(part.encode())
            digest.update(b"\0")
        digest.update(repr((self.inside_main, self.scripts)).encode())
        return digest.hexdigest()[:16]


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def sanitise(html: str, base_url: str, *, script_hosts: frozenset[str]) -> Sanitised:
    """Split the page `html` (fetched from `base_url`) around its marker and clean it.
    Scripts are always removed from the markup; the addresses of external scripts on one
    of `script_hosts` are kept aside (served only where the administrator chose it)."""
    if not html.strip():
        raise _refuse(_("The template page is empty."))
    try:
        doc = lxml.html.document_fromstring(html)
    except (ValueError, lxml.etree.ParserError) as exc:
        raise _refuse(_("The template page is not HTML.")) from exc
    kept: Counter[str] = Counter()
    removed: Counter[str] = Counter()
    base = doc.find(".//base[@href]")
    if base is not None:
        base_url = urljoin(base_url, base.get("href", ""))
        base.drop_tree()
    doc.make_links_absolute(base_url, resolve_base_href=False, handle_failures="discard")
    markers = doc.xpath(f"//*[@{MARKER}]")
    if len(markers) != 1:
        raise _refuse(
            _(
                "The template page must have exactly one element with the attribute "
                "%(marker)s (it has %(n)d)."
            )
            % {"marker": MARKER, "n": len(markers)}
        )
    marker = markers[0]
    body = doc.find("body")
    if body is None or not any(a is body for a in marker.iterancestors()):
        raise _refuse(
            _("The element with %(marker)s must be in the page's body.") % {"marker": MARKER}
        )
    if marker.tag in ("img", "input", "br", "hr", "source", "a", "p", "button", "form"):
        raise _refuse(
            _("The element with %(marker)s must be a container, such as a div or main.")
            % {"marker": MARKER}
        )
    inside_main = marker.tag == "main" or any(a.tag == "main" for a in marker.iterancestors())

    # Scripts: out of the markup; external ones on the allowed hosts are noted.
    scripts: list[str] = []
    for element in list(doc.iter("script", "noscript")):
        if element.tag == "script":
            src = element.get("src", "")
            parts = urlsplit(src)
            if (
                src
                and parts.scheme in ("http", "https")
                and (parts.hostname or "") in script_hosts
                and src not in scripts
            ):
                scripts.append(src)
            removed["script"] += 1
        else:
            removed["noscript"] += 1
        element.drop_tree()

    # Stylesheets (wherever they are) go to the head; inline style blocks are kept with
    # their hash for the page's Content-Security-Policy.
    head_parts: list[str] = []
    origins: list[str] = [_origin(base_url)]
    hashes: list[str] = []
    for element in list(doc.iter("link", "style")):
        if element.tag == "link":
            rel = (element.get("rel") or "").lower().split()
            href = element.get("href", "")
            if "stylesheet" in rel and urlsplit(href).scheme in ("http", "https"):
                media = element.get("media", "")
                media_attribute = f' media="{escape(media)}"' if media else ""
                head_parts.append(f'<link rel="stylesheet" href="{escape(href)}"{media_attribute}>')
                if _origin(href) not in origins:
                    origins.append(_origin(href))
                kept["stylesheet"] += 1
            elif "stylesheet" in rel:
                removed["stylesheet not on http(s)"] += 1
        else:
            css = element.text or ""
            if "</" in css:
                removed["style block with markup"] += 1
            elif css.strip():
                head_parts.append(f"<style>{css}</style>")
                hashes.append(
                    "sha256-" + base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
                )
                kept["style block"] += 1
        element.drop_tree()

    # Links that are not http(s), mailto or tel (javascript:, data:, ...) are dropped.
    for element in body.iter():
        if not isinstance(element.tag, str):
            continue
        for name in list(element.attrib):
            if name.startswith("on"):
                removed["event handler"] += 1
                del element.attrib[name]
            elif name == "style":
                removed["style attribute"] += 1
                del element.attrib[name]
            elif name in URL_ATTRIBUTES:
                scheme = urlsplit(element.attrib[name].strip()).scheme.lower()
                if scheme not in SAFE_SCHEMES:
                    removed["unsafe link"] += 1
                    del element.attrib[name]
    for tag in ("iframe", "object", "embed", "svg", "canvas", "video", "audio", "template"):
        for element in list(body.iter(tag)):
            removed[tag] += 1
            element.drop_tree()
    for element in body.iter("a"):
        if element.get("href"):
            kept["link"] += 1
    for element in body.iter("img"):
        if element.get("src") and _origin(element.get("src", "")) not in origins:
            origins.append(_origin(element.get("src", "")))

    placeholder = f"ELOKETCONTENT{secrets.token_hex(8)}"
    for child in list(marker):
        marker.remove(child)
    marker.text = placeholder
    body_class = " ".join(
        name for name in (body.get("class") or "").split() if CLASS_RE.match(name)
    )[:200]
    inner = (body.text or "") + "".join(
        lxml.html.tostring(child, encoding="unicode") for child in body
    )
    cleaned = nh3.clean(
        inner,
        tags=TAGS,
        attributes=ATTRIBUTES,
        generic_attribute_prefixes={"data-", "aria-"},
        url_schemes=SAFE_SCHEMES,
        link_rel=None,
        strip_comments=True,
    )
    if cleaned.count(placeholder) != 1:
        raise _refuse(
            _("The element with %(marker)s did not survive cleaning: use a div or main.")
            % {"marker": MARKER}
        )
    before, after = cleaned.split(placeholder)
    if (
        cleaned.count(MARKER) != 1
        or not before.rstrip().endswith(">")
        or MARKER not in before.rsplit("<", 1)[-1]
    ):
        raise _refuse(
            _("The element with %(marker)s did not survive cleaning: use a div or main.")
            % {"marker": MARKER}
        )
    kept["template"] = 1
    return Sanitised(
        head_html="\n".join(head_parts),
        before_html=before,
        after_html=after,
        body_class=body_class,
        inside_main=inside_main,
        scripts=scripts,
        style_origins=origins,
        style_hashes=hashes,
        kept=dict(kept),
        removed=dict(removed),
    )


# --- What pages read: the usable chrome of a municipality, cached per process.


@dataclass(frozen=True)
class ChromeParts:
    head: str
    before: str
    after: str
    body_class: str
    inside_main: bool
    scripts: tuple[str, ...]
    style_origins: tuple[str, ...]
    style_hashes: tuple[str, ...]
    keep_scripts: bool
    version: str


def chrome_parts_of(result: Sanitised) -> ChromeParts:
    """A fetched page as pages read it, before it is kept (the admin's preview)."""
    return ChromeParts(
        head=result.head_html,
        before=result.before_html,
        after=result.after_html,
        body_class=result.body_class,
        inside_main=result.inside_main,
        scripts=(),
        style_origins=tuple(result.style_origins),
        style_hashes=tuple(result.style_hashes),
        keep_scripts=False,
        version=result.version,
    )


CHROME_CACHE_SECONDS: float = getattr(settings, "ELOKET_TENANT_CACHE_SECONDS", 5.0)
_cache: dict[int, tuple[ChromeParts | None, float]] = {}


def chrome_version(municipality_id: int) -> str:
    """Which chrome the municipality's pages are in ("" for Eloket's own): part of the key
    of a page kept whole (common/pagecache.py)."""
    parts = chrome_parts(municipality_id)
    return parts.version if parts is not None else ""


def chrome_parts(municipality_id: int) -> ChromeParts | None:
    """The chrome pages of this municipality are served in, or None (Eloket's own): from
    a per-process cache that other processes' changes reach within CHROME_CACHE_SECONDS
    (as every tenant change, ADR 0002); this process's own changes at once."""
    from eloket.tenants.models import HostChrome

    now = time.monotonic()
    cached = _cache.get(municipality_id)
    if cached is not None and cached[1] > now:
        return cached[0]
    row = (
        HostChrome.objects.filter(municipality_id=municipality_id, enabled=True)
        .exclude(version="")
        .first()
    )
    parts = None
    if row is not None:
        parts = ChromeParts(
            head=row.head_html,
            before=row.before_html,
            after=row.after_html,
            body_class=row.body_class,
            inside_main=row.inside_main,
            scripts=tuple(row.scripts),
            style_origins=tuple(row.style_origins),
            style_hashes=tuple(row.style_hashes),
            keep_scripts=row.keep_host_scripts,
            version=row.version,
        )
    if len(_cache) > 2000:
        _cache.clear()
    _cache[municipality_id] = (parts, now + CHROME_CACHE_SECONDS)
    return parts


def chrome_cache_clear() -> None:
    _cache.clear()
