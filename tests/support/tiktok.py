"""TikTok's side of the unit tests: the real fake TikTok served in-process, and helpers.

The fake (``tiktok_mobile_auth.testing``) is the one model of TikTok in this project: its
``State`` issues codes and tokens, checks client credentials, PKCE and redirect URIs,
rotates refresh tokens, logs every request and injects faults. The unit tests reach it over
loopback HTTP from a thread of the test process, so the plugin's own ``requests`` session,
timeouts and parsing are exercised exactly as in production.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qs

from tiktok_mobile_auth.testing import FakeTikTokControl, FakeTikTokThread
from tiktok_mobile_auth.testing.model import ApiError, OAuthError
from tiktok_mobile_auth.testing.webhooks import signature

# A user the fake does not seed: a mixed-case union_id (the plugin keeps it as sent) and
# only the basic fields, as a sign-in with just user.info.basic sees them.
ALICE = {
    "open_id": "open-alice",
    "union_id": "Union-Alice-123",
    "display_name": "Alice",
    "avatar_url": "https://cdn.example/alice.jpg",
}
CREDENTIALS = {"client_key": "test-client-key", "client_secret": "test-client-secret"}
BASIC_FIELDS = "open_id,union_id,display_name,avatar_url"


class InProcessTikTok(FakeTikTokControl):
    """The control client of a :class:`FakeTikTokThread`, with its ``state`` at hand."""

    def __init__(self, server: FakeTikTokThread) -> None:
        super().__init__(server.base_url)
        self.state = server.state

    def reset(self) -> None:
        """Back to the start-up state, plus :data:`ALICE`."""
        self.state.reset()
        self.state.clock = time.time  # a test may have frozen it
        self.state.put_user(ALICE)

    def sent(self, endpoint: str | None = None) -> list[dict[str, Any]]:
        """What the code under test sent: the fake's request log, oldest first."""
        return self.state.requests(endpoint)

    def sent_form(self, endpoint: str = "token") -> dict[str, list[str]]:
        """The form of the one request sent to ``endpoint`` (asserting there was one)."""
        requests = self.sent(endpoint)
        assert len(requests) == 1, requests
        return {name: [value] for name, value in requests[0]["form"].items()}

    def holder_of(self, access_token: str) -> str | None:
        """The open_id TikTok knows ``access_token`` by, or None when it refuses the token."""
        try:
            return self.state.user_info(access_token, "open_id")["open_id"]
        except ApiError:
            return None

    def takes_refresh_token(self, refresh_token: str) -> bool:
        """Whether TikTok accepts ``refresh_token`` from our app (which rotates it)."""
        form = {**CREDENTIALS, "grant_type": "refresh_token", "refresh_token": refresh_token}
        try:
            self.state.refresh(form)
        except OAuthError:
            return False
        return True

    def token_pair(self, open_id: str = "open-alice", scope: str = "user.info.basic") -> dict:
        """A token pair issued by the fake without a code (the token endpoint's body)."""
        return self.state.mint_token(open_id, scope=scope)

    def code(self, open_id: str = "open-alice", **binding: Any) -> str:
        """An authorization code as if ``open_id`` had consented (``binding``: scope,
        redirect_uri, code_challenge, code)."""
        return self.state.mint_code(open_id, **binding)


def mint(access_token: str = "act.x", open_id: str = "open-alice", expires_in: int = 3600) -> None:
    """Record ``access_token`` as obtained by this server (as the callback or a code
    exchange would), so connect accepts it under the default ACCESS_TOKEN_POLICY="minted"."""
    from tiktok_mobile_auth.conf import get_config
    from tiktok_mobile_auth.signin import minted_tokens
    from tiktok_mobile_auth.tiktok import TokenGrant

    grant = TokenGrant(access_token, open_id=open_id, scopes=(), expires_in=expires_in)
    minted_tokens.record(grant, get_config())


def sign(raw: bytes, timestamp: float, secret: str = "test-client-secret") -> str:
    """A ``TikTok-Signature`` header for ``raw``, signed as the fake TikTok signs webhooks."""
    return signature(secret, int(timestamp), raw)


def form_of(body: str | bytes) -> dict[str, list[str]]:
    """A URL-encoded body, parsed strictly."""
    text = body.decode() if isinstance(body, bytes) else body
    return parse_qs(text, strict_parsing=True)
