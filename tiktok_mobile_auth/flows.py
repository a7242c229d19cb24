"""The sign-in flows, composed from the TikTok client, accounts and tokens.

Views call these and only map their errors; nothing here knows about HTTP requests.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.views.decorators.debug import sensitive_variables

from . import accounts, tokens
from .conf import TikTokConfig
from .exceptions import IdentityMismatch, NotConfigured, RedirectUriNotAllowed
from .tiktok import (
    BASIC_FIELDS,
    TikTokClient,
    TikTokOAuthError,
    TikTokProfile,
    TikTokScopeError,
    TokenGrant,
    fields_for_scopes,
)


@sensitive_variables("access_token")
def fetch_profile(
    client: TikTokClient, access_token: str, scopes: tuple[str, ...]
) -> TikTokProfile:
    """The profile behind ``access_token``, with every field ``scopes`` allows.

    A user can untick optional scopes at TikTok; when the token lacks one we asked fields
    for, ask again for the basic fields rather than fail the sign-in.
    """
    fields = fields_for_scopes(scopes)
    try:
        return client.get_user_info(access_token, fields=fields)
    except TikTokScopeError:
        if fields == BASIC_FIELDS:
            raise
        return client.get_user_info(access_token, fields=BASIC_FIELDS)


@dataclass(frozen=True)
class Connected:
    sign_in: accounts.SignIn
    tokens: dict[str, str]


@sensitive_variables("access_token")
def connect_with_access_token(access_token: str, config: TikTokConfig) -> Connected:
    """Sign in with a TikTok access token and issue our JWT pair.

    Raises the TikTok client's errors and the account errors of :func:`accounts.sign_in`.
    """
    profile = fetch_profile(TikTokClient(config), access_token, config.scopes)
    signed_in = accounts.sign_in(profile, scopes=(), config=config)
    return Connected(signed_in, tokens.issue_pair(signed_in.user))


@sensitive_variables("code", "code_verifier", "grant")
def connect_with_code(
    code: str, code_verifier: str, redirect_uri: str | None, config: TikTokConfig
) -> Connected:
    """Sign in with the code and PKCE verifier a native TikTok SDK handed the app.

    The server exchanges the code itself, which proves TikTok issued it to *our* client
    key. ``redirect_uri`` must be in the configured allow-list (it may be omitted when the
    list has exactly one entry). Raises :class:`RedirectUriNotAllowed`,
    :class:`NotConfigured`, :class:`IdentityMismatch`, the TikTok client's errors and the
    account errors.
    """
    allowed = config.app_redirect_uris
    if redirect_uri is None and len(allowed) == 1:
        redirect_uri = allowed[0]
    if not allowed:
        require(config, "APP_REDIRECT_URIS")
    if redirect_uri not in allowed:
        raise RedirectUriNotAllowed()
    grant = exchange_code(code, config, redirect_uri=redirect_uri, code_verifier=code_verifier)
    profile = fetch_profile(TikTokClient(config), grant.access_token, grant.scopes)
    if profile.open_id != grant.open_id:
        raise IdentityMismatch()
    signed_in = accounts.sign_in(profile, scopes=grant.scopes, config=config)
    return Connected(signed_in, tokens.issue_pair(signed_in.user))


def require(config: TikTokConfig, *keys: str) -> None:
    """Raise :class:`NotConfigured` naming every missing setting among ``keys``."""
    missing = config.missing(*keys)
    if missing:
        raise NotConfigured(
            "TikTok sign-in is not configured on this server: set " + ", ".join(missing) + "."
        )


@sensitive_variables("code", "code_verifier")
def exchange_code(
    code: str, config: TikTokConfig, *, redirect_uri: str, code_verifier: str | None = None
) -> TokenGrant:
    """Exchange a code with our credentials.

    TikTok refusing our own client key or secret (``invalid_client``) is this server's
    misconfiguration, not the user's fault: it raises :class:`NotConfigured`.
    """
    require(config, "CLIENT_KEY", "CLIENT_SECRET")
    client = TikTokClient(config)
    try:
        return client.exchange_code(code, redirect_uri=redirect_uri, code_verifier=code_verifier)
    except TikTokOAuthError as err:
        if err.code == "invalid_client":
            raise NotConfigured(
                "TikTok refused this server's client key or secret: check "
                "TIKTOK_CLIENT_KEY and TIKTOK_CLIENT_SECRET."
            ) from err
        raise


@sensitive_variables("code")
def exchange_callback_code(code: str, config: TikTokConfig) -> TokenGrant:
    """Exchange the code TikTok sent to our callback (``redirect_uri`` = our callback URL)."""
    require(config, "CLIENT_KEY", "CLIENT_SECRET", "CALLBACK_URL")
    return exchange_code(code, config, redirect_uri=config.callback_url)
