"""Redirects to the mobile app's link, with every value URL-encoded and the link's own
query kept. The target is only ever the configured app link (no open redirect)."""

from __future__ import annotations

from urllib.parse import quote, urlencode, urlsplit, urlunsplit

from django.http import HttpResponseRedirect

from tiktok_mobile_auth import url_rules


def add_query(url: str, params: dict[str, str | None]) -> str:
    """``url`` with ``params`` appended to its query (None values are left out).

    The link's own query is kept verbatim. Values are percent-encoded with ``%20`` for a
    space, never ``+``: iOS's ``URLComponents`` does not read ``+`` as a space, so a state
    or description would not come back unchanged.
    """
    parts = urlsplit(url)
    added = [(key, value) for key, value in params.items() if value is not None]
    extra = urlencode(added, quote_via=quote)
    query = "&".join(part for part in (parts.query, extra) if part)
    return urlunsplit(parts._replace(query=query))


class AppRedirect(HttpResponseRedirect):
    """A 302 to the app. The configured link may use the app's own scheme (``myapp://``),
    which Django's redirect refuses by default; it is trusted because it comes from
    configuration, never from the request. The response carries tokens: never cache it,
    never leak it as a referrer."""

    def __init__(self, url: str) -> None:
        scheme = url_rules.custom_scheme(url)  # allowed or not: url_rules.app_link_allowed
        if scheme:
            self.allowed_schemes = [*self.allowed_schemes, scheme]
        super().__init__(url)
        self["Cache-Control"] = "no-store"
        self["Referrer-Policy"] = "no-referrer"
