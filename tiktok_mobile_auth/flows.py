"""The sign-in flows, composed from the TikTok client, accounts and tokens.

Views call these and only map their errors; nothing here knows about HTTP requests.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.views.decorators.debug import sensitive_variables

from . import accounts, tokens
from .conf import TikTokConfig
from .exceptions import NotConfigured
from .tiktok import (
    BASIC_FIELDS,
    TikTokClient,
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


def require(config: TikTokConfig, *keys: str) -> None:
    """Raise :class:`NotConfigured` naming every missing setting among ``keys``."""
    missing = config.missing(*keys)
    if missing:
        raise NotConfigured(
            "TikTok sign-in is not configured on this server: set " + ", ".join(missing) + "."
        )


@sensitive_variables("code")
def exchange_callback_code(code: str, config: TikTokConfig) -> TokenGrant:
    """Exchange the code TikTok sent to our callback (``redirect_uri`` = our callback URL)."""
    require(config, "CLIENT_KEY", "CLIENT_SECRET", "CALLBACK_URL")
    return TikTokClient(config).exchange_code(code, redirect_uri=config.callback_url)
