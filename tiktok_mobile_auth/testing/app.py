"""The fake TikTok as a WSGI app: TikTok's endpoints, injected faults and ``/_fake/`` controls.

``make_app()`` builds an app around a :class:`~.state.State`; ``application`` is one built
at import time, so ``gunicorn tiktok_mobile_auth.testing.app:application`` works. Run
gunicorn with ONE worker (``--workers 1 --threads N``): each worker process would have its
own state, and control calls would land on a random one.
"""

from __future__ import annotations

import errno
import json
import threading
import time
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from tiktok_mobile_auth.testing import pages, webhooks
from tiktok_mobile_auth.testing.model import (
    ACCESS_TOKEN_INVALID,
    ApiError,
    Fault,
    OAuthError,
    new_log_id,
)
from tiktok_mobile_auth.testing.state import State
from tiktok_mobile_auth.testing.web import (
    FORM_TYPE,
    Request,
    Response,
    api_error,
    is_form,
    json_response,
    oauth_error,
    parse_request,
)

StartResponse = Callable[..., Any]
HUGE_SIZE = 5 * 1024 * 1024
# What an "error200" fault answers: TikTok reports some refusals in an HTTP 200 body.
ERROR200 = {
    "token": ("invalid_grant", "Authorization code is expired."),
    "revoke": ("invalid_request", "Access token is invalid or expired."),
    "userinfo": ("access_token_invalid", ACCESS_TOKEN_INVALID),
}
WRONG_SHAPE: dict[str, Any] = {"token": ["nope"], "revoke": ["nope"], "userinfo": {"data": "nope"}}


# -- TikTok's endpoints ------------------------------------------------------------------


def authorize(state: State, req: Request) -> Response:
    """``/v2/auth/authorize/``: GET shows consent (or an error page), POST redirects back."""
    params = req.query if req.method == "GET" else req.form
    users = state.users()
    problems = pages.authorize_problems(params, state.is_registered(params.get("client_key", "")))
    if req.method == "POST":
        action = params.get("action")
        if action not in ("authorize", "cancel"):
            problems.append("action")
        if action == "authorize" and params.get("open_id") not in {u["open_id"] for u in users}:
            problems.append("open_id")
    if problems:
        return Response(400, pages.error_page(problems).encode(), "text/html; charset=utf-8")
    if req.method == "GET":
        page = pages.consent_page(req.path, params, users)
        return Response(200, page.encode(), "text/html; charset=utf-8")
    if params["action"] == "cancel":
        reply = [("error", "access_denied"), ("error_description", "User cancelled authorization")]
    else:
        scopes = pages.granted_scopes(params)
        code = state.mint_code(
            params["open_id"],
            ",".join(scopes),
            redirect_uri=params["redirect_uri"],
            code_challenge=params.get("code_challenge") or None,
            client_key=params["client_key"],
        )
        reply = [("code", code), ("scopes", ",".join(scopes))]
    if params.get("state"):
        reply.append(("state", params["state"]))
    location = pages.add_query(params["redirect_uri"], reply)
    return Response(302, b"", "text/plain", [("Location", location)])


def token(state: State, req: Request) -> Response:
    """``POST /v2/oauth/token/``: the authorization-code and refresh-token grants."""
    if not is_form(req.content_type):
        return oauth_error(415, "invalid_request", f"Content-Type must be {FORM_TYPE}.")
    grant_type = req.form.get("grant_type")
    try:
        if grant_type == "authorization_code":
            return json_response(200, state.exchange_code(req.form))
        if grant_type == "refresh_token":
            return json_response(200, state.refresh(req.form))
    except OAuthError as err:
        return oauth_error(err.status, err.error, err.description)
    if not grant_type:
        return oauth_error(400, "invalid_request", "The request parameters are malformed.")
    return oauth_error(400, "unsupported_grant_type", "Grant type is not supported.")


def revoke(state: State, req: Request) -> Response:
    """``POST /v2/oauth/revoke/``: drop the user's tokens for this client."""
    if not is_form(req.content_type):
        return oauth_error(415, "invalid_request", f"Content-Type must be {FORM_TYPE}.")
    try:
        state.revoke(req.form)
    except OAuthError as err:
        return oauth_error(err.status, err.error, err.description)
    return json_response(200, {})


def user_info(state: State, req: Request, drop_union_id: bool = False) -> Response:
    """``GET /v2/user/info/?fields=...`` with ``Authorization: Bearer <token>``."""
    scheme, _, access_token = req.headers.get("Authorization", "").partition(" ")
    try:
        if scheme.lower() != "bearer":
            raise ApiError(401, "access_token_invalid", ACCESS_TOKEN_INVALID)
        user = state.user_info(access_token.strip(), req.query.get("fields"))
    except ApiError as err:
        return api_error(err.status, err.code, err.message)
    if drop_union_id:
        user.pop("union_id", None)
    ok = {"code": "ok", "message": "", "log_id": new_log_id()}
    return json_response(200, {"data": {"user": user}, "error": ok})


def fault_response(fault: Fault) -> Response | None:
    """The canned reply for ``fault``, or None when the request then proceeds normally."""
    kind, extra, endpoint = fault.kind, fault.extra, fault.endpoint
    error_reply = api_error if endpoint == "userinfo" else oauth_error
    if kind == "timeout":
        time.sleep(float(extra.get("seconds", 5)))  # the client should have given up by now
        return None
    if kind == "together":
        # Held until every request of the fault has arrived: they succeed only if the
        # client had them all in flight at once (else 503 when ``seconds`` run out).
        try:
            fault.barrier.wait()  # type: ignore[union-attr]
        except threading.BrokenBarrierError:
            return Response(503, b"not every request arrived in time", "text/plain")
        return None
    if kind == "close":
        # wsgiref and gunicorn both treat EPIPE as "client went away": they write nothing
        # and close the socket, so the client sees the connection drop with no response.
        raise BrokenPipeError(errno.EPIPE, "fake TikTok fault: closing without a response")
    if kind == "http500":
        code = "internal_error" if endpoint == "userinfo" else "server_error"
        return error_reply(500, code, "Something went wrong. Please try again later.")
    if kind == "http503":
        return Response(503, b"Service Unavailable", "text/plain")
    if kind == "http429":
        reply = error_reply(429, "rate_limit_exceeded", "Rate limit exceeded.")
        reply.headers.append(("Retry-After", str(extra.get("retry_after", 1))))
        return reply
    if kind == "error200":
        return error_reply(200, *ERROR200[endpoint])
    if kind == "nonjson":
        return Response(200, b"<html>oops</html>", "text/html")
    if kind == "wrong_shape":
        return json_response(200, extra.get("body", WRONG_SHAPE[endpoint]))
    if kind == "huge":
        return json_response(200, {"data": {"padding": "x" * int(extra.get("size", HUGE_SIZE))}})
    return None  # no_union_id: answered normally, then edited


# -- the /_fake/ control endpoints ----------------------------------------------------------


def _reset(state: State, body: dict[str, Any]) -> dict[str, Any]:
    state.reset()
    return {"ok": True}


def _configure(state: State, body: dict[str, Any]) -> dict[str, Any]:
    state.configure(**body)
    return {"ok": True}


def _set_app(state: State, body: dict[str, Any]) -> dict[str, Any]:
    state.set_app(str(body.get("client_key") or ""), str(body.get("client_secret") or ""))
    return {"client_key": body["client_key"]}


def _add_fault(state: State, body: dict[str, Any]) -> dict[str, Any]:
    state.add_fault(**body)
    return {"ok": True}


CONTROL_ACTIONS: dict[str, Callable[[State, dict[str, Any]], Any]] = {
    "reset": _reset,
    "config": _configure,
    "users": lambda state, body: state.put_user(body),
    "apps": _set_app,
    "codes": lambda state, body: {"code": state.mint_code(**body)},
    "tokens": lambda state, body: state.mint_token(**body),
    "faults": _add_fault,
    "webhooks": webhooks.send,
}


def control(state: State, req: Request, name: str) -> Response:
    """Answer ``/_fake/<name>``: JSON in, JSON out; bad input is a 400 ``{"error"}``."""
    if name == "requests" and req.method == "GET":
        return json_response(200, {"requests": state.requests(req.query.get("endpoint"))})
    action = CONTROL_ACTIONS.get(name)
    if action is None:
        return json_response(404, {"error": f"no control endpoint {name!r}"})
    if req.method != "POST":
        return json_response(405, {"error": "use POST"}, [("Allow", "POST")])
    try:
        body = json.loads(req.body or b"{}")
        if not isinstance(body, dict):
            raise ValueError("the body must be a JSON object")
        return json_response(200, action(state, body))
    except (ValueError, TypeError, KeyError) as err:  # JSON errors are ValueErrors too
        return json_response(400, {"error": str(err)})


# -- the app ---------------------------------------------------------------------------------

ENDPOINTS = {
    "/v2/auth/authorize": ("authorize", ("GET", "POST")),
    "/v2/oauth/token": ("token", ("POST",)),
    "/v2/user/info": ("userinfo", ("GET",)),
    "/v2/oauth/revoke": ("revoke", ("POST",)),
}


class FakeTikTokApp:
    """The WSGI callable; ``state`` is public so in-process tests can reach it."""

    def __init__(self, state: State, latency_ms: float = 0) -> None:
        self.state = state
        self.latency_ms = latency_ms

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        response = self.dispatch(parse_request(environ))
        status = f"{response.status} {HTTPStatus(response.status).phrase}"
        headers = [
            ("Content-Type", response.content_type),
            ("Content-Length", str(len(response.body))),
            *response.headers,
        ]
        start_response(status, headers)
        return [response.body]

    def dispatch(self, req: Request) -> Response:
        """Route one request; control endpoints skip the log, the latency and the faults."""
        if req.path.startswith("/_fake/"):
            return control(self.state, req, req.path[len("/_fake/") :].strip("/"))
        endpoint, methods = ENDPOINTS.get(req.path.rstrip("/"), (None, ()))
        if endpoint is None:
            return json_response(404, {"error": "not_found", "error_description": req.path})
        self.state.record(
            {
                "endpoint": endpoint,
                "method": req.method,
                "path": req.path,
                "query": req.query,
                "form": req.form,
                "headers": req.headers,
            }
        )
        if self.latency_ms:
            time.sleep(self.latency_ms / 1000)
        if req.method not in methods:
            allow = [("Allow", ", ".join(methods))]
            return json_response(405, {"error": "method_not_allowed"}, allow)
        return self.answer(endpoint, req)

    def answer(self, endpoint: str, req: Request) -> Response:
        """Answer a TikTok endpoint, first applying any pending fault for it."""
        if endpoint == "authorize":
            return authorize(self.state, req)
        fault = self.state.take_fault(endpoint)
        canned = fault_response(fault) if fault else None
        if canned is not None:
            return canned
        if endpoint == "userinfo":
            drop_union_id = fault is not None and fault.kind == "no_union_id"
            return user_info(self.state, req, drop_union_id=drop_union_id)
        return token(self.state, req) if endpoint == "token" else revoke(self.state, req)


def make_app(state: State | None = None, latency_ms: float = 0) -> FakeTikTokApp:
    """Build the fake TikTok WSGI app around ``state`` (a fresh default one when None).

    ``latency_ms`` delays every non-control request, to imitate a distant TikTok.
    """
    return FakeTikTokApp(state if state is not None else State(), latency_ms)


application = make_app()
