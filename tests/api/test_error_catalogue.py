"""The error catalogue (tiktok_mobile_auth/error_codes.py) drives the exceptions, the envelope
and docs/errors.md: each code is declared once, with literal expectations here."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tiktok_mobile_auth import error_codes as codes
from tiktok_mobile_auth import exceptions as domain
from tiktok_mobile_auth import tiktok
from tiktok_mobile_auth.api.errors import error_response, exception_handler
from tiktok_mobile_auth.conf import BASIC_SCOPE
from tiktok_mobile_auth.signin.jwt_tokens import RefreshRefused

DOCS = Path(__file__).resolve().parents[2] / "docs" / "errors.md"


def test_docs_errors_md_is_what_the_catalogue_generates():
    # Regenerate with: python -m tiktok_mobile_auth.error_codes > docs/errors.md
    assert DOCS.read_text() == codes.markdown()


def test_the_docs_list_every_code_once_with_its_status():
    rows = [line for line in DOCS.read_text().splitlines() if line.startswith("| `")]
    assert len(rows) == len(codes.CATALOGUE)
    assert "| `registration_closed` | 403 | API |" in DOCS.read_text()
    assert "| `browser_mismatch` | - | app link |" in DOCS.read_text()


@pytest.mark.parametrize(
    ("error", "code", "status", "message"),
    [
        (
            domain.RegistrationClosed,
            "registration_closed",
            403,
            "New accounts cannot be created with TikTok on this site.",
        ),
        (
            domain.RedirectUriNotAllowed,
            "redirect_uri_not_allowed",
            400,
            "This redirect_uri is not one of the app redirect URIs configured here.",
        ),
        (
            domain.NotConfigured,
            "server_misconfigured",
            503,
            "TikTok sign-in is not configured on this server.",
        ),
        (
            RefreshRefused,
            "refresh_token_invalid",
            401,
            "The refresh token is invalid, expired or already used.",
        ),
        (domain.NotLinked, "not_linked", 404, "No TikTok account is linked to this user."),
        (
            domain.UnknownState,
            "invalid_state",
            None,
            "This sign-in is invalid, expired or was already used. Please start again.",
        ),
        (
            domain.WebhookExpired,
            "webhook_signature_expired",
            401,
            "The TikTok-Signature timestamp is more than 5 minutes off.",
        ),
    ],
)
def test_an_exception_takes_its_status_and_message_from_its_code(error, code, status, message):
    assert (error.code, error.status, error.default_message) == (code, status, message)
    assert error().message == message
    assert str(error("More precise.")) == "More precise."


def test_an_exception_with_an_undeclared_code_fails_when_defined():
    with pytest.raises(KeyError):

        class Typo(domain.SignInError):
            code = "registration_closd"


def test_a_code_cannot_be_declared_twice():
    with pytest.raises(ValueError, match="declared twice"):
        codes._declare("not_linked", 404, codes.API_ONLY, "Again.", "again")
    assert codes.message_of("not_linked") == "No TikTok account is linked to this user."


def test_only_codes_answered_as_json_have_a_status():
    assert codes.status_of("email_taken") == 409
    with pytest.raises(LookupError):
        codes.status_of("browser_mismatch")  # only ever on the app link
    with pytest.raises(KeyError):
        codes.status_of("no_such_code")
    for entry in codes.CATALOGUE.values():
        assert (entry.status is not None) == (codes.API in entry.where), entry.code


def test_every_code_could_pass_as_an_app_link_error():
    # The callback passes on error values of this shape (web/oauth.py) and apps parse them.
    for code in codes.CATALOGUE:
        assert re.fullmatch(r"[a-z][a-z0-9_]{0,63}", code)


def test_the_missing_scope_message_names_the_scope_sign_in_needs():
    assert BASIC_SCOPE in codes.message_of(codes.MISSING_SCOPE)


@pytest.mark.parametrize(
    ("error", "status", "code", "details"),
    [
        (
            tiktok.TikTokTokenInvalid("Token gone", code="access_token_invalid"),
            401,
            "tiktok_token_invalid",
            {"tiktok_error": "access_token_invalid"},
        ),
        (
            tiktok.TikTokScopeError("No scope", code="scope_not_authorized"),
            401,
            "tiktok_scope_missing",
            {"tiktok_error": "scope_not_authorized"},
        ),
        (
            tiktok.TikTokOAuthError("Code expired", code="invalid_grant"),
            401,
            "tiktok_code_invalid",
            {"tiktok_error": "invalid_grant"},
        ),
        (tiktok.TikTokUnavailable("Timed out"), 503, "tiktok_unavailable", {}),
        (tiktok.TikTokBadResponse("Not JSON"), 502, "tiktok_bad_response", {}),
        (
            tiktok.TikTokError("Oops", code="internal_error"),
            502,
            "tiktok_error",
            {"tiktok_error": "internal_error"},
        ),
    ],
)
def test_tiktok_errors_get_our_code_and_its_status(error, status, code, details):
    response = exception_handler(error, {})
    assert response.status_code == status
    assert response.data["error"]["details"] == {"code": code, **details}
    assert response.data["error"]["message"] == error.description


def test_a_domain_error_answered_as_json_keeps_its_message():
    response = exception_handler(domain.EmailConflict(), {})
    assert response.status_code == 409
    assert response.data["error"] == {
        "status": 409,
        "name": "ConflictError",
        "message": "An account that is not linked to TikTok already uses this TikTok "
        "account's email.",
        "details": {"code": "email_taken"},
    }


def test_a_code_never_answered_as_json_is_a_logged_500_not_a_crash(caplog):
    response = exception_handler(domain.UnknownState(), {})
    assert response.status_code == 500
    assert response.data["error"]["details"] == {"code": "internal_error"}
    assert response.data["error"]["message"] == "Internal server error."
    assert "Unexpected error in a TikTok sign-in endpoint" in caplog.text


def test_error_response_uses_the_catalogue():
    response = error_response(codes.PLUGIN_DISABLED)
    assert response.status_code == 404
    assert json.loads(response.content) == {
        "data": None,
        "error": {
            "status": 404,
            "name": "NotFoundError",
            "message": "TikTok sign-in is disabled on this server.",
            "details": {"code": "plugin_disabled"},
        },
    }
    with pytest.raises(LookupError):
        error_response(codes.INVALID_STATE)
