"""A fake TikTok API (Login Kit authorize page, OAuth v2 token/revoke, user info v2) for tests.

Standard library only, importable without Django settings. Start it with
``python -m tiktok_mobile_auth.fake_tiktok`` or :class:`FakeTikTokProcess`, serve it in a
thread with :class:`FakeTikTokThread`, and steer it with :class:`FakeTikTokControl`.
"""

from .app import make_app
from .control import FakeTikTokControl, FakeTikTokControlError
from .process import FakeTikTokProcess, FakeTikTokStartupError, FakeTikTokThread
from .state import State

__all__ = [
    "FakeTikTokControl",
    "FakeTikTokControlError",
    "FakeTikTokProcess",
    "FakeTikTokStartupError",
    "FakeTikTokThread",
    "State",
    "make_app",
]
