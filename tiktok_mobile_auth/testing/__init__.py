"""A fake TikTok API (Login Kit authorize page, OAuth v2 token/revoke, user info v2) for tests.

Standard library only, importable without Django settings. Start it with
``python -m tiktok_mobile_auth.testing`` or :class:`FakeTikTokProcess`, serve it in a
thread with :class:`FakeTikTokThread`, and steer it with :class:`FakeTikTokControl`.
"""

from tiktok_mobile_auth.testing.app import make_app
from tiktok_mobile_auth.testing.control import FakeTikTokControl, FakeTikTokControlError
from tiktok_mobile_auth.testing.process import (
    FakeTikTokProcess,
    FakeTikTokStartupError,
    FakeTikTokThread,
)
from tiktok_mobile_auth.testing.state import State

__all__ = [
    "FakeTikTokControl",
    "FakeTikTokControlError",
    "FakeTikTokProcess",
    "FakeTikTokStartupError",
    "FakeTikTokThread",
    "State",
    "make_app",
]
