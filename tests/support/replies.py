"""TikTok's replies written out by hand, for tests that pin wire formats with ``responses``.

The fake TikTok (tests/support/tiktok.py) is the model of TikTok for every flow test; these
bodies are only for replies it cannot produce (a body TikTok documents but the fake has no
fault for) and for the parser tests of tiktok/client.py, which pin the exact wire format.
"""

from __future__ import annotations

from typing import Any

from tests.support.tiktok import ALICE

API = "https://open.tiktokapis.test"  # API_BASE_URL of the test settings
TOKEN_URL = f"{API}/v2/oauth/token/"
USER_INFO_URL = f"{API}/v2/user/info/"
REVOKE_URL = f"{API}/v2/oauth/revoke/"


def user_info_reply(user: dict[str, Any] | None = None, **error: Any) -> dict[str, Any]:
    """A /v2/user/info/ body: ``user`` on success, or an error with the given fields."""
    if error:
        return {"data": {}, "error": {"message": "", "log_id": "log-err", **error}}
    return {"data": {"user": user or ALICE}, "error": {"code": "ok", "message": "", "log_id": "l1"}}


def token_reply(**overrides: Any) -> dict[str, Any]:
    """A /v2/oauth/token/ success body."""
    return {
        "access_token": "act.fresh-token",
        "expires_in": 86400,
        "open_id": "open-alice",
        "refresh_expires_in": 31536000,
        "refresh_token": "rft.refresh",
        "scope": "user.info.basic",
        "token_type": "Bearer",
        **overrides,
    }
