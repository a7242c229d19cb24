"""drf-spectacular settings of the plugin's OpenAPI document: plain data, so a host project's
settings module can import it (``SPECTACULAR_SETTINGS = {**SPECTACULAR_SETTINGS, ...}``).

``GET /api/tiktok-auth-mobile/schema/`` always generates with these settings
(:class:`tiktok_mobile_auth.api.openapi.view.PluginSchemaView`); a host whose only DRF API is this
plugin can use them for ``manage.py spectacular`` too, so that the file it writes is the
document that is served. The preprocessing hook keeps only the plugin's endpoints: without it
drf-spectacular also picks up Wagtail's admin API, which does not validate.
"""

from __future__ import annotations

from typing import Any

from tiktok_mobile_auth import __version__
from tiktok_mobile_auth.conf.defaults import DEFAULTS

DESCRIPTION = """\
"Sign in with TikTok" for mobile apps. The app hands this server what TikTok gave it; the
server talks to TikTok with its client secret, finds or creates the user linked to that TikTok
account (by TikTok's `union_id`) and answers with a short-lived JWT and a single-use refresh
token. Paths, request fields, success bodies and the error envelope are those of the Strapi
plugin "TikTok Auth Mobile", so an app written for it can switch backends.

## Flows

- **Native SDK (recommended):** the TikTok SDK gives the app an authorization `code` made
  with a PKCE `code_verifier`; the app posts both (and the SDK's `redirect_uri`) to
  `POST /connect`.
- **Browser:** the app opens `GET /authorize` in a browser tab; TikTok sends the user back
  to `GET /callback`, which redirects to the app's link with TikTok's `access_token` (or an
  `error`); the app posts that token to `POST /connect`.

Then: `GET /me` with `Authorization: Bearer <jwt>`, `POST /token/refresh` before the JWT
expires (each refresh token works once), `POST /logout` to spend the refresh token,
`POST /disconnect` to unlink the TikTok account.

## Requests and errors

Request bodies are JSON or form-encoded (`application/x-www-form-urlencoded`), at most
MAX_KIB KiB by default (`413` above). Every error has one shape, whatever its source:

```json
{"data": null, "error": {"status": 401, "name": "UnauthorizedError",
  "message": "human text", "details": {"code": "tiktok_token_invalid"}}}
```

`error.status` is the HTTP status; branch on `error.details.code`, a stable code listed under
each response. Validation errors add `details.errors` (field -> messages); TikTok's own error
code, when it differs, is in `details.tiktok_error`. Every endpoint is rate-limited per client
IP (`429`, with `Retry-After` in seconds) and answers `404` `plugin_disabled` while sign-in is
switched off on the server. A method not listed here gets `405` `method_not_allowed` with an
`Allow` header (after the JWT check on `me` and `disconnect`; `OPTIONS` on the JSON endpoints
answers DRF's description of the endpoint). Answers are never cached (`Cache-Control:
no-store`).
""".replace("MAX_KIB", str(DEFAULTS["MAX_REQUEST_BYTES"] // 1024))

TAGS: list[dict[str, str]] = [
    {
        "name": "sign-in",
        "description": "Exchange what TikTok gave the app for this server's JWT.",
    },
    {
        "name": "session",
        "description": "The signed-in user, and the JWT's refresh and logout.",
    },
    {
        "name": "browser",
        "description": "The browser flow: start at TikTok, come back to the app. These "
        "endpoints answer with redirects, not JSON, except when they cannot redirect.",
    },
    {
        "name": "tiktok",
        "description": "Called by TikTok's servers, not by apps.",
    },
]

SPECTACULAR_SETTINGS: dict[str, Any] = {
    "TITLE": "TikTok mobile sign-in API",
    "DESCRIPTION": DESCRIPTION,
    "VERSION": __version__,
    "TAGS": TAGS,
    "PREPROCESSING_HOOKS": ["tiktok_mobile_auth.api.openapi.view.plugin_endpoints"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",  # drf-spectacular's default
        "tiktok_mobile_auth.api.openapi.view.plugin_document",
    ],
    # Separate request and response components (ConnectRequest vs Connect...), so the
    # read-only response fields never appear in a request body.
    "COMPONENT_SPLIT_REQUEST": True,
    # The order of the URLconf: sign-in first, as a reader meets the endpoints.
    "SORT_OPERATIONS": False,
    "ENUM_GENERATE_CHOICE_DESCRIPTION": False,
    "ENUM_NAME_OVERRIDES": {
        "ErrorNameEnum": "tiktok_mobile_auth.api.openapi.error_responses.ERROR_NAMES"
    },
}
