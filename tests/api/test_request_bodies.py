"""Hostile request bodies on every POST endpoint: 413 or 400 in the envelope, never a 500,
and nothing reaches TikTok."""

from __future__ import annotations

import json

import pytest

from tests.support.api import BASE, configure, error_of

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
    assert tiktok.sent() == []


def test_a_body_at_the_limit_is_read(client, tiktok):
    body = json.dumps({"access_token": "x", "pad": "p" * 16000}).encode()
    body += b" " * (16 * 1024 - len(body))
    response = post_raw(client, "connect", body)
    assert response.status_code == 401  # parsed: an unknown token, refused before TikTok
    assert tiktok.sent() == []


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
    assert tiktok.sent() == []


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
    assert tiktok.sent() == []


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
    assert tiktok.sent() == []


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


# -- what Django itself refuses while a view reads the request: 400 / 413, never a 500 -------


def nothing_written(tiktok) -> None:
    from django.contrib.auth import get_user_model

    from tiktok_mobile_auth.models import RefreshTokenFamily, TikTokAccount

    assert not get_user_model().objects.exists()
    assert not TikTokAccount.objects.exists()
    assert not RefreshTokenFamily.objects.exists()
    assert tiktok.sent() == []


def refused(response, status: int = 400, code: str = "invalid_request") -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    error = error_of(response)
    assert error["details"]["code"] == code
    return error


def many_fields(count: int) -> bytes:
    return "&".join(f"f{i}=1" for i in range(count)).encode()


@pytest.mark.parametrize("path", ENDPOINTS)
def test_a_form_of_more_fields_than_django_reads_is_400(client, tiktok, path):
    # 1001 fields, 7 KB: under MAX_REQUEST_BYTES, over DATA_UPLOAD_MAX_NUMBER_FIELDS (1000).
    # Django's QueryDict raised TooManyFieldsSent, which ended in a 500.
    response = post_raw(client, path, many_fields(1001), "application/x-www-form-urlencoded")
    error = refused(response)
    assert error["name"] == "ValidationError"
    nothing_written(tiktok)


def test_the_field_limit_is_djangos_setting(client, tiktok, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 3
    body = b"refresh=x&a=1&b=2&c=3"
    refused(post_raw(client, "logout", body, "application/x-www-form-urlencoded"))
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 4
    response = post_raw(client, "logout", body, "application/x-www-form-urlencoded")
    assert error_of(response)["details"]["code"] == "refresh_token_invalid"  # read, then refused


@pytest.mark.parametrize("path", ["authorize", "callback", "admin/login", "schema"])
def test_a_query_string_of_more_fields_than_django_reads_is_400(client, tiktok, path):
    # The plain Django views answered Django's HTML 400 page; the schema view too.
    response = client.get(f"{BASE}/{path}?{many_fields(1001).decode()}")
    refused(response)
    nothing_written(tiktok)


@pytest.mark.parametrize("path", ENDPOINTS)
def test_multipart_is_not_read_even_with_many_fields(client, tiktok, settings, path):
    configure(settings, MAX_REQUEST_BYTES=1024 * 1024)
    part = b'--X\r\nContent-Disposition: form-data; name="f%d"\r\n\r\nv\r\n'
    body = b"".join(part % i for i in range(1001)) + b"--X--\r\n"
    response = post_raw(client, path, body, "multipart/form-data; boundary=X")
    refused(response, 415, "unsupported_media_type")
    nothing_written(tiktok)


def test_a_webhook_body_over_djangos_memory_limit_is_413(client, tiktok, settings):
    # MAX_REQUEST_BYTES above Django's own limit: reading request.body raised
    # RequestDataTooBig.
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    response = post_raw(client, "webhook", b"{" + b" " * 200 + b"}", HTTP_TIKTOK_SIGNATURE="t=1")
    refused(response, 413, "payload_too_large")
    nothing_written(tiktok)


class _ResetStream:
    """A request body whose client went away: reading it fails."""

    def read(self, *args) -> bytes:
        raise OSError("connection reset by peer")

    readline = read


@pytest.mark.parametrize("path", ["connect", "logout", "webhook"])
def test_a_body_the_client_stopped_sending_is_400(tiktok, path):
    from django.test import RequestFactory
    from django.urls import resolve

    url = f"{BASE}/{path}"
    request = RequestFactory().generic(
        "POST",
        url,
        b"{}",
        content_type="application/json",
        CONTENT_LENGTH="2000",
        HTTP_TIKTOK_SIGNATURE="t=1,s=" + "a" * 64,
        **{"wsgi.input": _ResetStream()},
    )
    match = resolve(url)
    response = match.func(request, *match.args, **match.kwargs)
    response.render()
    assert response.status_code == 400, response.content
    body = json.loads(response.content)
    assert body["data"] is None
    assert body["error"]["status"] == 400
    assert body["error"]["details"]["code"] == "invalid_request"
    nothing_written(tiktok)
