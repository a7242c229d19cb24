"""The live site (gunicorn, against the fake TikTok process) against its own OpenAPI document.

schemathesis generates requests for every operation of ``GET schema/`` (valid ones and
invalid ones) and checks each answer: never a 5xx, a documented status, content type and
headers, a body that matches the documented schema, and, for errors, the envelope's
``status`` and ``name`` agreeing with the HTTP status and a ``details.code`` that the
operation documents for that status.

Random values rarely sign anyone in, so now and then a generated request gets real
credentials (:class:`RealValues`): a fresh code + PKCE verifier, a callback query for a
state ``authorize`` issued, a live JWT or refresh token, a correctly signed webhook. The
success answers are then checked against the document too, and the test asserts every
operation answered at least once with success.

Cases: ``SCHEMATHESIS_CASES`` if set, else 1,000 in CI and 200 locally, shared between the
operations. Deterministic: Hypothesis runs derandomized, without a database;
``SCHEMATHESIS_SEED=<n>`` explores other cases, reproducibly.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import math
import os
import secrets
import time
from collections import Counter, defaultdict
from typing import Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.support.live_site import LiveSite
from tiktok_mobile_auth.api.errors import STATUS_NAMES
from tiktok_mobile_auth.api.openapi.error_responses import ERROR_CODES, OPERATION_ERRORS

pytestmark = pytest.mark.integration

CASES = int(os.environ.get("SCHEMATHESIS_CASES") or (1000 if os.environ.get("CI") else 200))
# Derandomized (the same cases every run) unless SCHEMATHESIS_SEED asks for other ones.
SEED = int(os.environ["SCHEMATHESIS_SEED"]) if os.environ.get("SCHEMATHESIS_SEED") else None
ANDROID = "https://app.example.com/tiktok/android"
CLIENT_SECRET = "fake-client-secret"
SCOPES = ("authorize", "callback", "connect", "refresh", "logout", "me", "disconnect", "webhook")


@pytest.fixture(scope="module")
def fuzz_site(live_site, tmp_path_factory):
    """A site of its own: throttles high enough that the fuzzing is not all 429s, and (with
    Redis) another Redis database, so its counters do not reach the other sites' limits."""
    env = {f"TIKTOK_THROTTLE_{scope.upper()}": "100000/min" for scope in SCOPES}
    redis_url = os.environ.get("REDIS_URL")
    if redis_url:
        env["REDIS_URL"] = urlunsplit(urlsplit(redis_url)._replace(path="/9"))
    # live_site's database, already migrated: the fuzzing only touches users of its own.
    with live_site.sibling(tmp_path_factory.mktemp("fuzz"), **env).running() as site:
        yield site


def documented_error(ctx: Any, response: Any, case: Any) -> None:
    """An error's envelope agrees with its HTTP status and carries a documented code."""
    status = response.status_code
    if status < 400 or "json" not in response.headers.get("content-type", [""])[0]:
        return
    error = response.json()["error"]
    assert error["status"] == status, f"error.status {error['status']} under HTTP {status}"
    assert error["name"] == STATUS_NAMES[status], f"error.name {error['name']} for {status}"
    operation_id = case.operation.definition.raw["operationId"]
    codes = {c for c in OPERATION_ERRORS[operation_id] if ERROR_CODES[c][0] == status}
    code = error["details"]["code"]
    assert code in codes, f"{operation_id} answered {status} {code!r}, documented: {codes}"


def refused_as_malformed(response: Any) -> str | None:
    """The ``details.code`` of a 400 or 415 that says the request itself is malformed."""
    if response.status_code not in (400, 415):
        return None
    code = response.json()["error"]["details"]["code"]
    return code if code in ("invalid_request", "parse_error", "unsupported_media_type") else None


CHECKS = [
    not_a_server_error,  # first: left out where TikTok is made to fail on purpose
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    documented_error,
]


class RealValues:
    """Valid credentials for the generated requests that get them, from real sign-ins
    (a new fake TikTok user each) and the answers of earlier requests."""

    def __init__(self, site: LiveSite, fake: Any, http: requests.Session) -> None:
        self.site, self.fake, self.http = site, fake, http
        self.numbers = itertools.count()
        self.connects = itertools.count()
        self.access_tokens: list[str] = []  # from callback redirects, for connect
        self.refresh_tokens: list[str] = []
        self.open_ids: list[str] = []
        self.jwt = ""

    def new_user(self) -> str:
        n = next(self.numbers)
        open_id = f"fake-open-fuzz-{n}"
        self.fake.add_user(open_id=open_id, union_id=f"fake-union-fuzz-{n}", display_name=f"F{n}")
        return open_id

    def code_body(self, open_id: str | None = None) -> dict[str, str]:
        verifier = secrets.token_urlsafe(32)
        challenge = hashlib.sha256(verifier.encode()).hexdigest()
        open_id = open_id or self.new_user()
        code = self.fake.mint_code(open_id, redirect_uri=ANDROID, code_challenge=challenge)
        return {"code": code, "code_verifier": verifier, "redirect_uri": ANDROID}

    def connect_body(self) -> tuple[dict[str, str], int | None]:
        """In turn: a code, a callback's token, then TikTok failing on purpose: a user
        without union_id (502), a 429 with a long Retry-After (503 with Retry-After).
        Returns the body and the 5xx it must get, if any."""
        turn = next(self.connects) % 4
        if turn == 1 and self.access_tokens:
            return {"access_token": self.access_tokens.pop()}, None
        if turn == 2:
            return self.code_body("fake-open-nounion"), 502
        if turn == 3:
            self.fake.fault("userinfo", "http429", retry_after=120)
            return self.code_body(), 503
        return self.code_body(), None

    def callback_query(self) -> dict[str, str]:
        started = self.http.get(self.site.url("authorize"), allow_redirects=False, timeout=30)
        assert started.status_code == 302, (started.status_code, started.headers, started.text)
        sent = parse_qs(urlsplit(started.headers["Location"]).query)
        code = self.fake.mint_code(
            self.new_user(),
            redirect_uri=self.site.url("callback"),
            code_challenge=sent["code_challenge"][0],
        )
        return {"code": code, "scopes": "user.info.basic", "state": sent["state"][0]}

    def signed_in(self) -> dict[str, Any]:
        answer = self.http.post(self.site.url("connect"), json=self.code_body(), timeout=30)
        assert answer.status_code == 200, answer.text
        self.learn("connect", answer)
        return answer.json()

    def refresh_token(self) -> str:
        return self.refresh_tokens.pop() if self.refresh_tokens else self.signed_in()["refresh"]

    def webhook(self) -> tuple[dict[str, Any], str]:
        """An authorization.removed event for a user signed in here, and its signature:
        HMAC-SHA256 with the client secret over ``"<t>.<raw body>"``."""
        if not self.open_ids:
            self.signed_in()
        event = {
            "client_key": "fake-client-key",
            "event": "authorization.removed",
            "create_time": int(time.time()),
            "user_openid": self.open_ids[-1],
            "content": json.dumps({"reason": 1}),
        }
        timestamp = str(int(time.time()))
        raw = json.dumps(event, allow_nan=False)  # the bytes requests sends for json=
        message = f"{timestamp}.{raw}".encode()
        signature = hmac.new(CLIENT_SECRET.encode(), message, hashlib.sha256).hexdigest()
        return event, f"t={timestamp},s={signature}"

    def use(self, operation_id: str, case: Any) -> int | None:
        """Give ``case`` real values for ``operation_id``; returns the 5xx it must get
        when TikTok was made to fail, else None."""
        if operation_id == "connect":
            case.body, expected = self.connect_body()
            return expected
        elif operation_id == "callback":
            case.query = self.callback_query()
        elif operation_id in ("refreshToken", "logout"):
            case.body = {"refresh": self.refresh_token()}
        elif operation_id in ("me", "disconnect"):
            jwt = self.jwt if operation_id == "me" and self.jwt else self.signed_in()["jwt"]
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {jwt}"}
        elif operation_id == "webhook":
            case.body, signature = self.webhook()
            case.headers = {**(case.headers or {}), "TikTok-Signature": signature}
        return None

    def learn(self, operation_id: str, response: Any) -> None:
        """Keep what a successful answer hands out, for later requests."""
        if response.status_code == 302 and operation_id == "callback":
            query = parse_qs(urlsplit(response.headers["location"][0]).query)
            self.access_tokens.extend(query.get("access_token", []))
        elif response.status_code == 200 and operation_id in ("connect", "refreshToken"):
            body = response.json()
            self.refresh_tokens.append(body["refresh"])
            self.jwt = body["jwt"]
            if "user" in body:
                self.open_ids.append(body["user"]["tiktok"]["open_id"])


def fuzz(operation: Any, examples: int, real: RealValues, base_url: str, tally: Counter) -> None:
    operation_id = operation.definition.raw["operationId"]
    strategy = st.one_of(
        operation.as_strategy(schemathesis.GenerationMode.POSITIVE),
        operation.as_strategy(schemathesis.GenerationMode.NEGATIVE),
    )

    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=SEED is None,
        database=None,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: the report has the request
        suppress_health_check=list(HealthCheck),
    )
    @seed(SEED)
    @given(case=strategy, use_real=st.integers(0, 3))
    def run(case: Any, use_real: int) -> None:
        positive, upstream_failure = case.meta.generation.mode.is_positive, None
        if positive and use_real == 0:
            upstream_failure = real.use(operation_id, case)
            positive = False  # not generated any more
        response = case.call(base_url=base_url, session=real.http, allow_redirects=False)
        tally[response.status_code] += 1
        if upstream_failure:  # TikTok failed on purpose: the documented 502 / 503
            assert response.status_code == upstream_failure, response.text
            case.validate_response(response, checks=CHECKS[1:])
        else:
            case.validate_response(response, checks=CHECKS)
        if positive:  # a request the document allows is not refused as malformed
            assert refused_as_malformed(response) is None, case.as_curl_command()
        real.learn(operation_id, response)

    run()


def test_the_live_api_matches_its_openapi_document(fuzz_site, fake):
    schema = schemathesis.openapi.from_url(fuzz_site.url("schema/?format=json"))
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == len(OPERATION_ERRORS)
    examples = math.ceil(CASES / len(operations))
    statuses: dict[str, Counter] = defaultdict(Counter)
    failures = []
    started = time.monotonic()
    with requests.Session() as http:
        real = RealValues(fuzz_site, fake, http)
        for operation in operations:
            operation_id = operation.definition.raw["operationId"]
            try:
                fuzz(operation, examples, real, fuzz_site.base_url, statuses[operation_id])
            except Exception as err:  # one report for every operation
                failures.append(f"{operation_id}: {type(err).__name__}: {err}")
    summary = "\n".join(f"{op}: {dict(sorted(c.items()))}" for op, c in statuses.items())
    total = sum(sum(c.values()) for c in statuses.values())
    print(f"\nschemathesis: {total} cases in {time.monotonic() - started:.0f} s\n{summary}")
    assert not failures, "\n\n".join(failures) + f"\n\n{summary}"
    assert total >= CASES, summary
    for operation_id, counts in statuses.items():
        assert any(status < 400 for status in counts), f"{operation_id} never succeeded"
