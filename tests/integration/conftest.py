"""Integration fixtures: one fake TikTok process and up to two site processes per session.

``live_site`` runs the secure defaults: the callback takes only a state issued by GET
authorize, and connect only access tokens obtained here. ``compat_site`` (started only when
a test asks for it, on the same database) runs the Strapi plugin's compatibility mode:
app-made states (``TIKTOK_ALLOW_APP_STATE``) and any TikTok access token
(``TIKTOK_ACCESS_TOKEN_POLICY=any``).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.live_fixtures import fake, fake_tiktok  # noqa: F401 (shared fixtures)
from tests.support.live_site import LiveSite


@pytest.fixture(scope="session")
def live_site(fake_tiktok, tmp_path_factory) -> Iterator[LiveSite]:  # noqa: F811
    # A low logout limit, so a test can reach it; nothing else on this site logs out.
    site = LiveSite(
        tmp_path_factory.mktemp("live"), fake_tiktok.base_url, TIKTOK_THROTTLE_LOGOUT="5/min"
    )
    try:
        yield site.start()
    finally:
        site.stop()


@pytest.fixture(scope="session")
def compat_site(live_site, tmp_path_factory) -> Iterator[LiveSite]:
    compat = live_site.sibling(
        tmp_path_factory.mktemp("compat"),
        TIKTOK_ALLOW_APP_STATE="true",
        TIKTOK_ACCESS_TOKEN_POLICY="any",
    )
    with compat.running() as site:
        yield site
