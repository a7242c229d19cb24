"""Editors sign in to the Wagtail admin with TikTok.

An editor created by TikTok sign-in has no password. The admin login page gets a "Sign in
with TikTok" button (templates/wagtailadmin/login.html) pointing at :func:`start`, which
starts a login attempt of purpose "admin" (a server-issued single-use state and a hex-S256
PKCE pair, as for apps: :mod:`.attempts`) and sends the browser to TikTok's consent page.
TikTok returns to the one registered callback; the callback hands attempts of purpose
"admin" to :func:`finish`, which exchanges the code and logs the user into a Django session
only if their role gives admin access. Members get a clear refusal page. ``next`` is
honoured only for a same-site path.

The attempt is bound to the browser that started it (:mod:`.browser_binding`): a callback
URL opened in another browser (an attacker's sign-in sent to a victim, "login CSRF") gets
:func:`foreign_browser`'s refusal page, no session, and nothing is exchanged.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import login
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_variables

from tiktok_mobile_auth.api.errors import answers_outages
from tiktok_mobile_auth.api.throttles import throttled_response
from tiktok_mobile_auth.conf import BASIC_SCOPE, TikTokConfig, get_config, one_config_per_request
from tiktok_mobile_auth.exceptions import SignInError
from tiktok_mobile_auth.signin import flows, sessions
from tiktok_mobile_auth.signin.attempts import Attempt
from tiktok_mobile_auth.tiktok import TikTokError, parse_scopes
from tiktok_mobile_auth.web import browser_binding

logger = logging.getLogger(__name__)

PURPOSE = "admin"
ACCESS_PERMISSION = "wagtailadmin.access_admin"


def safe_next(request: HttpRequest, candidate: str | None) -> str:
    """``candidate`` when it is a path on this site, else the admin dashboard."""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("wagtailadmin_home")


def _page(request: HttpRequest, status: int, title: str, message: str) -> HttpResponse:
    context = {"title": title, "message": message, "login_url": reverse("wagtailadmin_login")}
    response = TemplateResponse(request, "tiktok_mobile_auth/admin_login_refused.html", context)
    response.status_code = status
    return response


@transaction.non_atomic_requests  # the plugin decides its own transactions (sessions.py)
@never_cache
@answers_outages
@one_config_per_request
def start(request: HttpRequest) -> HttpResponse:
    """GET: begin the admin sign-in at TikTok."""
    if request.method != "GET":
        return HttpResponse(status=405, headers={"Allow": "GET"})
    config = get_config()
    if not config.enabled:
        return _page(request, 404, "TikTok sign-in is disabled", "Sign in with your password.")
    throttled = throttled_response(request, "authorize")
    if throttled is not None:
        return throttled
    next_url = safe_next(request, request.GET.get("next"))
    nonce = browser_binding.nonce_for(request, config)
    try:
        url = flows.start_authorization(
            next_url, config, purpose=PURPOSE, browser_hash=browser_binding.digest(nonce)
        )
    except SignInError as err:
        logger.error("TikTok admin sign-in: %s", err.message)
        return _page(request, 503, "TikTok sign-in is not available", err.message)
    response = HttpResponseRedirect(url)
    response["Referrer-Policy"] = "no-referrer"
    browser_binding.remember(response, request, nonce, config)
    return response


def foreign_browser(request: HttpRequest) -> HttpResponse:
    """The refusal page for an admin sign-in finished in another browser than its own."""
    return _page(
        request,
        403,
        "Sign-in started in another browser",
        "This TikTok sign-in was not started in this browser, so you have not been signed "
        "in. If you were signing in, start again from the sign-in page.",
    )


@sensitive_variables("code", "grant", "attempt")
def finish(request: HttpRequest, attempt: Attempt, config: TikTokConfig) -> HttpResponse:
    """Complete an admin sign-in whose state the callback has just spent."""
    if request.GET.get("error"):
        return _page(request, 400, "Sign-in cancelled", "TikTok sign-in was cancelled.")
    code = request.GET.get("code", "")
    if not code or BASIC_SCOPE not in parse_scopes(request.GET.get("scopes")):
        return _page(request, 400, "Sign-in failed", "TikTok did not grant the sign-in.")
    try:
        grant = flows.exchange_callback_code(code, config, code_verifier=attempt.code_verifier)
        signed_in = flows.sign_in_with_grant(grant, config)
    except SignInError as err:
        _refused(request, err.code, err.union_id)
        return _page(request, 403, "Sign-in refused", err.message)
    except TikTokError as err:
        logger.warning("TikTok admin sign-in failed: %s (log_id=%s)", err.code, err.log_id)
        return _page(request, 502, "Sign-in failed", "TikTok sign-in failed. Please try again.")
    user = signed_in.user
    if not user.has_perm(ACCESS_PERMISSION):
        _refused(request, "admin_access_denied", signed_in.account.union_id)
        return _page(
            request,
            403,
            "No access to the CMS admin",
            "Your TikTok account does not have access to the CMS admin. "
            "Ask an administrator to make you an editor.",
        )
    try:
        sessions.record_admin_sign_in(signed_in, request)
    except SignInError as err:  # blocked or unlinked meanwhile (sessions.py)
        _refused(request, err.code, err.union_id)
        return _page(request, 403, "Sign-in refused", err.message)
    login(request, user, backend=settings.AUTHENTICATION_BACKENDS[0])
    logger.info("TikTok admin sign-in: user %s logged in.", user.pk)
    return HttpResponseRedirect(safe_next(request, attempt.app_state))


def _refused(request: HttpRequest, code: str, union_id: str | None) -> None:
    sessions.record_refusal(code, union_id, flow=PURPOSE, request=request)
