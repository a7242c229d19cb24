"""What to believe from the proxies in front: the client's IP and the request's scheme.

Both ``X-Forwarded-For`` and ``X-Forwarded-Proto`` can be written by the client, so both are
believed only from a peer listed in ``TRUSTED_PROXIES``, by one rule (:func:`is_trusted_proxy`).

**The client's IP** (:func:`client_ip`, used for sign-in records and throttling):
``X-Forwarded-For`` is read right to left: each hop added by a trusted proxy is skipped, and
the first address that is not a trusted proxy is the client. With no trusted proxies,
``REMOTE_ADDR`` is the client.

**The scheme** (:class:`TrustedProxyMiddleware`):
Django's ``SECURE_PROXY_SSL_HEADER`` believes the header from anyone: a client talking plain
http straight to an instance could send ``X-Forwarded-Proto: https`` and be taken for a TLS
connection (``request.is_secure()``, https absolute URLs, CSRF's strict Referer rule, the
``require_https`` of a redirect check). :class:`TrustedProxyMiddleware` replaces it: the
request is marked https only when its peer (``REMOTE_ADDR``) is one of ``TRUSTED_PROXIES``
(the same rule that decides whether ``X-Forwarded-For``
is believed) and the header says so. Without trusted proxies the header
is ignored, and the scheme is the one the server itself saw.

Use it instead of ``SECURE_PROXY_SSL_HEADER`` (leave that setting unset), first in
``MIDDLEWARE`` so everything after it sees the scheme. ``X-Forwarded-Host`` and
``X-Forwarded-Port`` are not read at all: keep ``USE_X_FORWARDED_HOST`` and
``USE_X_FORWARDED_PORT`` off and have the proxy pass ``Host`` through.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from functools import lru_cache

from django.http import HttpRequest, HttpResponse

from tiktok_mobile_auth.conf import get_config

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


PROTO_HEADER = "HTTP_X_FORWARDED_PROTO"


def forwarded_scheme(request: HttpRequest) -> str | None:
    """``https`` or ``http`` as the trusted proxy in front says, else None (no header, or a
    peer that is not a trusted proxy)."""
    header = request.META.get(PROTO_HEADER)
    if header is None:
        return None
    # Only the settings: the admin panel (a cache read) has no say in it, and this runs for
    # every request of the site, not just the plugin's.
    proxies = get_config(offline=True).trusted_proxies
    if not is_trusted_proxy(request.META.get("REMOTE_ADDR", ""), proxies):
        return None
    # The last value is the one our own proxy wrote; earlier ones came from farther away.
    return "https" if header.rsplit(",", 1)[-1].strip().lower() == "https" else "http"


def _set_scheme(request: HttpRequest, scheme: str) -> None:
    scope = getattr(request, "scope", None)  # an ASGIRequest reads its scope's scheme first
    if isinstance(scope, dict):
        scope["scheme"] = scheme
    request.META["wsgi.url_scheme"] = scheme  # a WSGIRequest's environ is its META


class TrustedProxyMiddleware:
    """Mark the request https (or http) as a trusted proxy's ``X-Forwarded-Proto`` says."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        scheme = forwarded_scheme(request)
        if scheme is not None:
            _set_scheme(request, scheme)
        return self.get_response(request)
