"""A client generated from the served OpenAPI document, driven against the live site.

The site serves its document at ``GET schema/``; openapi-python-client turns it into a
Python package (:mod:`.generated_client`), and these tests sign in with that package only:
the code flow with PKCE against the fake TikTok, the access-token form after the browser
flow, me, refresh, logout and the error envelope. They assert on the typed objects the
generated code returns, so a schema that a generator cannot follow, or that does not
describe what the server sends, fails here. The examples of ``docs/mobile-apps.md`` are
checked against the same document.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from .doc_examples import doc_problems
from .generated_client import generate, imported, json_bodies_only

pytestmark = pytest.mark.integration

ANDROID = "https://app.example.com/tiktok/android"
APP_LINK = "https://app.example.com/tiktok/done"
MOBILE_DOC = Path(__file__).resolve().parents[2] / "docs" / "mobile-apps.md"


@pytest.fixture(scope="module")
def site(live_site, tmp_path_factory):
    """A site of its own (on ``live_site``'s database and fake TikTok) with the default
    policies and limits: these tests log out, and ``live_site``'s low logout limit belongs to
    a throttle test. Counters are kept per scope, rate and client, so this site's logout
    (another rate) does not count against it."""
    with live_site.sibling(tmp_path_factory.mktemp("generated")).running() as running:
        yield running


@pytest.fixture(scope="module")
def document(site) -> dict:
    served = requests.get(site.url("schema/"), params={"format": "json"}, timeout=30)
    assert served.status_code == 200, served.text
    return served.json()


@pytest.fixture(scope="module")
def api(document, tmp_path_factory) -> Iterator[SimpleNamespace]:
    with imported(generate(document, tmp_path_factory.mktemp("client"))) as package:
        yield package


@pytest.fixture
def anonymous(api, site):
    with api.client.Client(base_url=site.base_url, raise_on_unexpected_status=True) as client:
        yield client


def bearer(api, site, jwt: str):
    """The generated client for calls with ``Authorization: Bearer <jwt>``."""
    return api.client.AuthenticatedClient(
        base_url=site.base_url, token=jwt, raise_on_unexpected_status=True
    )


@pytest.fixture
def person(fake) -> SimpleNamespace:
    """A TikTok user of this test only (the database is shared by the session)."""
    slug = secrets.token_hex(4)
    fake.add_user(open_id=f"open-{slug}", union_id=f"union-{slug}", display_name=f"Gen {slug}")
    return SimpleNamespace(open_id=f"open-{slug}", union_id=f"union-{slug}", name=f"Gen {slug}")


def code_request(api, fake, open_id: str) -> tuple[object, str]:
    """What the native SDK hands the app, as the generated request model, and its verifier.
    TikTok's PKCE challenge is the hex SHA-256 of the verifier."""
    verifier = secrets.token_urlsafe(32)
    challenge = hashlib.sha256(verifier.encode()).hexdigest()
    code = fake.mint_code(open_id, redirect_uri=ANDROID, code_challenge=challenge)
    body = api.models.ConnectWithCodeRequest(
        code=code, code_verifier=verifier, redirect_uri=ANDROID
    )
    return body, verifier


def assert_tiktok_user(api, user, person) -> None:
    assert isinstance(user, api.models.User)
    assert user.provider is api.models.ProviderEnum.TIKTOK
    assert user.role is api.models.RoleEnum.MEMBER
    assert (user.confirmed, user.blocked) == (True, False)
    assert isinstance(user.created_at, datetime) and user.created_at.tzinfo is not None
    assert isinstance(user.tiktok, api.models.TikTokProfile)
    profile = user.tiktok
    assert (profile.open_id, profile.union_id) == (person.open_id, person.union_id)
    assert profile.display_name == person.name
    assert profile.scopes == ["user.info.basic"]
    assert profile.deauthorized is False


def assert_error(api, answer, status: int, name: str, code: str):
    """``answer`` is the documented error envelope, parsed by the generated model."""
    assert answer.status_code == status, answer.content
    envelope = answer.parsed
    assert isinstance(envelope, api.models.ErrorEnvelope)
    assert envelope.data is None
    assert isinstance(envelope.error, api.models.Error)
    assert (envelope.error.status, envelope.error.name) == (status, api.models.ErrorNameEnum(name))
    assert envelope.error.message
    assert isinstance(envelope.error.details, api.models.ErrorDetails)
    assert envelope.error.details.code == code
    return envelope.error.details


def test_code_flow_connect_me_refresh_logout(api, anonymous, site, fake, person):
    body, verifier = code_request(api, fake, person.open_id)
    connected = api.connect.sync_detailed(client=anonymous, body=body)
    assert connected.status_code == 200, connected.content
    session = connected.parsed
    assert isinstance(session, api.models.ConnectResponse)
    assert_tiktok_user(api, session.user, person)
    [exchange] = fake.requests("token")  # the server redeemed the code with the app's PKCE
    assert exchange["form"]["code_verifier"] == verifier
    assert exchange["form"]["redirect_uri"] == ANDROID

    with bearer(api, site, session.jwt) as client:
        me = api.me.sync_detailed(client=client)
    assert me.status_code == 200, me.content
    assert_tiktok_user(api, me.parsed, person)
    assert me.parsed.id == session.user.id

    old = api.models.RefreshRequest(refresh=session.refresh)
    refreshed = api.refresh_token.sync_detailed(client=anonymous, body=old)
    assert refreshed.status_code == 200, refreshed.content
    pair = refreshed.parsed
    assert isinstance(pair, api.models.TokenPair)
    assert pair.refresh != session.refresh and pair.jwt != session.jwt
    with bearer(api, site, pair.jwt) as client:
        assert api.me.sync(client=client).id == session.user.id

    spent = api.models.RefreshRequest(refresh=pair.refresh)
    logged_out = api.logout.sync_detailed(client=anonymous, body=spent)
    assert (logged_out.status_code, logged_out.parsed) == (204, None)
    again = api.refresh_token.sync_detailed(client=anonymous, body=spent)
    assert_error(api, again, 401, "UnauthorizedError", "refresh_token_invalid")


def test_browser_flow_then_connect_with_the_access_token(api, anonymous, site, fake, person):
    # The generated client keeps the browser-binding cookie of authorize for the callback.
    started = api.authorize.sync_detailed(client=anonymous, state="app-state-1")
    assert started.status_code == 302, started.content
    sent = parse_qs(urlsplit(started.headers["Location"]).query)
    code = fake.mint_code(
        person.open_id,
        redirect_uri=site.url("callback"),
        code_challenge=sent["code_challenge"][0],
    )
    back = api.callback.sync_detailed(
        client=anonymous, code=code, scopes="user.info.basic", state=sent["state"][0]
    )
    assert back.status_code == 302, back.content
    location = back.headers["Location"]
    assert location.startswith(APP_LINK + "?")
    to_app = parse_qs(urlsplit(location).query)
    assert to_app["state"] == ["app-state-1"]

    body = api.models.ConnectWithAccessTokenRequest(access_token=to_app["access_token"][0])
    connected = api.connect.sync_detailed(client=anonymous, body=body)
    assert connected.status_code == 200, connected.content
    assert isinstance(connected.parsed, api.models.ConnectResponse)
    assert_tiktok_user(api, connected.parsed.user, person)


def test_a_refused_code_is_the_documented_error_envelope(api, anonymous, fake, person):
    body, _verifier = code_request(api, fake, person.open_id)
    body.code_verifier = secrets.token_urlsafe(32)  # not the one the code was made with
    refused = api.connect.sync_detailed(client=anonymous, body=body)
    details = assert_error(api, refused, 401, "UnauthorizedError", "tiktok_code_invalid")
    assert details.tiktok_error == "invalid_request"  # TikTok's code for a PKCE mismatch


def test_a_validation_error_lists_the_fields(api, anonymous):
    body = api.models.ConnectWithCodeRequest(code="c", code_verifier="too-short")
    refused = api.connect.sync_detailed(client=anonymous, body=body)
    details = assert_error(api, refused, 400, "ValidationError", "invalid_request")
    assert isinstance(details.errors, api.models.ErrorDetailsErrors)
    assert list(details.errors.additional_properties) == ["code_verifier"]
    assert details.errors["code_verifier"] == [
        "Must be 32 to 128 characters of A-Z a-z 0-9 - . _ ~"
    ]


def test_the_mobile_apps_page_matches_the_schema(document):
    assert doc_problems(MOBILE_DOC.read_text(), document) == []


def test_the_generator_gets_the_served_document_less_the_form_bodies(document):
    trimmed = json_bodies_only(document)
    changed = {
        operation["operationId"]: sorted(operation["requestBody"]["content"])
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if operation != trimmed["paths"][path][method]
    }
    form_or_json = ["application/json", "application/x-www-form-urlencoded"]
    assert changed == {
        "connect": form_or_json,
        "refreshToken": form_or_json,
        "logout": form_or_json,
    }
    assert {k: v for k, v in trimmed.items() if k != "paths"} == {
        k: v for k, v in document.items() if k != "paths"
    }


def test_the_doc_check_catches_drift(document):
    drifted = """
<!-- schema: ConnectWithCodeRequest -->
```json
{"code": "c", "codeVerifier": "v"}
```
<!-- schema: ConnectResponse -->
```json
{"jwt": "j", "refresh": 1, "user": null}
```
`POST /api/tiktok-auth-mobile/token` and `GET /api/tiktok-auth-mobile/me`
"""
    assert doc_problems(drifted, document) == [
        "ConnectWithCodeRequest: ConnectWithCodeRequest.code_verifier is required",
        "ConnectWithCodeRequest: ConnectWithCodeRequest.codeVerifier is not a field of the schema",
        "ConnectResponse: ConnectResponse.refresh is int, the schema says string",
        "ConnectResponse: ConnectResponse.user is null",
        "POST /api/tiktok-auth-mobile/token is not in the schema",
    ]
