"""The client's IP address, believing X-Forwarded-For only from trusted proxies.

``X-Forwarded-For`` is written by the client too, so it is read right to left: each hop
added by a proxy listed in ``TRUSTED_PROXIES`` is skipped, and the first address that is
not a trusted proxy is the client. With no trusted proxies, ``REMOTE_ADDR`` is the client.
Used for sign-in records and throttling.

:func:`is_trusted_proxy` is the one rule for "is this peer a trusted proxy": the proxy
middleware (:mod:`tiktok_mobile_auth.proxy`) believes ``X-Forwarded-Proto`` by it too.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.http import HttpRequest

from .conf import get_config

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(proxies: tuple[str, ...]) -> tuple[list[Network], list[str]]:
    """(the networks, the entries that are not an IP or CIDR)."""
    networks, invalid = [], []
    for proxy in proxies:
        try:
            networks.append(ipaddress.ip_network(proxy, strict=False))
        except ValueError:
            invalid.append(proxy)
    return networks, invalid


@lru_cache(maxsize=16)
def _networks(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    # Invalid entries are reported by a system check (E006) and ignored here.
    return tuple(parse_networks(proxies)[0])


def _parse(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def _trusted(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address, proxies: tuple[str, ...]
) -> bool:
    return any(address in network for network in _networks(proxies))


def is_trusted_proxy(remote_addr: str, proxies: tuple[str, ...]) -> bool:
    """Whether ``remote_addr`` (a peer's address, as in ``REMOTE_ADDR``) is in ``proxies``
    (IPs or CIDRs). An unparseable address is never trusted."""
    address = _parse(remote_addr)
    return address is not None and _trusted(address, proxies)


def client_ip(request: HttpRequest, proxies: tuple[str, ...] | None = None) -> str | None:
    """The client's IP as a string, or None when REMOTE_ADDR is unusable."""
    remote = _parse(request.META.get("REMOTE_ADDR", ""))
    if remote is None:
        return None
    proxies = get_config().trusted_proxies if proxies is None else proxies
    if not _networks(proxies):
        return str(remote)
    hops = [remote]
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops += [ip for ip in map(_parse, reversed(forwarded.split(","))) if ip is not None]
    for hop in hops:
        if not _trusted(hop, proxies):
            return str(hop)
    return str(hops[-1])  # every hop is a trusted proxy: the farthest one is all we know
