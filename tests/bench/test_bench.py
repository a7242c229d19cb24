"""The benchmark's in-app parts (the run itself is `make bench`, never part of the suite)."""

from __future__ import annotations

import io
import json
from typing import Any

import jwt
import pytest
from django.contrib.auth import get_user_model
from django.http import HttpResponse
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from bench import fake_app, floor, targets
from bench.querycount import HEADER, QueryCountMiddleware
from tiktok_mobile_auth.models import RefreshTokenFamily
from tiktok_mobile_auth.testing import FakeTikTokThread, State


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


@pytest.mark.django_db
@pytest.mark.urls("bench.urls")
def test_the_framework_floor_does_the_floors_work_in_a_drf_view(client, monkeypatch):
    with FakeTikTokThread(State(synthesize_users=True)) as fake:
        monkeypatch.setattr(floor, "USER_INFO_URL", f"{fake.base_url}/v2/user/info/")
        response = client.post(
            "/bench/framework-floor",
            {"access_token": "act.synth.framework1"},
            content_type="application/json",
        )
        [request] = fake.state.requests("userinfo")
    assert response.status_code == 200
    reply = response.json()
    assert reply["user"]["union_id"] == "fake-union-synth-framework1"
    assert request["headers"]["Authorization"] == "Bearer act.synth.framework1"
    access, refresh = AccessToken(reply["jwt"]), RefreshToken(reply["refresh"])
    assert set(access.payload) == {"token_type", "exp", "iat", "jti", "user_id"}  # the floor's
    assert access["user_id"] == refresh["user_id"]
    # Nothing of the plugin's work: no user, no session.
    assert not get_user_model().objects.exists()
    assert not RefreshTokenFamily.objects.exists()


@pytest.mark.urls("bench.urls")
def test_the_framework_floor_refuses_a_body_without_a_token(client):
    response = client.post("/bench/framework-floor", {}, content_type="application/json")
    assert response.status_code == 400


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


def test_the_report_splits_the_distance_from_the_floor_between_framework_and_plugin():
    def measured(name: str, latency: int, rps: float) -> dict[str, Any]:
        return {
            "scenario": name,
            "tiktok_latency_ms": latency,
            "throughput_rps": rps,
            "sql_max": 3,
            "concurrency": 16,
        }

    rows = [
        measured("floor", 0, 900.0),
        measured("floor", 0, 1000.0),  # the best of each counts
        measured("framework_floor", 0, 600.0),
        measured("connect_returning", 0, 300.0),
        measured("connect_returning", 200, 5000.0),  # with TikTok latency: not compared
    ]
    assert [r["measured"] for r in targets.split(rows)] == [0.6, 0.5]
    assert targets.targets(rows)[0]["measured"] == 0.3
