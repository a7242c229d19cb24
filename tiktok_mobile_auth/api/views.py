"""The REST endpoints used by mobile apps. Thin: parse, call a flow, respond."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import FormParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tiktok_mobile_auth.api.authentication import PluginJWTAuthentication
from tiktok_mobile_auth.api.errors import PluginDisabled, answers_outages, exception_handler
from tiktok_mobile_auth.api.parsers import JSONParser, check_body_size
from tiktok_mobile_auth.api.serializers import ConnectSerializer, RefreshSerializer, user_payload
from tiktok_mobile_auth.api.throttles import PluginRateThrottle
from tiktok_mobile_auth.conf import get_config, one_config_per_request
from tiktok_mobile_auth.exceptions import SignInError
from tiktok_mobile_auth.signin import accounts, flows, jwt_tokens, sessions

_SENSITIVE = method_decorator(
    sensitive_post_parameters("access_token", "refresh", "code", "code_verifier"), name="dispatch"
)


class JSONOnly(DefaultContentNegotiation):
    """Answer JSON whatever the Accept header says (a browser gets JSON, not a 406)."""

    def select_renderer(self, request: Request, renderers: list, format_suffix: Any = None):
        return renderers[0], renderers[0].media_type


# Never inside a host's ATOMIC_REQUESTS transaction: the plugin decides its own (a sign-in
# commits before the signed_in signal is sent; a throttle count must not be rolled back).
@method_decorator(transaction.non_atomic_requests, name="dispatch")
@method_decorator(never_cache, name="dispatch")
@method_decorator(answers_outages, name="dispatch")  # the configuration read below included
@method_decorator(one_config_per_request, name="dispatch")
class PluginAPIView(APIView):
    """Base of every plugin endpoint: the envelope for errors, 404 when disabled, 413 for
    a body over ``MAX_REQUEST_BYTES``, and the per-IP throttle of ``throttle_scope``."""

    parser_classes = [JSONParser, FormParser]
    # JSON only, whatever the host project's DRF defaults (no browsable API pages).
    renderer_classes = [JSONRenderer]
    content_negotiation_class = JSONOnly
    authentication_classes: list[type] = []
    permission_classes = [AllowAny]
    throttle_scope = ""  # each endpoint names its scope in THROTTLE_RATES

    def get_exception_handler(self) -> Any:
        return exception_handler

    def get_throttles(self) -> list[PluginRateThrottle]:
        return [PluginRateThrottle(self.throttle_scope)]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        config = get_config()
        if not config.enabled:
            raise PluginDisabled()
        check_body_size(request, config)  # before anything reads or parses the body
        # Throttle first: DRF's own order (authentication, permissions, then throttles)
        # would let a flood of missing or forged JWTs through uncounted. The throttle keys
        # on the client IP alone, so it needs nothing from authentication.
        APIView.check_throttles(self, request)
        super().initial(request, *args, **kwargs)

    def check_throttles(self, request: Request) -> None:
        """Done at the start of :meth:`initial`; DRF's later call must not count twice."""

    def validated(self, serializer_class: type, request: Request) -> dict[str, Any]:
        serializer = serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


@_SENSITIVE
class ConnectView(PluginAPIView):
    """POST {"access_token"} or {"code", "code_verifier", "redirect_uri"}
    -> {"jwt", "refresh", "user"}."""

    throttle_scope = "connect"

    def post(self, request: Request) -> Response:
        data = self.validated(ConnectSerializer, request)
        config = get_config()
        flow = "code" if "code" in data else "access_token"
        try:
            if flow == "code":
                signed_in = flows.connect_with_code(
                    data["code"], data["code_verifier"], data.get("redirect_uri"), config
                )
            else:
                signed_in = flows.connect_with_access_token(data["access_token"], config)
            pair = sessions.open_app_session(signed_in, flow=flow, request=request)
        except SignInError as err:  # a known TikTok identity refused: keep a record of it
            sessions.record_refusal(err.code, err.union_id, flow=flow, request=request)
            raise
        user = user_payload(signed_in.user, signed_in.account, signed_in.role)
        return Response({**pair, "user": user})


class MeView(PluginAPIView):
    """GET with Authorization: Bearer <jwt> -> the user object."""

    throttle_scope = "me"
    # The user, its TikTok account and its role in one query: nothing more is read here.
    authentication_classes = [PluginJWTAuthentication]
    permission_classes = [IsAuthenticated]

    def get(self, request: Request) -> Response:
        user = request.user
        account = getattr(user, "tiktok_account", None)  # None: not linked (an admin)
        return Response(user_payload(user, account, accounts.role_of(user, get_config())))


@_SENSITIVE
class RefreshView(PluginAPIView):
    """POST {"refresh"} -> a new {"jwt", "refresh"}; the old refresh token is spent."""

    throttle_scope = "refresh"

    def post(self, request: Request) -> Response:
        data = self.validated(RefreshSerializer, request)
        return Response(jwt_tokens.rotate(data["refresh"]))


@_SENSITIVE
class LogoutView(PluginAPIView):
    """POST {"refresh"} -> 204; that refresh token no longer works."""

    throttle_scope = "logout"

    def post(self, request: Request) -> Response:
        data = self.validated(RefreshSerializer, request)
        jwt_tokens.revoke(data["refresh"])
        return Response(status=204)
