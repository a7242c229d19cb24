"""Every default of the plugin's configuration, in one place, and how each key is named to an
operator (its environment variable in the demo site and the README).

Read through :mod:`tiktok_mobile_auth.conf`, never copied: a default that another module or
a model needs is taken from :data:`DEFAULTS` there.
"""

from __future__ import annotations

from typing import Any

ROLE_MEMBER = "member"
ROLE_EDITOR = "editor"
ROLES = (ROLE_MEMBER, ROLE_EDITOR)
BASIC_SCOPE = "user.info.basic"

DEFAULTS: dict[str, Any] = {
    "ENABLED": True,
    "CLIENT_KEY": "",
    "CLIENT_SECRET": "",
    # The app's universal link / App Link that the callback redirects to.
    "REDIRECT_APP_URL": "",
    # Our callback's exact public URL, registered at TikTok and sent as redirect_uri.
    "CALLBACK_URL": "",
    # Redirect URIs the native SDKs may use for the code flow of POST connect (an allow-list:
    # the request names one, the server only accepts those listed here).
    "APP_REDIRECT_URIS": [],
    "API_BASE_URL": "https://open.tiktokapis.com",
    "AUTH_BASE_URL": "https://www.tiktok.com",
    "SCOPES": [BASIC_SCOPE],
    "DEFAULT_ROLE": ROLE_MEMBER,
    "ALLOW_REGISTRATION": True,
    "EMAIL_DOMAIN": "tiktok.com",
    "MEMBER_GROUP": "Members",
    "EDITOR_GROUP": "Editors",
    # (connect, read) seconds for every call to TikTok, or one number for both.
    "TIMEOUT": (3.05, 10.0),
    # Replies larger than this are refused rather than parsed.
    "MAX_RESPONSE_BYTES": 1_000_000,
    "ADAPTER": "tiktok_mobile_auth.signin.adapter.DefaultAccountAdapter",
    # Precedence order. The Wagtail admin panel comes after the Django settings: a value set
    # in the environment / settings wins and is shown read-only in the panel.
    "CONFIG_SOURCES": [
        "tiktok_mobile_auth.conf.django_settings_source",
        "tiktok_mobile_auth.cms.panel.panel_source",
    ],
    # Allow a custom-scheme app link (myapp://...). Any app can claim a custom scheme; a
    # universal link / App Link (https) cannot be hijacked, so it is off by default.
    "ALLOW_CUSTOM_SCHEME": False,
    # Fernet keys for secrets stored by the admin panel (see crypto.py); first one encrypts.
    "ENCRYPTION_KEYS": [],
    # Reverse proxies (IPs or CIDRs) whose X-Forwarded-For is believed when finding the
    # client's IP (client_ip.py); empty: REMOTE_ADDR is the client.
    "TRUSTED_PROXIES": [],
    # The callback accepts only a state that GET authorize issued. True also lets through a
    # state the app made itself (the Strapi plugin's apps start the TikTok flow themselves):
    # weaker, no CSRF protection or PKCE on the callback; system check W006.
    "ALLOW_APP_STATE": False,
    # "minted": connect's access_token must be one our callback or code exchange obtained
    # (minted.py). "any": any live TikTok token, as the Strapi plugin (weaker, W007).
    "ACCESS_TOKEN_POLICY": "minted",
    # Seconds a login attempt (authorize → callback) stays usable.
    "LOGIN_ATTEMPT_TTL": 600,
    # Where login attempts and minted-token hashes live: "auto", "database" or "cache"
    # (storage.py).
    "STORAGE": "auto",
    # Requests per client IP, per scope ("off" disables one); a partial dict keeps the other
    # defaults. Generous on purpose: mobile carriers put thousands of subscribers behind one
    # IPv4 address (CGNAT), so a limit must not trip on a crowd of real users. A user signs
    # in rarely (connect / authorize / callback: 120/min = 2/s per IP), refreshes about
    # every 15 minutes while the app is open (300/min ≈ 4,500 active users per IP) and reads
    # "me" more often (600/min). They still stop one machine from hammering TikTok's quota
    # (user info: 600/min per app) or our database.
    "THROTTLE_RATES": {
        "authorize": "120/min",
        "callback": "120/min",
        "connect": "120/min",
        "refresh": "300/min",
        "logout": "300/min",
        "me": "600/min",
        # Disconnecting is rare; the webhook is TikTok's servers (a few IPs, bursts of
        # deliveries, retried for 72 h when refused), so its limit is high.
        "disconnect": "120/min",
        "webhook": "1200/min",
    },
    # Larger request bodies get 413 before they are read; every valid body is far smaller.
    "MAX_REQUEST_BYTES": 16 * 1024,
    # Keep each account's TikTok access and refresh tokens, encrypted, refreshed before
    # they expire, revoked at disconnect (tiktok_tokens.py). Off: nothing is kept.
    "STORE_TOKENS": False,
    # Seconds after a refresh during which the refresh token it replaced may be presented
    # once more without revoking the session (tokens.py): for an app whose refresh answer was
    # lost. 0, the default: any reuse of a replaced refresh token ends the session.
    "REFRESH_REUSE_GRACE": 0,
    # Days the sign-in events (the admin's account page) are kept before ``manage.py
    # tiktok_auth_cleanup`` deletes them; 0 keeps them forever (docs/deployment.md).
    "SIGN_IN_EVENT_RETENTION_DAYS": 365,
}

# The environment variable that cms_site (and the README) maps to each key; error messages
# and system checks name these so an operator knows exactly what to set.
ENV_NAMES: dict[str, str] = {
    "ENABLED": "TIKTOK_ENABLED",
    "CLIENT_KEY": "TIKTOK_CLIENT_KEY",
    "CLIENT_SECRET": "TIKTOK_CLIENT_SECRET",
    "REDIRECT_APP_URL": "TIKTOK_REDIRECT_APP_URL",
    "CALLBACK_URL": "TIKTOK_CALLBACK_URL",
    "APP_REDIRECT_URIS": "TIKTOK_APP_REDIRECT_URIS",
    "API_BASE_URL": "TIKTOK_API_BASE_URL",
    "AUTH_BASE_URL": "TIKTOK_AUTH_BASE_URL",
    "DEFAULT_ROLE": "TIKTOK_DEFAULT_ROLE",
    "ALLOW_REGISTRATION": "TIKTOK_ALLOW_REGISTRATION",
    "SCOPES": "TIKTOK_SCOPES",
    "ALLOW_CUSTOM_SCHEME": "TIKTOK_ALLOW_CUSTOM_SCHEME",
    "ENCRYPTION_KEYS": "TIKTOK_ENCRYPTION_KEYS",
    "TRUSTED_PROXIES": "TIKTOK_TRUSTED_PROXIES",
    "ALLOW_APP_STATE": "TIKTOK_ALLOW_APP_STATE",
    "ACCESS_TOKEN_POLICY": "TIKTOK_ACCESS_TOKEN_POLICY",
    "STORE_TOKENS": "TIKTOK_STORE_TOKENS",
    "REFRESH_REUSE_GRACE": "TIKTOK_REFRESH_REUSE_GRACE",
    # One variable per scope: TIKTOK_THROTTLE_CONNECT, TIKTOK_THROTTLE_ME ...
    "THROTTLE_RATES": "TIKTOK_THROTTLE_<SCOPE>",
}


def setting_label(key: str) -> str:
    """How to name a key to an operator.

    e.g. ``TIKTOK_CLIENT_KEY (TIKTOK_MOBILE_AUTH['CLIENT_KEY'])``.
    """
    env = ENV_NAMES.get(key)
    return f"{env} (TIKTOK_MOBILE_AUTH['{key}'])" if env else f"TIKTOK_MOBILE_AUTH['{key}']"
