"""add_query and AppRedirect: links to the app, every value encoded, the link's own parts kept."""

from __future__ import annotations

from urllib.parse import parse_qsl, unquote, urlsplit

import pytest

from tiktok_mobile_auth.web.app_redirects import AppRedirect, add_query


def test_params_are_appended_in_order():
    url = add_query("https://app.example/done", {"access_token": "act.1", "state": "s"})
    assert url == "https://app.example/done?access_token=act.1&state=s"


def test_none_values_are_left_out_but_empty_strings_kept():
    url = add_query("https://app.example/done", {"error": "x", "state": None, "empty": ""})
    assert url == "https://app.example/done?error=x&empty="


def test_no_params_leaves_the_url_unchanged():
    assert add_query("https://app.example/done?a=1#f", {"state": None}) == (
        "https://app.example/done?a=1#f"
    )


@pytest.mark.parametrize(
    "value", ["a&b=c", "two words", "a+b", "100%", "é東京✓", "#frag?q", "/path;x", "'\"<>"]
)
def test_values_are_percent_encoded_and_decode_back_exactly(value):
    url = add_query("https://app.example/done", {"state": value})
    query = urlsplit(url).query

    assert query.startswith("state=")
    assert query.isascii()
    for reserved in "&=+# ":
        assert reserved not in query.removeprefix("state=")
    assert unquote(query.removeprefix("state=")) == value  # as iOS URLComponents reads it
    assert parse_qsl(query) == [("state", value)]  # as a form decoder reads it


def test_a_space_is_percent_20_not_plus():
    assert add_query("myapp://auth", {"e": "a b"}) == "myapp://auth?e=a%20b"


def test_an_existing_query_is_kept_verbatim_and_joined_with_ampersand():
    url = add_query("https://app.example/done?a=1&b=x+y&flag", {"state": "s"})
    assert url == "https://app.example/done?a=1&b=x+y&flag&state=s"


def test_the_fragment_stays_after_the_query():
    url = add_query("https://app.example/done?a=1#section", {"state": "s"})
    assert url == "https://app.example/done?a=1&state=s#section"


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        ("myapp://auth", "myapp://auth?state=s"),
        ("myapp://auth/cb?x=1", "myapp://auth/cb?x=1&state=s"),
        ("myapp:/cb", "myapp:/cb?state=s"),
    ],
)
def test_custom_scheme_links(link, expected):
    assert add_query(link, {"state": "s"}) == expected


def test_app_redirect_allows_the_links_own_scheme_and_is_not_cached_or_referred():
    response = AppRedirect("myapp://auth?access_token=act.1")
    assert response.status_code == 302
    assert response["Location"] == "myapp://auth?access_token=act.1"
    assert response["Cache-Control"] == "no-store"
    assert response["Referrer-Policy"] == "no-referrer"


def test_app_redirect_does_not_widen_the_schemes_of_other_redirects():
    AppRedirect("myapp://auth")
    assert "myapp" not in AppRedirect.allowed_schemes
