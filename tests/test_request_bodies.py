"""Hostile request bodies on every POST endpoint: 413 or 400 in the envelope, never a 500,
and nothing reaches TikTok."""

from __future__ import annotations

import json

import pytest

from .conftest import BASE, configure, error_of

pytestmark = pytest.mark.django_db
ENDPOINTS = ["connect", "token/refresh", "logout"]


def post_raw(client, path, body: bytes, content_type="application/json", **extra):
    return client.generic("POST", f"{BASE}/{path}", body, content_type=content_type, **extra)


@pytest.mark.parametrize("path", ENDPOINTS)
def test_a_body_over_the_limit_is_413_before_it_is_parsed(client, tiktok, path):
    # Not even valid JSON: the declared size alone refuses it.
    response = post_raw(client, path, b"{" * (16 * 1024 + 1))
    assert response.status_code == 413
    error = error_of(response)
    assert error["name"] == "PayloadTooLargeError"
    assert error["details"]["code"] == "payload_too_large"
    assert not tiktok.calls


def test_a_body_at_the_limit_is_read(client, tiktok):
    body = json.dumps({"access_token": "x", "pad": "p" * 16000}).encode()
    body += b" " * (16 * 1024 - len(body))
    response = post_raw(client, "connect", body)
    assert response.status_code == 401  # parsed: an unknown token, refused before TikTok
    assert not tiktok.calls


def test_the_limit_is_configurable(client, settings):
    configure(settings, MAX_REQUEST_BYTES=64)
    assert post_raw(client, "logout", json.dumps({"refresh": "r" * 80}).encode()).status_code == 413


def test_a_lying_content_length_is_not_trusted_for_more_than_it_says(client):
    # Django reads exactly CONTENT_LENGTH bytes; an unparseable one counts as none.
    response = post_raw(client, "logout", b'{"refresh": "x"}', CONTENT_LENGTH="abc")
    assert response.status_code == 400


@pytest.mark.parametrize("path", ENDPOINTS)
@pytest.mark.parametrize(
    "body",
    [
        b"[" * 5000,
        b'{"a":' * 2000 + b"1" + b"}" * 2000,
        b'{"refresh": ' + b"[" * 4000 + b"]" * 4000 + b"}",
    ],
)
def test_deeply_nested_json_is_400_not_500(client, tiktok, path, body):
    response = post_raw(client, path, body)
    assert response.status_code == 400
    assert error_of(response)["name"] == "ValidationError"
    assert not tiktok.calls


@pytest.mark.parametrize("path", ENDPOINTS)
@pytest.mark.parametrize(
    "payload",
    [
        {"access_token": {"nested": {"deep": [1, 2, {"x": None}]}}, "refresh": {"a": [1]}},
        {"access_token": [["a"]], "refresh": [["a"]]},
        {"access_token": True, "refresh": False},
        {"access_token": None, "refresh": None},
        {"access_token": 1e308, "refresh": 12345678901234567890},
        {"access_token": "act.\u202eevil", "refresh": "a\u200bb"},
        {"access_token": "\uff41\uff43\uff54.fullwidth", "refresh": "\uff52\uff45\uff46"},
        {"access_token": "act.\r\nX-Injected: 1", "refresh": "a\r\nb"},
    ],
)
def test_non_string_and_odd_unicode_values_are_400(api, tiktok, path, payload):
    response = api.post(f"{BASE}/{path}", payload, format="json")
    assert response.status_code == 400, response.content
    assert error_of(response)["details"]["code"] == "invalid_request"
    assert not tiktok.calls


@pytest.mark.parametrize(
    "payload",
    [
        {"code": "c", "code_verifier": 10**40},
        {"code": "c", "code_verifier": ["A" * 43]},
        {"code": "c", "code_verifier": "\uff21" * 43},
        {"code": ["c"], "code_verifier": "A" * 43},
        {"code": "c", "code_verifier": "A" * 43, "redirect_uri": {"u": 1}},
    ],
)
def test_code_flow_junk_is_400(api, tiktok, payload):
    response = api.post(f"{BASE}/connect", payload, format="json")
    assert response.status_code == 400
    assert error_of(response)["details"]["code"] == "invalid_request"
    assert not tiktok.calls


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"\xff\xfe\x00{", "application/json"),
        (b'{"refresh": "\xc3\x28"}', "application/json"),
        (b'{"refresh": "\\ud800"}', "application/json"),  # a lone surrogate, JSON-escaped
        (b"refresh=%ff%fe", "application/x-www-form-urlencoded"),
        (b"refresh[]=a&refresh[]=b", "application/x-www-form-urlencoded"),
        (b'{"refresh": NaN}', "application/json"),
        (b'{"refresh": "x"}', "application/json; charset=bogus"),
        (b"refresh=x", "application/x-www-form-urlencoded; charset=bogus"),
        (b'{"refresh": 1' + b"0" * 5000 + b"}", "application/json"),
    ],
)
def test_undecodable_bodies_are_4xx_not_500(client, body, content_type):
    response = post_raw(client, "logout", body, content_type=content_type)
    assert 400 <= response.status_code < 500
    assert response.status_code != 404
    error_of(response)
