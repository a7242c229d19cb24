"""Encryption at rest for the secrets the admin panel stores (the TikTok client secret) and,
with ``STORE_TOKENS``, the users' TikTok tokens (tiktok_tokens.py).

Fernet (AES-128-CBC + HMAC-SHA256) through ``MultiFernet``: the first key encrypts, every key
decrypts, so a key is rotated by putting the new key first, running
``manage.py tiktok_reencrypt``, then dropping the old key.

Keys come from ``TIKTOK_MOBILE_AUTH['ENCRYPTION_KEYS']`` (env ``TIKTOK_ENCRYPTION_KEYS``,
comma-separated Fernet keys; ``manage.py tiktok_generate_key`` prints one, and with
``--rotate`` the value for a rotation).
Without them a key is derived from ``SECRET_KEY`` with HKDF: it works out of the box, but then
rotating ``SECRET_KEY`` makes stored secrets unreadable (they must be entered again), and a
leaked ``SECRET_KEY`` exposes them. Production should set dedicated keys.
"""

from __future__ import annotations

import base64
import functools

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


class DecryptionFailed(Exception):
    """A stored value cannot be decrypted with any configured key."""


def _configured_keys() -> tuple[str, ...]:
    raw = (getattr(settings, "TIKTOK_MOBILE_AUTH", {}) or {}).get("ENCRYPTION_KEYS") or ()
    items = raw.split(",") if isinstance(raw, str) else raw
    return tuple(str(item).strip() for item in items if str(item).strip())


def _derived_key(secret_key: str) -> bytes:
    hkdf = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=b"tiktok_mobile_auth",
        info=b"admin panel secrets at rest",
    )
    return base64.urlsafe_b64encode(hkdf.derive(secret_key.encode()))


@functools.lru_cache(maxsize=8)
def _fernet(keys: tuple[str, ...], secret_key: str) -> MultiFernet:
    material = [key.encode() for key in keys] or [_derived_key(secret_key)]
    return MultiFernet([Fernet(key) for key in material])


def _current() -> MultiFernet:
    # Cached per key set, but the key set is read at every call (override_settings works).
    return _fernet(_configured_keys(), settings.SECRET_KEY)


def current_keys() -> list[str]:
    """The keys that decrypt what is stored now: ``ENCRYPTION_KEYS``, or the key derived from
    ``SECRET_KEY`` when none is set (what a rotation must keep after the new key)."""
    return list(_configured_keys()) or [_derived_key(settings.SECRET_KEY).decode()]


def has_dedicated_keys() -> bool:
    """True when ``ENCRYPTION_KEYS`` is set; False when the key is derived from SECRET_KEY."""
    return bool(_configured_keys())


def encrypt(plaintext: str) -> str:
    return _current().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _current().decrypt(token.encode()).decode()
    except InvalidToken as err:
        raise DecryptionFailed(
            "The stored secret cannot be decrypted with the configured keys."
        ) from err


def reencrypt(token: str) -> str:
    """The same plaintext, encrypted with the first (newest) key."""
    try:
        return _current().rotate(token.encode()).decode()
    except InvalidToken as err:
        raise DecryptionFailed(
            "The stored secret cannot be decrypted with the configured keys."
        ) from err
