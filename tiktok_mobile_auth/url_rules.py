"""The rules every configured or presented URL must follow, each defined once.

The system checks (:mod:`.checks`), the admin panel's form (:mod:`.cms.forms`), the views
(:mod:`.web.oauth`) and the sign-in (:mod:`.signin.flows`) all ask here, so a rule cannot be
stricter in one place than in another. Pure functions of strings: no settings are read here
(``debug`` and the allow-lists are passed in).
"""

from __future__ import annotations

from urllib.parse import urlsplit

WEB_SCHEMES = ("http", "https")
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")


def is_absolute(url: str) -> bool:
    """``scheme://host...``: a custom app scheme (``myapp://auth``) counts, ``host:port/x`` and
    ``/path`` do not."""
    parts = urlsplit(url)
    return "://" in url and bool(parts.scheme and parts.netloc)


def custom_scheme(url: str) -> str | None:
    """The scheme of ``url`` when it is an app's own (``myapp``), else None (http, https, or
    no scheme at all). Any app can claim a custom scheme and would receive what is sent there,
    so an app link may use one only when ``ALLOW_CUSTOM_SCHEME`` says so."""
    scheme = urlsplit(url).scheme
    return scheme if scheme and scheme not in WEB_SCHEMES else None


def app_link_allowed(url: str, *, allow_custom_scheme: bool) -> bool:
    """Whether the callback may redirect to the app link ``url``: a universal link / App Link
    (http or https) always, a custom scheme only when allowed."""
    return allow_custom_scheme or custom_scheme(url) is None


def has_query_or_fragment(url: str) -> bool:
    """TikTok refuses a redirect URI with a query or a fragment: a callback URL has neither."""
    parts = urlsplit(url)
    return bool(parts.query or parts.fragment)


def callback_scheme_allowed(url: str, *, debug: bool) -> bool:
    """TikTok only redirects to https; plain http is accepted for a loopback host in DEBUG
    (local development)."""
    parts = urlsplit(url)
    if parts.scheme == "https":
        return True
    return debug and parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS


def chosen_redirect_uri(presented: str | None, allowed: tuple[str, ...]) -> str | None:
    """The redirect URI to exchange a native SDK's code with: ``presented`` when it is exactly
    one of ``allowed`` (no prefix or pattern matching: TikTok compares them exactly too), the
    only allowed one when none is presented, else None (refused)."""
    if presented is None:
        return allowed[0] if len(allowed) == 1 else None
    return presented if presented in allowed else None
