"""Domain errors of the sign-in, independent of HTTP.

Each class names its ``code`` (the stable machine-readable value apps can rely on); its
``status`` and ``default_message`` come from the catalogue (:mod:`.error_codes`), so they
cannot drift from the envelope, the OpenAPI document or the docs. The API layer answers
``status`` in the error envelope; the callback maps the code to an ``error=<code>`` redirect.
"""

from typing import Any, ClassVar

from tiktok_mobile_auth import error_codes as codes


class CodedError(Exception):
    """An error whose ``code`` is declared in :data:`.error_codes.CATALOGUE`: each subclass
    sets ``code`` only (a code missing from the catalogue fails at import)."""

    code: ClassVar[str]
    status: ClassVar[int | None]
    default_message: ClassVar[str]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        entry = codes.CATALOGUE[cls.code]
        cls.status, cls.default_message = entry.status, entry.message

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)


class SignInError(CodedError):
    """``union_id`` is set when the TikTok identity is known (for the sign-in record)."""

    code = codes.SIGN_IN_FAILED

    def __init__(self, message: str | None = None, *, union_id: str | None = None) -> None:
        self.union_id = union_id
        super().__init__(message)


class NotConfigured(SignInError):
    code = codes.SERVER_MISCONFIGURED


class MissingUnionId(SignInError):
    code = codes.TIKTOK_UNION_ID_MISSING


class RegistrationClosed(SignInError):
    code = codes.REGISTRATION_CLOSED


class EmailConflict(SignInError):
    code = codes.EMAIL_TAKEN


class AccountBlocked(SignInError):
    code = codes.ACCOUNT_BLOCKED


class SignInInterrupted(SignInError):
    """The TikTok link was removed (disconnect, or the admin's unlink) while this sign-in was
    being completed: nothing was issued. Signing in again creates a new user, as any sign-in
    after a disconnect does."""

    code = codes.SIGN_IN_INTERRUPTED


class RedirectUriNotAllowed(SignInError):
    code = codes.REDIRECT_URI_NOT_ALLOWED


class IdentityMismatch(SignInError):
    code = codes.TIKTOK_IDENTITY_MISMATCH


class InvalidState(SignInError):
    """The callback's ``state`` is not one this server issued and still accepts."""

    code = codes.INVALID_STATE


class UnknownState(InvalidState):
    """Missing, or never issued here (or forgotten long ago)."""


class SpentState(InvalidState):
    """Issued here, but already used or expired."""


class BrowserMismatch(InvalidState):
    """Issued here and still valid, but for another browser (browser_binding.py): the
    callback URL was opened in a browser that did not start the sign-in. Not spent."""

    code = codes.BROWSER_MISMATCH

    def __init__(self, purpose: str = "app") -> None:
        self.purpose = purpose  # "admin" gets the admin refusal page, "app" the app redirect
        super().__init__()


class TokenNotIssuedHere(SignInError):
    code = codes.TIKTOK_TOKEN_NOT_ISSUED_HERE


class NotLinked(SignInError):
    """POST disconnect by a user who has no TikTok account linked."""

    code = codes.NOT_LINKED


class TokensUnavailable(SignInError):
    """No usable TikTok token is stored for the account (none stored, refresh token expired
    or refused by TikTok): the user must sign in with TikTok again."""

    code = codes.TIKTOK_REAUTHORIZATION_REQUIRED


class WebhookRefused(CodedError):
    """A webhook request whose ``TikTok-Signature`` does not prove it came from TikTok."""

    code = codes.WEBHOOK_SIGNATURE_INVALID


class WebhookExpired(WebhookRefused):
    """Correctly signed, but the signature's timestamp is too old or in the future."""

    code = codes.WEBHOOK_SIGNATURE_EXPIRED


class WebhookMalformed(CodedError):
    """A correctly signed body that is not the documented event (400 ``invalid_request``)."""

    code = codes.INVALID_REQUEST
