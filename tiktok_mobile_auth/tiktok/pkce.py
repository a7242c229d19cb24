"""PKCE as TikTok does it: a verifier and its challenge.

TikTok's PKCE is not RFC 7636's: the ``code_challenge`` is the lower-case **hex** SHA-256
of the verifier, not its base64url (TikTok's docs and both official SDKs agree; a base64url
challenge is refused with "Code verifier or code challenge is invalid."). The verifier is
64 characters of ``[A-Za-z0-9-._~]``.
"""

from __future__ import annotations

import hashlib
import secrets
import string

VERIFIER_ALPHABET = string.ascii_letters + string.digits + "-._~"
VERIFIER_LENGTH = 64


def new_code_verifier() -> str:
    """A fresh random PKCE verifier."""
    return "".join(secrets.choice(VERIFIER_ALPHABET) for _ in range(VERIFIER_LENGTH))


def code_challenge(code_verifier: str) -> str:
    """TikTok's S256 challenge: the lower-case hex SHA-256 of the verifier."""
    return hashlib.sha256(code_verifier.encode("utf-8")).hexdigest()
