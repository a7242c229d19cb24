"""The sign-in flows, composed from the TikTok client and accounts.

Views call these and only map their errors; nothing here knows about HTTP requests. The
connect view issues our JWT pair itself, in one database round trip with the sign-in record
(api/views.py).

- Server-started (browser) flow: :func:`start_authorization` (GET authorize) records a login
  attempt and returns TikTok's consent URL; :func:`resume_authorization` (GET callback)
  spends it and :func:`exchange_callback_code` exchanges the code with its PKCE verifier.
- App flows (POST connect): :func:`connect_with_code` (the native SDK's code + verifier)
  or :func:`connect_with_access_token` (a token, by default only one obtained here).

Every access token obtained from TikTok here is recorded (:mod:`.minted`); with
``STORE_TOKENS`` the whole grant is kept for its account (:mod:`.tiktok_tokens`).
"""

from __future__ import annotations

from dataclasses import replace

from django.views.decorators.debug import sensitive_variables

from tiktok_mobile_auth import url_rules
from tiktok_mobile_auth.conf import TikTokConfig
from tiktok_mobile_auth.exceptions import (
    IdentityMismatch,
    NotConfigured,
    RedirectUriNotAllowed,
    TokenNotIssuedHere,
    UnknownState,
)
from tiktok_mobile_auth.signin import accounts, attempts, minted_tokens, tiktok_token_store
from tiktok_mobile_auth.signin.tiktok_calls import (
    credentials_refusal_is_misconfiguration,
    tiktok_client,
)
from tiktok_mobile_auth.tiktok import (
    BASIC_FIELDS,
    TikTokClient,
    TikTokProfile,
    TikTokScopeError,
    TokenGrant,
    authorize_url,
    fields_for_scopes,
    pkce,
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


@sensitive_variables("access_token")
def connect_with_access_token(access_token: str, config: TikTokConfig) -> accounts.SignIn:
    """Sign in with a TikTok access token (the caller issues our JWT pair).

    Under ``ACCESS_TOKEN_POLICY = "minted"`` (anything but ``"any"``) the token must be one
    this server obtained, unexpired, and TikTok must name the ``open_id`` it was obtained
    for; otherwise :class:`TokenNotIssuedHere`, before TikTok is called for an unknown
    token. Also raises the TikTok client's errors and the account errors of
    :func:`accounts.sign_in`.
    """
    recorded = None
    if config.access_token_policy != minted_tokens.POLICY_ANY:
        recorded = minted_tokens.lookup(access_token, config)
    # A token obtained here comes with the scopes the user granted; a foreign one (policy
    # "any") is asked for the configured scopes, falling back to the basic fields.
    granted = recorded.scopes if recorded else ()
    profile = fetch_profile(tiktok_client(config), access_token, granted or config.scopes)
    if recorded is not None and profile.open_id != recorded.open_id:
        raise TokenNotIssuedHere(
            "TikTok says this access token belongs to another account than the one it was "
            "obtained for."
        )
    signed_in = accounts.sign_in(profile, scopes=granted, config=config)
    # STORE_TOKENS: the grant our callback obtained for this token now has its account. Taken
    # here (it may be in the cache: no network wait inside the sign-in's transaction), kept
    # when the sign-in commits, under the link's lock (sessions.py).
    stashed = tiktok_token_store.take_stashed(access_token, profile.open_id, config)
    if stashed is None:
        return signed_in
    return replace(
        signed_in,
        keep_tokens=lambda account: tiktok_token_store.save_grant(
            account, stashed.grant, config, received_at=stashed.received_at
        ),
    )


@sensitive_variables("code", "code_verifier", "grant")
def connect_with_code(
    code: str, code_verifier: str, redirect_uri: str | None, config: TikTokConfig
) -> accounts.SignIn:
    """Sign in with the code and PKCE verifier a native TikTok SDK handed the app.

    The server exchanges the code itself, which proves TikTok issued it to *our* client
    key. ``redirect_uri`` must be in the configured allow-list (it may be omitted when the
    list has exactly one entry). Raises :class:`RedirectUriNotAllowed`,
    :class:`NotConfigured`, :class:`IdentityMismatch`, the TikTok client's errors and the
    account errors.
    """
    require(config, "APP_REDIRECT_URIS")
    redirect_uri = url_rules.chosen_redirect_uri(redirect_uri, config.app_redirect_uris)
    if redirect_uri is None:
        raise RedirectUriNotAllowed()
    grant = exchange_code(code, config, redirect_uri=redirect_uri, code_verifier=code_verifier)
    return sign_in_with_grant(grant, config)


@sensitive_variables("grant")
def sign_in_with_grant(grant: TokenGrant, config: TikTokConfig) -> accounts.SignIn:
    """The user behind a token this server just obtained from a code exchange.

    Raises :class:`IdentityMismatch` when user info answers for another ``open_id`` than
    the exchange did, the TikTok client's errors and the account errors.
    """
    profile = fetch_profile(tiktok_client(config), grant.access_token, grant.scopes)
    if profile.open_id != grant.open_id:
        raise IdentityMismatch()
    signed_in = accounts.sign_in(profile, scopes=grant.scopes, config=config)
    # Only with STORE_TOKENS; kept when the sign-in commits, under the link's lock.
    return replace(
        signed_in, keep_tokens=lambda account: tiktok_token_store.save_grant(account, grant, config)
    )


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
    client = tiktok_client(config)
    with credentials_refusal_is_misconfiguration():
        grant = client.exchange_code(code, redirect_uri=redirect_uri, code_verifier=code_verifier)
    minted_tokens.record(grant, config)
    return grant


@sensitive_variables("code", "code_verifier")
def exchange_callback_code(
    code: str, config: TikTokConfig, code_verifier: str | None = None
) -> TokenGrant:
    """Exchange the code TikTok sent to our callback (``redirect_uri`` = our callback URL),
    with the verifier of the login attempt (None in the compatibility mode)."""
    require(config, "CLIENT_KEY", "CLIENT_SECRET", "CALLBACK_URL")
    return exchange_code(
        code, config, redirect_uri=config.callback_url, code_verifier=code_verifier
    )


@sensitive_variables("code_verifier")
def start_authorization(
    app_state: str | None, config: TikTokConfig, *, purpose: str = "app", browser_hash: str = ""
) -> str:
    """Start a login attempt, bound to the browser whose cookie nonce hashes to
    ``browser_hash`` (:mod:`.browser_binding`); return TikTok's consent URL (our state, a
    hex S256 challenge).

    Raises :class:`NotConfigured` naming what is missing, before anything is stored.
    """
    require(config, "CLIENT_KEY", "CLIENT_SECRET", "CALLBACK_URL")
    code_verifier = pkce.new_code_verifier()
    state = attempts.start(
        app_state, code_verifier, config, purpose=purpose, browser_hash=browser_hash
    )
    challenge = pkce.code_challenge(code_verifier)
    return authorize_url(config, state=state, challenge=challenge)


def resume_authorization(
    state: str | None, config: TikTokConfig, *, browser_hash: str | None = None
) -> attempts.Attempt:
    """Spend the login attempt behind the callback's ``state``, for the browser whose cookie
    nonce hashes to ``browser_hash`` (None: no valid cookie).

    With ``ALLOW_APP_STATE`` a state never issued here (or none) is the app's own: it is
    echoed back and the code is exchanged without a verifier, unbound (no browser started it
    here). A state issued here but spent, expired or bound to another browser is refused in
    both modes. Raises :class:`~.exceptions.InvalidState` (:class:`~.exceptions.BrowserMismatch`
    for another browser's).
    """
    try:
        return attempts.consume(state, config, browser_hash=browser_hash)
    except UnknownState:
        if not config.allow_app_state:
            raise
        return attempts.Attempt(app_state=state or None)
