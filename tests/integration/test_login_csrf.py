"""Login CSRF against the real site and the real fake TikTok, with two browsers (two
``requests.Session`` cookie jars): an attacker starts a sign-in and consents with their own
TikTok account, then hands the callback URL to a victim. The victim's browser is refused,
gets no session and no token, nothing is exchanged at TikTok, and the attacker's own browser
can still finish (the attempt was not spent by the refusal).
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from .support import app_params, authorize, consent

pytestmark = pytest.mark.integration
COOKIE = "tiktok_auth_browser"


def test_app_callback_opened_in_another_browser_gets_browser_mismatch(live_site, fake):
    attacker, victim = requests.Session(), requests.Session()
    started = authorize(live_site, attacker, state="attacker")
    set_cookie = started.headers["Set-Cookie"]
    assert set_cookie.startswith(f"{COOKIE}=")
    for attribute in ("HttpOnly", "SameSite=Lax", "Path=/api/tiktok-auth-mobile/", "Max-Age=600"):
        assert attribute in set_cookie, set_cookie
    assert "Secure" not in set_cookie  # plain http here; https adds it (unit-tested)
    back = consent(attacker, started.headers["Location"])

    refused = app_params(victim.get(back, allow_redirects=False, timeout=30))

    assert refused["error"] == "browser_mismatch"
    assert "access_token" not in refused and "state" not in refused
    assert fake.requests("token") == []

    finished = app_params(attacker.get(back, allow_redirects=False, timeout=30))
    assert finished["state"] == "attacker" and finished["access_token"].startswith("act.")
    assert len(fake.requests("token")) == 1


def test_admin_callback_opened_in_another_browser_shows_a_refusal_and_no_session(live_site, fake):
    attacker, victim = requests.Session(), requests.Session()
    victim.get(f"{live_site.base_url}/admin/login/", timeout=30)  # a real visitor's cookies
    started = attacker.get(
        live_site.url("admin/login"),
        params={"next": "/admin/"},
        allow_redirects=False,
        timeout=30,
    )
    assert started.status_code == 302, started.text
    back = consent(attacker, started.headers["Location"])
    assert parse_qs(urlsplit(back).query)["code"]

    refused = victim.get(back, allow_redirects=False, timeout=30)

    assert refused.status_code == 403
    assert 'id="tiktok-admin-refused"' in refused.text
    assert "Sign-in started in another browser" in refused.text
    assert "sessionid" not in refused.cookies and "sessionid" not in victim.cookies
    admin = victim.get(f"{live_site.base_url}/admin/", allow_redirects=False, timeout=30)
    assert admin.status_code == 302 and "/admin/login/" in admin.headers["Location"]
    assert fake.requests("token") == []

    # The attacker's own browser still gets past the state: the code is exchanged.
    own = attacker.get(back, allow_redirects=False, timeout=30)
    assert "another browser" not in own.text
    assert len(fake.requests("token")) == 1
