"""The browser-facing OAuth callback that TikTok redirects to.

It always ends in a redirect to the app's link, success or failure, so the user is never
stuck on a JSON page inside a browser tab; only when there is no app link to go to does it
answer with the JSON error envelope.
"""

from __future__ import annotations

import logging
import re

from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_variables

from . import flows
from .api.errors import json_error
from .conf import BASIC_SCOPE, get_config, setting_label
from .exceptions import NotConfigured
from .redirects import AppRedirect, add_query
from .tiktok import (
    TikTokBadResponse,
    TikTokError,
    TikTokOAuthError,
    TikTokUnavailable,
    parse_scopes,
)

logger = logging.getLogger(__name__)

# TikTok's own error codes are passed through to the app when they look like codes.
_ERROR_CODE = re.compile(r"[a-z][a-z0-9_]{0,63}")
_MAX_PARAM = 2048


def _param(request: HttpRequest, name: str) -> str:
    """A query parameter, decoded exactly once (by Django's parser), bounded in length."""
    return request.GET.get(name, "")[:_MAX_PARAM]


# csrf_exempt: the view only acts on GET; without it CsrfViewMiddleware would answer a POST
# with its HTML 403 page before the view could give the 405 envelope.
@csrf_exempt
@never_cache
@sensitive_variables("code", "grant")
def callback(request: HttpRequest) -> HttpResponse:
    # GET only: a HEAD from a link scanner or prefetcher must not spend the single-use code.
    if request.method != "GET":
        response = json_error(405, f'Method "{request.method}" not allowed.', "method_not_allowed")
        response["Allow"] = "GET"
        return response
    config = get_config()
    if not config.enabled:
        return json_error(404, "TikTok sign-in is disabled on this server.", "plugin_disabled")
    if not config.redirect_app_url:
        logger.error(
            "TikTok callback: no app link configured; set %s.", setting_label("REDIRECT_APP_URL")
        )
        return json_error(
            503,
            "TikTok sign-in is not configured on this server: set "
            f"{setting_label('REDIRECT_APP_URL')}.",
            "server_misconfigured",
        )

    state = request.GET.get("state")
    state = state[:_MAX_PARAM] if state is not None else None

    def fail(code: str, description: str) -> HttpResponse:
        logger.info("TikTok callback failed: %s", code)
        params = {"error": code, "error_description": description, "state": state}
        return AppRedirect(add_query(config.redirect_app_url, params))

    tiktok_error = _param(request, "error")
    if tiktok_error:
        code = tiktok_error if _ERROR_CODE.fullmatch(tiktok_error) else "access_denied"
        description = _param(request, "error_description") or "TikTok authorization failed."
        return fail(code, description)
    code = _param(request, "code")
    if not code:
        return fail("missing_code", "TikTok did not send an authorization code.")
    if BASIC_SCOPE not in parse_scopes(request.GET.get("scopes")):
        return fail("missing_scope", f"The {BASIC_SCOPE} permission was not granted.")

    try:
        grant = flows.exchange_callback_code(code, config)
    except NotConfigured as err:
        logger.error("TikTok callback: %s", err.message)
        return fail("server_misconfigured", err.message)
    except TikTokOAuthError as err:
        logger.warning("TikTok refused the code: %s (log_id=%s)", err.code, err.log_id)
        return fail("invalid_grant", err.description)
    except (TikTokUnavailable, TikTokBadResponse) as err:
        logger.warning("TikTok token exchange failed: %s (log_id=%s)", err.code, err.log_id)
        return fail("tiktok_unavailable", "TikTok could not be reached. Please try again.")
    except TikTokError as err:  # any other TikTok answer we cannot use
        logger.warning("TikTok token exchange failed: %s (log_id=%s)", err.code, err.log_id)
        return fail("tiktok_unavailable", "TikTok sign-in failed. Please try again.")

    logger.info("TikTok callback: code exchanged, redirecting to the app.")
    return AppRedirect(
        add_query(config.redirect_app_url, {"access_token": grant.access_token, "state": state})
    )
