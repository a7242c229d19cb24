"""The TikTok client as the sign-in uses it: no database connection held while TikTok
answers, and TikTok refusing our own credentials told apart from a user's failure.

Django keeps the connection a request borrowed from the pool until the request ends, and a
sign-in may have read the database before calling TikTok (a panel setting on a cold cache, a
login attempt or a minted token stored in the database). Every client built here gives idle
pooled connections back first (:mod:`tiktok_mobile_auth.storage.round_trips`), so a burst
of sign-ins waiting on TikTok does not drain the pool while the database idles.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from tiktok_mobile_auth.conf import TikTokConfig
from tiktok_mobile_auth.exceptions import NotConfigured
from tiktok_mobile_auth.storage.round_trips import release_idle_pooled_connections
from tiktok_mobile_auth.tiktok import TikTokClient, TikTokOAuthError


def tiktok_client(config: TikTokConfig) -> TikTokClient:
    """A :class:`TikTokClient` for ``config`` that releases idle pooled connections before
    each call."""
    return TikTokClient(config, before_call=release_idle_pooled_connections)


@contextmanager
def credentials_refusal_is_misconfiguration() -> Iterator[None]:
    """TikTok refusing our own client key or secret (``invalid_client``, at a code exchange or
    a refresh) is this server's misconfiguration, not the user's fault: re-raise it as
    :class:`NotConfigured`. Other TikTok errors pass through."""
    try:
        yield
    except TikTokOAuthError as err:
        if err.code != "invalid_client":
            raise
        raise NotConfigured(
            "TikTok refused this server's client key or secret: check "
            "TIKTOK_CLIENT_KEY and TIKTOK_CLIENT_SECRET."
        ) from err
