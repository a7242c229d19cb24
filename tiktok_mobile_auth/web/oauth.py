"""The browser-facing OAuth views: GET authorize (start) and GET callback (TikTok's return).

``authorize`` starts a login attempt (:mod:`.attempts`): it remembers the app's optional
``state`` (at most 512 characters) and a PKCE verifier, and redirects to TikTok's consent
page with a fresh random ``state`` of ours and the verifier's hex S256 challenge.

``callback`` accepts only a state that ``authorize`` issued, once, within 10 minutes; it
exchanges the code with the stored verifier and redirects to the app with the APP's state.
A missing, unknown, replayed or expired state ends in ``error=invalid_state`` and nothing is
exchanged. The attempt is bound to the browser that opened ``authorize`` (a cookie,
:mod:`.browser_binding`): the callback URL opened in another browser ends in
``error=browser_mismatch`` (the admin sign-in: a refusal page), nothing is exchanged and the
attempt stays good for its own browser. With ``ALLOW_APP_STATE`` (the Strapi plugin's apps
start the TikTok flow themselves), a state never issued here is taken as the app's own and
echoed back, unbound.

Both always end in a redirect to the app's link, success or failure, so the user is never
stuck on a JSON page inside a browser tab; only when there is no app link to go to (or the
request is refused before any work: 404 disabled, 405, 429 throttled) is the answer the JSON
error envelope.
"""

from __future__ import annotations

import logging
import re
import unicodedata

from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_variables

from tiktok_mobile_auth import error_codes as codes
from tiktok_mobile_auth import url_rules
from tiktok_mobile_auth.api.errors import answers_outages, error_response
from tiktok_mobile_auth.api.throttles import throttled_response
from tiktok_mobile_auth.conf import (
    BASIC_SCOPE,
    TikTokConfig,
    get_config,
    one_config_per_request,
    setting_label,
)
from tiktok_mobile_auth.exceptions import BrowserMismatch, InvalidState, NotConfigured
from tiktok_mobile_auth.signin import attempts, flows, tiktok_token_store
from tiktok_mobile_auth.tiktok import (
    TikTokBadResponse,
    TikTokError,
    TikTokOAuthError,
    TikTokUnavailable,
    TokenGrant,
    parse_scopes,
)
from tiktok_mobile_auth.web import admin_sign_in, browser_binding
from tiktok_mobile_auth.web.app_redirects import AppRedirect, add_query

logger = logging.getLogger(__name__)

# TikTok's own error codes are passed through to the app when they look like codes.
_ERROR_CODE = re.compile(r"[a-z][a-z0-9_]{0,63}")
_MAX_PARAM = 2048
MAX_APP_STATE = 512


def _param(request: HttpRequest, name: str) -> str:
    """A query parameter, decoded exactly once (by Django's parser), bounded in length."""
    return request.GET.get(name, "")[:_MAX_PARAM]


def _refused(request: HttpRequest, scope: str) -> HttpResponse | None:
    """The envelope answer when the request cannot be served at all, else None."""
    return _refused_early(request, scope) or _no_app_link(scope)


def _refused_early(request: HttpRequest, scope: str) -> HttpResponse | None:
    """Wrong method, plugin disabled, or throttled: the envelope answer, else None."""
    # GET only: a HEAD from a link scanner or prefetcher must not spend a code or a state.
    if request.method != "GET":
        response = error_response(
            codes.METHOD_NOT_ALLOWED,
            codes.message_of(codes.METHOD_NOT_ALLOWED).format(method=request.method),
        )
        response["Allow"] = "GET"
        return response
    config = get_config()
    if not config.enabled:
        return error_response(codes.PLUGIN_DISABLED)
    return throttled_response(request, scope)


def _no_app_link(scope: str) -> HttpResponse | None:
    """The envelope answer when there is no usable app link to redirect to, else None.

    A custom-scheme link (``myapp://``) is usable only when explicitly allowed: any app can
    claim such a scheme and would receive the TikTok token (system check E005 says so too).
    """
    config = get_config()
    if not config.redirect_app_url:
        problem = f"set {setting_label('REDIRECT_APP_URL')}"
    elif not url_rules.app_link_allowed(
        config.redirect_app_url, allow_custom_scheme=config.allow_custom_scheme
    ):
        problem = (
            f"the custom-scheme app link needs {setting_label('ALLOW_CUSTOM_SCHEME')}, "
            "or use a universal link / App Link"
        )
    else:
        return None
    logger.error("TikTok %s: the app link is not usable: %s.", scope, problem)
    return error_response(
        codes.SERVER_MISCONFIGURED, f"TikTok sign-in is not configured on this server: {problem}."
    )


def _to_app(config: TikTokConfig, state: str | None, code: str, description: str) -> HttpResponse:
    logger.info("TikTok sign-in failed: %s", code)
    params = {"error": code, "error_description": description, "state": state}
    return AppRedirect(add_query(config.redirect_app_url, params))


def _valid_app_state(state: str) -> bool:
    # Control characters have no business in a state (and NUL cannot be stored in PostgreSQL).
    return len(state) <= MAX_APP_STATE and not any(
        unicodedata.category(char) == "Cc" for char in state
    )


# csrf_exempt: the views only act on GET; without it CsrfViewMiddleware would answer a POST
# with its HTML 403 page before the view could give the 405 envelope.
@csrf_exempt
@transaction.non_atomic_requests  # the plugin decides its own transactions (sessions.py)
@never_cache
@answers_outages
@one_config_per_request
def authorize(request: HttpRequest) -> HttpResponse:
    refused = _refused(request, "authorize")
    if refused is not None:
        return refused
    config = get_config()
    app_state = request.GET.get("state") or None
    if app_state is not None and not _valid_app_state(app_state):
        description = f"state must be at most {MAX_APP_STATE} characters, without control ones."
        return _to_app(config, None, codes.INVALID_REQUEST, description)
    nonce = browser_binding.nonce_for(request, config)
    try:
        url = flows.start_authorization(
            app_state, config, browser_hash=browser_binding.digest(nonce)
        )
    except NotConfigured as err:
        logger.error("TikTok authorize: %s", err.message)
        return _to_app(config, app_state, codes.SERVER_MISCONFIGURED, err.message)
    logger.info("TikTok authorize: login attempt started, redirecting to TikTok.")
    response = HttpResponseRedirect(url)
    response["Referrer-Policy"] = "no-referrer"
    browser_binding.remember(response, request, nonce, config)
    return response


@csrf_exempt
@transaction.non_atomic_requests  # the plugin decides its own transactions (sessions.py)
@never_cache
@answers_outages
@one_config_per_request
@sensitive_variables("grant", "attempt", "query")
def callback(request: HttpRequest) -> HttpResponse:
    refused = _refused_early(request, "callback")
    if refused is not None:
        return refused
    config = get_config()
    attempt = _resume(request, config)
    if isinstance(attempt, HttpResponse):
        return attempt
    if attempt.purpose == admin_sign_in.PURPOSE:  # an editor signing in to the Wagtail admin
        return admin_sign_in.finish(request, attempt, config)
    refused = _no_app_link("callback") or _tiktok_refused(request, config, attempt.app_state)
    if refused is not None:
        return refused
    grant = _exchange(_param(request, "code"), config, attempt)
    if isinstance(grant, HttpResponse):
        return grant
    tiktok_token_store.stash_grant(grant, config)  # STORE_TOKENS: until connect names the account
    logger.info("TikTok callback: code exchanged, redirecting to the app.")
    query = {"access_token": grant.access_token, "state": attempt.app_state}
    return AppRedirect(add_query(config.redirect_app_url, query))


def _resume(request: HttpRequest, config: TikTokConfig) -> attempts.Attempt | HttpResponse:
    """The login attempt the callback's ``state`` names (spent now), or the refusal."""
    state = request.GET.get("state")
    try:
        return flows.resume_authorization(
            state[:_MAX_PARAM] if state is not None else None,
            config,
            browser_hash=browser_binding.presented_hash(request, config),
        )
    except BrowserMismatch as err:
        # Login CSRF: someone else's sign-in, opened in this browser. Not spent, not logged in.
        logger.warning("TikTok callback: refused, the sign-in was started in another browser.")
        if err.purpose == admin_sign_in.PURPOSE:
            return admin_sign_in.foreign_browser(request)
        return _no_app_link("callback") or _to_app(config, None, err.code, err.message)
    except InvalidState as err:
        logger.warning("TikTok callback: refused state (%s).", type(err).__name__)
        return _no_app_link("callback") or _to_app(config, None, err.code, err.message)


def _tiktok_refused(
    request: HttpRequest, config: TikTokConfig, app_state: str | None
) -> HttpResponse | None:
    """The app redirect when TikTok sent an error, no code or not the basic scope, else None."""
    tiktok_error = _param(request, "error")
    if tiktok_error:
        code = tiktok_error if _ERROR_CODE.fullmatch(tiktok_error) else codes.ACCESS_DENIED
        description = _param(request, "error_description") or codes.message_of(codes.ACCESS_DENIED)
        return _to_app(config, app_state, code, description)
    if not _param(request, "code"):
        return _to_app(config, app_state, codes.MISSING_CODE, codes.message_of(codes.MISSING_CODE))
    if BASIC_SCOPE not in parse_scopes(request.GET.get("scopes")):
        return _to_app(
            config, app_state, codes.MISSING_SCOPE, codes.message_of(codes.MISSING_SCOPE)
        )
    return None


@sensitive_variables("code", "attempt")
def _exchange(
    code: str, config: TikTokConfig, attempt: attempts.Attempt
) -> TokenGrant | HttpResponse:
    """TikTok's grant for ``code`` (with the attempt's PKCE verifier), or the app redirect
    that says why there is none."""
    app_state = attempt.app_state
    try:
        return flows.exchange_callback_code(code, config, code_verifier=attempt.code_verifier)
    except NotConfigured as err:
        logger.error("TikTok callback: %s", err.message)
        return _to_app(config, app_state, codes.SERVER_MISCONFIGURED, err.message)
    except TikTokOAuthError as err:
        logger.warning("TikTok refused the code: %s (log_id=%s)", err.code, err.log_id)
        return _to_app(config, app_state, codes.INVALID_GRANT, err.description)
    except (TikTokUnavailable, TikTokBadResponse) as err:
        logger.warning("TikTok token exchange failed: %s (log_id=%s)", err.code, err.log_id)
        description = codes.message_of(codes.TIKTOK_UNAVAILABLE)
        return _to_app(config, app_state, codes.TIKTOK_UNAVAILABLE, description)
    except TikTokError as err:  # any other TikTok answer we cannot use
        logger.warning("TikTok token exchange failed: %s (log_id=%s)", err.code, err.log_id)
        description = "TikTok sign-in failed. Please try again."
        return _to_app(config, app_state, codes.TIKTOK_UNAVAILABLE, description)
