"""Helpers of the integration tests: a browser's (``requests.Session``) side of the sign-in
flows against a live site and the fake TikTok process."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import requests

APP_LINK = "https://app.example.com/tiktok/done"


def app_params(response: requests.Response) -> dict[str, str]:
    """The query the callback's redirect hands the app (after checking it goes there)."""
    assert response.status_code == 302, response.text
    location = response.headers["Location"]
    assert location.startswith(APP_LINK + "?")
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def consent(
    browser: requests.Session, authorize_location: str, open_id: str = "fake-open-alice"
) -> str:
    """Open TikTok's (the fake's) consent page and press Authorize, as a user would;
    return where TikTok sends the browser (our callback, with the code and state)."""
    page = browser.get(authorize_location, timeout=30)
    assert page.status_code == 200, page.text
    hidden = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page.text)
    form = {name: unescape(value) for name, value in hidden}
    form.update(open_id=open_id, action="authorize")
    action = urlsplit(authorize_location)._replace(query="").geturl()
    consent = browser.post(action, data=form, allow_redirects=False, timeout=30)
    assert consent.status_code == 302, consent.text
    return consent.headers["Location"]


def authorize(site, browser: requests.Session, **params) -> requests.Response:
    """GET authorize in ``browser``: the sign-in is bound to its cookie jar."""
    return browser.get(site.url("authorize"), params=params, allow_redirects=False, timeout=30)
