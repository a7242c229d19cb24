"""Domain errors of the sign-in, independent of HTTP.

The API layer maps each to a status and the error envelope; the callback maps them to an
``error=<code>`` redirect. ``code`` is the stable machine-readable value apps can rely on.
"""

from collections.abc import Iterator
from contextlib import contextmanager


class SignInError(Exception):
    """``union_id`` is set when the TikTok identity is known (for the sign-in record)."""

    code = "sign_in_failed"
    default_message = "Sign-in with TikTok failed."

    def __init__(self, message: str | None = None, *, union_id: str | None = None) -> None:
        self.message = message or self.default_message
        self.union_id = union_id
        super().__init__(self.message)


class NotConfigured(SignInError):
    code = "server_misconfigured"
    default_message = "TikTok sign-in is not configured on this server."


@contextmanager
def credentials_refusal_is_misconfiguration() -> Iterator[None]:
    """TikTok refusing our own client key or secret (``invalid_client``, at a code exchange or
    a refresh) is this server's misconfiguration, not the user's fault: re-raise it as
    :class:`NotConfigured`. Other TikTok errors pass through."""
    from tiktok_mobile_auth.tiktok import (
        TikTokOAuthError,  # the TikTok client's errors, not domain ones
    )

    try:
        yield
    except TikTokOAuthError as err:
        if err.code != "invalid_client":
            raise
        raise NotConfigured(
            "TikTok refused this server's client key or secret: check "
            "TIKTOK_CLIENT_KEY and TIKTOK_CLIENT_SECRET."
        ) from err


class MissingUnionId(SignInError):
    code = "tiktok_union_id_missing"
    default_message = (
        "TikTok did not return a union_id for this account, so it cannot be identified."
    )


class RegistrationClosed(SignInError):
    code = "registration_closed"
    default_message = "New accounts cannot be created with TikTok on this site."


class EmailConflict(SignInError):
    code = "email_taken"
    default_message = (
        "An account that is not linked to TikTok already uses this TikTok account's email."
    )


class AccountBlocked(SignInError):
    code = "account_blocked"
    default_message = "Your account has been blocked by an administrator."


class SignInInterrupted(SignInError):
    """The TikTok link was removed (disconnect, or the admin's unlink) while this sign-in was
    being completed: nothing was issued. Signing in again creates a new user, as any sign-in
    after a disconnect does."""

    code = "sign_in_interrupted"
    default_message = "This TikTok account was disconnected while signing in. Please sign in again."


class RedirectUriNotAllowed(SignInError):
    code = "redirect_uri_not_allowed"
    default_message = "This redirect_uri is not one of the app redirect URIs configured here."


class IdentityMismatch(SignInError):
    code = "tiktok_identity_mismatch"
    default_message = "TikTok's user info does not belong to the account the code was issued for."


class InvalidState(SignInError):
    """The callback's ``state`` is not one this server issued and still accepts."""

    code = "invalid_state"
    default_message = "This sign-in is invalid, expired or was already used. Please start again."


class UnknownState(InvalidState):
    """Missing, or never issued here (or forgotten long ago)."""


class SpentState(InvalidState):
    """Issued here, but already used or expired."""


class BrowserMismatch(InvalidState):
    """Issued here and still valid, but for another browser (browser_binding.py): the
    callback URL was opened in a browser that did not start the sign-in. Not spent."""

    code = "browser_mismatch"
    default_message = (
        "This sign-in was started in another browser, so it cannot be finished here. "
        "Please start again."
    )

    def __init__(self, purpose: str = "app") -> None:
        self.purpose = purpose  # "admin" gets the admin refusal page, "app" the app redirect
        super().__init__()


class TokenNotIssuedHere(SignInError):
    code = "tiktok_token_not_issued_here"
    default_message = (
        "This TikTok access token was not obtained by this server, or it has expired. "
        "Please sign in again."
    )


class NotLinked(SignInError):
    """POST disconnect by a user who has no TikTok account linked."""

    code = "not_linked"
    default_message = "No TikTok account is linked to this user."


class TokensUnavailable(SignInError):
    """No usable TikTok token is stored for the account (none stored, refresh token expired
    or refused by TikTok): the user must sign in with TikTok again."""

    code = "tiktok_reauthorization_required"
    default_message = "No valid TikTok token is stored for this account. Please sign in again."


class WebhookRefused(Exception):
    """A webhook request whose ``TikTok-Signature`` does not prove it came from TikTok."""

    code = "webhook_signature_invalid"

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class WebhookExpired(WebhookRefused):
    """Correctly signed, but the signature's timestamp is too old or in the future."""

    code = "webhook_signature_expired"


class WebhookMalformed(Exception):
    """A correctly signed body that is not the documented event (400 ``invalid_request``)."""

    code = "invalid_request"

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)
