"""Integration fixtures: one fake TikTok process and one site process per session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tiktok_mobile_auth.fake_tiktok import FakeTikTokProcess

from .live import LiveSite


@pytest.fixture(scope="session")
def fake_tiktok() -> Iterator[FakeTikTokProcess]:
    with FakeTikTokProcess() as process:
        yield process


@pytest.fixture(scope="session")
def live_site(fake_tiktok, tmp_path_factory) -> Iterator[LiveSite]:
    site = LiveSite(tmp_path_factory.mktemp("live"), fake_tiktok.base_url).start()
    try:
        yield site
    finally:
        site.stop()


@pytest.fixture
def fake(fake_tiktok):
    """The fake TikTok's control client, reset before each test."""
    fake_tiktok.control.reset()
    return fake_tiktok.control
