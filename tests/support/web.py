"""Browser-facing flows: the app link a callback redirects to, and admin sign-in's steps."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, parse_qsl, unquote, urlsplit

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from tests.support.api import BASE
from tests.support.tiktok import ALICE, InProcessTikTok
from tiktok_mobile_auth.models import TikTokAccount

APP = "https://app.example.com/tiktok/done"  # REDIRECT_APP_URL of the test settings
CALLBACK_URL = "https://cms.example.com/api/tiktok-auth-mobile/callback"


def app_params(response: Any, app: str = APP) -> dict[str, str]:
    """The query the app receives, after checking it is a redirect to ``app``.

    Decoded the RFC 3986 way (``+`` stays ``+``, as iOS reads it) and the form way (as
    Android reads it): both must agree, and each parameter must appear once.
    """
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(app + "?")
    query = urlsplit(location).query
    rfc3986 = [tuple(unquote(part) for part in pair.split("=", 1)) for pair in query.split("&")]
    assert rfc3986 == parse_qsl(query, keep_blank_values=True)
    params = dict(rfc3986)
    assert len(params) == len(rfc3986)
    return params


def start(client: Any, next_url: str = "/admin/pages/") -> dict[str, list[str]]:
    """Start the admin sign-in; the query of the redirect to TikTok's authorize page."""
    response = client.get(f"{BASE}/admin/login", {"next": next_url})
    assert response.status_code == 302
    return parse_qs(urlsplit(response["Location"]).query)


def come_back(
    client: Any, query: dict[str, list[str]], tiktok: InProcessTikTok, *, user: dict = ALICE
) -> Any:
    """Come back from TikTok to the callback with a code the fake bound to this sign-in's
    redirect URI and PKCE challenge, as if ``user`` had consented."""
    tiktok.add_user(**user)
    code = tiktok.code(
        user["open_id"],
        redirect_uri=query["redirect_uri"][0],
        code_challenge=query["code_challenge"][0],
    )
    state = query["state"][0]
    return client.get(
        f"{BASE}/callback", {"code": code, "scopes": "user.info.basic", "state": state}
    )


def existing(role: str, active: bool = True) -> TikTokAccount:
    """Alice's account, as an editor or a member."""
    user = get_user_model().objects.create_user("alice", email="x@tiktok.com", is_active=active)
    user.groups.add(Group.objects.get(name="Editors" if role == "editor" else "Members"))
    return TikTokAccount.objects.create(user=user, union_id=ALICE["union_id"], open_id="open-alice")
