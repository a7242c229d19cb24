"""Property tests (Hypothesis): no request body or query string gives a 5xx.

Arbitrary form-encoded bodies (many fields, repeated keys, binary, huge values), multipart
bodies (well-formed or broken) and raw bytes under any content type, sent to every POST
endpoint; arbitrary query strings sent to every GET endpoint; arbitrary JSON values inside a
correctly signed webhook. Every answer is below 500, every JSON error is the envelope with a
truthful status, and nothing is written: no user, no TikTok link, no session.

The example counts are modest so the suite stays fast; in CI (``CI`` set) the examples are
derandomized, so a run is reproducible; locally each run tries new ones.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any
from urllib.parse import quote_from_bytes

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.api import BASE, configure, error_of
from tests.support.tiktok import sign
from tiktok_mobile_auth.models import RefreshTokenFamily, TikTokAccount

pytestmark = pytest.mark.django_db
User = get_user_model()

POSTS = ["connect", "token/refresh", "logout", "disconnect", "webhook"]
GETS = ["authorize", "callback", "me", "schema", "admin/login"]
SCOPES = ("authorize", "callback", "connect", "refresh", "logout", "me", "disconnect", "webhook")
FIELDS = ["access_token", "code", "code_verifier", "redirect_uri", "refresh", "x", ""]

FUZZ = settings(
    max_examples=40,
    deadline=None,
    derandomize=bool(os.environ.get("CI")),
    database=None,  # no .hypothesis/ directory in the work tree
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(autouse=True)
def _no_throttle_and_tiktok_refusing(settings, tiktok):
    """Throttles off (else the fuzzing would soon be all 429s, before any body is read), and
    the fake TikTok, which refuses every code and token it did not issue (all of them here),
    should a generated body ever get that far."""
    configure(settings, THROTTLE_RATES=dict.fromkeys(SCOPES))


def check(response: Any) -> None:
    """Below 500; a JSON error is the envelope; nothing was written."""
    assert response.status_code < 500, response.content[:500]
    is_json = response.get("Content-Type", "").startswith("application/json")
    if response.status_code >= 400 and is_json:
        error = error_of(response)
        assert error["details"]["code"], error
    assert not User.objects.exists()
    assert not TikTokAccount.objects.exists()
    assert not RefreshTokenFamily.objects.exists()


def post(path: str, body: bytes, content_type: str) -> Any:
    return Client().generic("POST", f"{BASE}/{path}", body, content_type=content_type)


# -- strategies ---------------------------------------------------------------------------------

_text = st.text(max_size=40) | st.sampled_from(FIELDS)
_bytes = st.binary(max_size=40)
_huge = st.integers(1_000, 20_000).map(lambda n: "v" * n)


@st.composite
def form_bodies(draw: Any) -> bytes:
    """``k=v&...``: encoded text or raw bytes, repeated keys, sometimes thousands of fields."""
    pairs = draw(
        st.lists(st.tuples(_text | _bytes, _text | _bytes | _huge), max_size=12),
    )
    parts = []
    for key, value in pairs:
        k = key if isinstance(key, bytes) else key.encode("utf-8", "surrogatepass")
        v = value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass")
        raw = draw(st.booleans())  # unescaped bytes, or percent-encoded
        parts.append(
            k + b"=" + v
            if raw
            else quote_from_bytes(k).encode() + b"=" + quote_from_bytes(v).encode()
        )
    many = draw(st.sampled_from([0, 0, 999, 1001, 2500]))
    parts += [b"f%d=1" % i for i in range(many)]
    return b"&".join(parts)


@st.composite
def multipart_bodies(draw: Any) -> tuple[bytes, str]:
    boundary = draw(st.sampled_from(["X", "----fuzz", "a" * 70]))
    parts = []
    for _ in range(draw(st.integers(0, 6))):
        name = draw(_text).replace('"', "").encode("utf-8", "surrogatepass")
        header = b'Content-Disposition: form-data; name="' + name + b'"'
        if draw(st.booleans()):
            header += b'; filename="' + draw(_bytes).replace(b'"', b"") + b'"'
        value = draw(_bytes | _huge.map(str.encode))
        parts.append(b"--" + boundary.encode() + b"\r\n" + header + b"\r\n\r\n" + value + b"\r\n")
    many = draw(st.sampled_from([0, 0, 1001]))
    parts += [
        b'--%s\r\nContent-Disposition: form-data; name="f%d"\r\n\r\n1\r\n' % (boundary.encode(), i)
        for i in range(many)
    ]
    body = b"".join(parts) + b"--" + boundary.encode() + b"--\r\n"
    if draw(st.booleans()):  # cut short, or garbage after
        body = body[: draw(st.integers(0, len(body)))] + draw(_bytes)
    declared = draw(
        st.sampled_from([f"; boundary={boundary}", "", "; boundary=", "; boundary=\x00"])
    )
    return body, f"multipart/form-data{declared}"


_content_types = st.sampled_from(
    [
        "application/json",
        "application/json; charset=latin-1",
        "application/x-www-form-urlencoded",
        "application/x-www-form-urlencoded; charset=utf-16",
        "text/plain",
        "application/octet-stream",
        "",
        "multipart/mixed; boundary=X",
        "\x00/\x00",
    ]
)


# -- POST bodies --------------------------------------------------------------------------------


@pytest.mark.parametrize("path", POSTS)
@FUZZ
@given(body=form_bodies())
def test_form_bodies_never_give_a_5xx(path, body):
    check(post(path, body, "application/x-www-form-urlencoded"))


@pytest.mark.parametrize("path", POSTS)
@FUZZ
@given(body=multipart_bodies())
def test_multipart_bodies_never_give_a_5xx(path, body):
    check(post(path, *body))


@pytest.mark.parametrize("path", POSTS)
@FUZZ
@given(body=st.binary(max_size=300) | form_bodies(), content_type=_content_types)
def test_any_bytes_under_any_content_type_never_give_a_5xx(path, body, content_type):
    check(post(path, body, content_type))


# -- GET query strings --------------------------------------------------------------------------


@pytest.mark.parametrize("path", GETS)
@FUZZ
@given(query=form_bodies())
def test_query_strings_never_give_a_5xx(path, query):
    response = Client().get(f"{BASE}/{path}?{query.decode('latin-1')}")
    check(response)


# -- signed webhooks ------------------------------------------------------------------------


_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(-(10**30), 10**30)
    | st.floats(allow_nan=False)
    | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
_fields = {
    "client_key": st.sampled_from(["test-client-key", "other-key", "t\u00e9st", ""]) | _json,
    "event": st.sampled_from(["authorization.removed", "video.publish.completed"]) | _json,
    "create_time": st.integers(-(10**20), 10**20) | st.sampled_from([0, 253_402_300_799]) | _json,
    "user_openid": st.sampled_from(["open-alice", "open-alice\x00", "\u00e9"]) | _json,
    "content": st.sampled_from(['{"reason": 1}', '{"reason": 99999}', "{", '"x"']) | _json,
}
_events = st.fixed_dictionaries({}, optional=_fields) | _json


@FUZZ
@given(value=_events)
def test_a_signed_webhook_with_any_json_never_gives_a_5xx(value):
    # An account the event may name: signed bodies do reach the database.
    user = User.objects.create(username="alice", email="a@example.com")
    TikTokAccount.objects.create(user=user, union_id="union-a", open_id="open-alice")
    raw = json.dumps(value).encode()
    browser = Client(enforce_csrf_checks=True)
    response = browser.post(
        f"{BASE}/webhook",
        data=raw,
        content_type="application/json",
        HTTP_TIKTOK_SIGNATURE=sign(raw, time.time()),
    )
    assert response.status_code in (200, 400), response.content[:500]
    if response.status_code == 400:
        assert error_of(response)["details"]["code"] == "invalid_request"
        assert TikTokAccount.objects.filter(deauthorized_at=None).exists()
    else:
        assert response.json()["received"] is True
    TikTokAccount.objects.all().delete()
    User.objects.all().delete()


# -- headers ------------------------------------------------------------------------------------

# What a WSGI server can hand over: header bytes decoded as latin-1.
_header_values = st.text(st.characters(max_codepoint=255), max_size=300) | st.builds(
    "{} {}".format, st.sampled_from(["Bearer", "bearer", "Basic", ""]), st.text(max_size=200)
).filter(lambda value: all(ord(char) < 256 for char in value))


@pytest.mark.parametrize(
    ("method", "path", "header"),
    [
        ("GET", "me", "HTTP_AUTHORIZATION"),
        ("POST", "disconnect", "HTTP_AUTHORIZATION"),
        ("POST", "webhook", "HTTP_TIKTOK_SIGNATURE"),
    ],
)
@FUZZ
@given(value=_header_values)
def test_any_credential_header_is_a_4xx(method, path, header, value):
    response = Client().generic(
        method, f"{BASE}/{path}", b"{}", "application/json", **{header: value}
    )
    assert 400 <= response.status_code < 500, response.content[:300]
    check(response)
