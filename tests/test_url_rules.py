"""The URL rules (tiktok_mobile_auth/url_rules.py), one test each, with literal URLs; the
checks, the admin form, the views and the sign-in all use these."""

from __future__ import annotations

import pytest

from tiktok_mobile_auth import url_rules


@pytest.mark.parametrize(
    "url",
    ["https://cms.example.com/cb", "http://127.0.0.1:8000/cb", "myapp://auth", "https://x.io"],
)
def test_absolute_urls_are_accepted(url):
    assert url_rules.is_absolute(url)


@pytest.mark.parametrize(
    "url",
    [
        "/tiktok/done",
        "cms.example.com/cb",
        "localhost:8000/cb",  # a scheme "localhost", but no host
        "https:///cb",
        "www.tiktok.com",
        "",
    ],
)
def test_relative_urls_are_refused(url):
    assert not url_rules.is_absolute(url)


@pytest.mark.parametrize(
    ("url", "scheme"),
    [
        ("myapp://auth", "myapp"),
        ("com.example.app://done", "com.example.app"),
        ("https://app.example.com/done", None),
        ("http://app.example.com/done", None),
        ("", None),
    ],
)
def test_custom_scheme_is_any_scheme_but_http_and_https(url, scheme):
    assert url_rules.custom_scheme(url) == scheme


def test_an_app_link_may_use_a_custom_scheme_only_when_allowed():
    assert url_rules.app_link_allowed("https://app.example.com/done", allow_custom_scheme=False)
    assert not url_rules.app_link_allowed("myapp://auth", allow_custom_scheme=False)
    assert url_rules.app_link_allowed("myapp://auth", allow_custom_scheme=True)


@pytest.mark.parametrize(
    ("url", "refused"),
    [
        ("https://cms.example.com/cb", False),
        ("https://cms.example.com/cb?site=1", True),
        ("https://cms.example.com/cb#top", True),
        ("https://cms.example.com/cb?", False),  # an empty query is no query
    ],
)
def test_a_callback_url_has_no_query_or_fragment(url, refused):
    assert url_rules.has_query_or_fragment(url) is refused


@pytest.mark.parametrize(
    ("url", "debug", "allowed"),
    [
        ("https://cms.example.com/cb", False, True),
        ("http://cms.example.com/cb", False, False),
        ("http://cms.example.com/cb", True, False),
        ("http://127.0.0.1:8000/cb", False, False),
        ("http://127.0.0.1:8000/cb", True, True),
        ("http://localhost/cb", True, True),
        ("http://[::1]:8000/cb", True, True),
        ("ftp://localhost/cb", True, False),
    ],
)
def test_a_callback_is_https_except_loopback_http_in_debug(url, debug, allowed):
    assert url_rules.callback_scheme_allowed(url, debug=debug) is allowed


ONE = ("com.example.app://tiktok",)
TWO = ("com.example.app://tiktok", "https://app.example.com/tiktok")


@pytest.mark.parametrize(
    ("presented", "allowed", "chosen"),
    [
        ("com.example.app://tiktok", ONE, "com.example.app://tiktok"),
        (None, ONE, "com.example.app://tiktok"),  # left out: the only one
        (None, TWO, None),  # left out while several are allowed
        ("https://app.example.com/tiktok", TWO, "https://app.example.com/tiktok"),
        ("https://app.example.com/tiktok/", TWO, None),  # exact match only
        ("https://app.example.com/tiktok?x=1", TWO, None),
        ("HTTPS://app.example.com/tiktok", TWO, None),
        ("https://evil.example/tiktok", TWO, None),
        ("com.example.app://tiktok", (), None),
    ],
)
def test_a_redirect_uri_must_be_exactly_one_of_the_allowed(presented, allowed, chosen):
    assert url_rules.chosen_redirect_uri(presented, allowed) == chosen
