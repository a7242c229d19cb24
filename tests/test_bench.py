"""The benchmark's in-app parts (the run itself is `make bench`, never part of the suite)."""

from __future__ import annotations

import io
import json
from typing import Any

import jwt
import pytest
from django.contrib.auth import get_user_model
from django.http import HttpResponse

from bench import fake_app, floor
from bench.querycount import HEADER, QueryCountMiddleware
from tiktok_mobile_auth.fake_tiktok import FakeTikTokThread, State


def call(app: Any, method: str, path: str, body: bytes = b"") -> tuple[str, dict, bytes]:
    seen: dict[str, Any] = {}

    def start_response(status: str, headers: list) -> None:
        seen.update(status=status, headers=dict(headers))

    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
    }
    out = b"".join(app(environ, start_response))
    return seen["status"], seen["headers"], out


def test_the_floor_calls_user_info_and_signs_a_jwt_pair(monkeypatch):
    with FakeTikTokThread(State(synthesize_users=True)) as fake:
        monkeypatch.setattr(floor, "USER_INFO_URL", f"{fake.base_url}/v2/user/info/")
        body = json.dumps({"access_token": "act.synth.floor1"}).encode()
        status, _headers, out = call(floor.application, "POST", "/connect", body)
        [request] = fake.state.requests("userinfo")
    assert status == "200 OK"
    reply = json.loads(out)
    assert reply["user"]["union_id"] == "fake-union-synth-floor1"
    assert request["headers"]["Authorization"] == "Bearer act.synth.floor1"
    claims = jwt.decode(reply["jwt"], floor.SECRET, algorithms=["HS256"])
    assert set(claims) == {"token_type", "exp", "iat", "jti", "user_id"}  # SimpleJWT's claims
    assert jwt.decode(reply["refresh"], floor.SECRET, algorithms=["HS256"])["token_type"] == (
        "refresh"
    )


def test_the_floor_refuses_a_body_without_a_token():
    assert call(floor.application, "POST", "/connect", b"{}")[0] == "400 Bad Request"


def test_the_bench_fake_changes_its_latency_without_a_restart(monkeypatch):
    monkeypatch.setattr(fake_app.fake, "latency_ms", 0)
    status, _, _ = call(fake_app.application, "POST", "/_bench/latency", b'{"ms": 200}')
    assert status == "204 No Content"
    assert fake_app.fake.latency_ms == 200


@pytest.mark.django_db
def test_the_query_counter_reports_the_queries_of_the_request():
    def view(request: Any) -> HttpResponse:
        get_user_model().objects.count()
        get_user_model().objects.exists()
        return HttpResponse()

    response = QueryCountMiddleware(view)(object())
    assert response[HEADER] == "2"
