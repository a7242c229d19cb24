"""``X-Forwarded-Proto``, believed only from a trusted proxy.

Django's ``SECURE_PROXY_SSL_HEADER`` believes the header from anyone: a client talking plain
http straight to an instance could send ``X-Forwarded-Proto: https`` and be taken for a TLS
connection (``request.is_secure()``, https absolute URLs, CSRF's strict Referer rule, the
``require_https`` of a redirect check). :class:`TrustedProxyMiddleware` replaces it: the
request is marked https only when its peer (``REMOTE_ADDR``) is one of ``TRUSTED_PROXIES``
(:func:`tiktok_mobile_auth.client_ip.is_trusted_proxy`, the same rule that decides whether
``X-Forwarded-For`` is believed) and the header says so. Without trusted proxies the header
is ignored, and the scheme is the one the server itself saw.

Use it instead of ``SECURE_PROXY_SSL_HEADER`` (leave that setting unset), first in
``MIDDLEWARE`` so everything after it sees the scheme. ``X-Forwarded-Host`` and
``X-Forwarded-Port`` are not read at all: keep ``USE_X_FORWARDED_HOST`` and
``USE_X_FORWARDED_PORT`` off and have the proxy pass ``Host`` through.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from .client_ip import is_trusted_proxy
from .conf import get_config

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
