"""Fixtures for tests against real processes (integration and browser): the fake TikTok
as a separate process, one per session. Each folder's conftest.py imports them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tiktok_mobile_auth.testing import FakeTikTokControl, FakeTikTokProcess


@pytest.fixture(scope="session")
def fake_tiktok() -> Iterator[FakeTikTokProcess]:
    with FakeTikTokProcess() as process:
        yield process


@pytest.fixture
def fake(fake_tiktok) -> FakeTikTokControl:
    """The fake TikTok's control client, reset before each test."""
    fake_tiktok.control.reset()
    return fake_tiktok.control
