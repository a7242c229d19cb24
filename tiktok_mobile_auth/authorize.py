"""The server-started authorization request: a PKCE pair and TikTok's authorize URL.

TikTok's PKCE is not RFC 7636's: the ``code_challenge`` is the lower-case **hex** SHA-256
of the verifier, not its base64url (TikTok's docs and both official SDKs agree; a base64url
challenge is refused with "Code verifier or code challenge is invalid."). The verifier is
64 characters of ``[A-Za-z0-9-._~]``.
"""

from __future__ import annotations

import hashlib
import secrets
import string
from urllib.parse import urlencode

from .conf import TikTokConfig

AUTHORIZE_PATH = "/v2/auth/authorize/"
VERIFIER_ALPHABET = string.ascii_letters + string.digits + "-._~"
VERIFIER_LENGTH = 64


def new_code_verifier() -> str:
    """A fresh random PKCE verifier."""
    return "".join(secrets.choice(VERIFIER_ALPHABET) for _ in range(VERIFIER_LENGTH))


def code_challenge(code_verifier: str) -> str:
    """TikTok's S256 challenge: the lower-case hex SHA-256 of the verifier."""
    return hashlib.sha256(code_verifier.encode("utf-8")).hexdigest()


def authorize_url(config: TikTokConfig, *, state: str, challenge: str) -> str:
    """TikTok's consent page URL for our client key, scopes and callback."""
    query = urlencode(
        {
            "client_key": config.client_key,
            "scope": ",".join(config.scopes),
            "response_type": "code",
            "redirect_uri": config.callback_url,
            "state": state,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )
    return f"{config.auth_base_url}{AUTHORIZE_PATH}?{query}"
