"""Who is on the other end of a request: the client's address, believed from the
`X-Forwarded-For` header only when the request comes from a configured trusted proxy
(ELOKET_TRUSTED_PROXIES, e.g. the nginx in front of the web nodes). Anything else a
client writes in that header is ignored: otherwise anyone could pick the address their
failures are counted under."""

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=16)
def _networks(spec: tuple[str, ...]) -> tuple[Network, ...]:
    found = []
    for item in spec:
        try:
            found.append(ipaddress.ip_network(item.strip(), strict=False))
        except ValueError:
            continue
    return tuple(found)


def is_trusted_proxy(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in network for network in _networks(tuple(settings.ELOKET_TRUSTED_PROXIES)))


def client_address(request: HttpRequest) -> str:
    """The address of the client: the right-most address in `X-Forwarded-For` that is not
    one of our proxies, when the request came through one; else the peer's address."""
    peer = str(request.META.get("REMOTE_ADDR", ""))
    if not is_trusted_proxy(peer):
        return peer
    forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR", ""))
    for hop in reversed([part.strip() for part in forwarded.split(",") if part.strip()]):
        if not is_trusted_proxy(hop):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return peer  # a proxy wrote garbage: count it under the proxy
    return peer
