"""Addresses the server itself may call. A URL someone configured (an identity provider's
issuer, the addresses in its discovery document) is fetched by the server: pointed at
127.0.0.1, a private network or the cloud's metadata address, it would make the server
reach what only the server can reach (server-side request forgery). Outside demo mode
such URLs are refused; the demo's own peers run on loopback and are allowed there."""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

from eloket.common.errors import ApplicationError


class UnsafeAddress(ApplicationError):
    code = "unsafe_address"
    status = 400


def _internal(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_reserved
        or address.is_multicast
        or address.is_unspecified
        or not address.is_global
    )


def addresses_of(host: str) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """The addresses `host` stands for (a literal address, or what DNS answers)."""
    try:
        return [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        pass
    try:
        answers = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError) as exc:
        raise UnsafeAddress(
            _("The address %(host)s cannot be resolved.") % {"host": host[:100]}
        ) from exc
    found = []
    for *_rest, sockaddr in answers:
        try:
            found.append(ipaddress.ip_address(str(sockaddr[0]).split("%")[0]))
        except ValueError:
            continue
    return found


def public_url(url: str, *, allow_internal: bool | None = None) -> str:
    """`url` if the server may call it: http(s), and (outside demo mode) every address its
    host resolves to is a public one. Else UnsafeAddress naming why."""
    if allow_internal is None:
        allow_internal = bool(settings.ELOKET_DEMO)
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise UnsafeAddress(_("%(url)s is not a web address.") % {"url": url[:200]})
    if parts.username or parts.password:
        raise UnsafeAddress(_("A web address with a password in it is refused."))
    if allow_internal:
        return url
    if parts.scheme != "https":
        raise UnsafeAddress(_("%(url)s must use https.") % {"url": url[:200]})
    addresses = addresses_of(parts.hostname)
    if not addresses or any(_internal(address) for address in addresses):
        raise UnsafeAddress(
            _(
                "%(url)s points at a loopback, private or link-local address; the server "
                "does not call those."
            )
            % {"url": url[:200]}
        )
    return url
