"""The REST API as the app calls it: base path, settings overrides, the error envelope."""

from __future__ import annotations

import hashlib
from typing import Any

BASE = "/api/tiktok-auth-mobile"
ANDROID = "https://app.example.com/tiktok/android"  # one of the test settings' APP_REDIRECT_URIS
VERIFIER = "A" * 32  # TikTok's Android SDK makes 32-character verifiers
VERIFIER_CHALLENGE = hashlib.sha256(VERIFIER.encode()).hexdigest()  # TikTok's PKCE: hex


def configure(settings: Any, **values: Any) -> None:
    """Override some ``TIKTOK_MOBILE_AUTH`` keys for one test (``settings`` is the fixture)."""
    settings.TIKTOK_MOBILE_AUTH = {**settings.TIKTOK_MOBILE_AUTH, **values}


def error_of(response: Any) -> dict[str, Any]:
    """The envelope's error, after checking the envelope's shape and truthful status."""
    body = response.json()
    assert body["data"] is None
    assert body["error"]["status"] == response.status_code
    return body["error"]


def connect_code(api: Any, **body: Any) -> Any:
    """POST /connect with a native SDK's code (``None`` leaves a field out)."""
    payload = {"code": "code*1!", "code_verifier": VERIFIER, "redirect_uri": ANDROID, **body}
    return api.post(
        f"{BASE}/connect", {k: v for k, v in payload.items() if v is not None}, format="json"
    )


def app_code(tiktok: Any, open_id: str = "open-alice", **binding: Any) -> str:
    """A code TikTok issued ``open_id`` for what connect_code sends by default: the Android
    redirect URI and VERIFIER's challenge (TikTok checks both at the exchange)."""
    return tiktok.code(open_id, redirect_uri=ANDROID, code_challenge=VERIFIER_CHALLENGE, **binding)


def connect_token(api: Any, access_token: str, **kwargs: Any) -> Any:
    """POST /connect with a TikTok access token."""
    return api.post(f"{BASE}/connect", {"access_token": access_token}, format="json", **kwargs)


def me(api: Any, jwt: str) -> Any:
    return api.get(f"{BASE}/me", HTTP_AUTHORIZATION=f"Bearer {jwt}")


def refresh(api: Any, token: str) -> Any:
    return api.post(f"{BASE}/token/refresh", {"refresh": token}, format="json")


def sign_in(api: Any, tiktok: Any, open_id: str = "open-alice") -> dict[str, Any]:
    """Sign ``open_id`` in through connect with a token TikTok (the fake) issued and this
    server recorded as its own; the connect response body."""
    from tests.support.tiktok import mint

    access_token = tiktok.mint_token(open_id)
    mint(access_token, open_id=open_id)
    response = connect_token(api, access_token)
    assert response.status_code == 200, response.content
    return response.json()
