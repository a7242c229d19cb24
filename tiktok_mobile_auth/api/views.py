"""The REST endpoints used by mobile apps. Thin: parse, call a flow, respond."""

from __future__ import annotations

from typing import Any

from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from rest_framework.parsers import FormParser, JSONParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.authentication import JWTAuthentication

from .. import accounts, flows, tokens
from ..conf import get_config
from ..models import TikTokAccount
from .errors import PluginDisabled, exception_handler
from .serializers import ConnectSerializer, RefreshSerializer, user_payload

_SENSITIVE = method_decorator(
    sensitive_post_parameters("access_token", "refresh", "code", "code_verifier"), name="dispatch"
)


@method_decorator(never_cache, name="dispatch")
class PluginAPIView(APIView):
    """Base of every plugin endpoint: the envelope for errors, 404 when disabled."""

    parser_classes = [JSONParser, FormParser]
    authentication_classes: list[type] = []
    permission_classes = [AllowAny]

    def get_exception_handler(self) -> Any:
        return exception_handler

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        if not get_config().enabled:
            raise PluginDisabled()
        super().initial(request, *args, **kwargs)

    def validated(self, serializer_class: type, request: Request) -> dict[str, Any]:
        serializer = serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


@_SENSITIVE
class ConnectView(PluginAPIView):
    """POST {"access_token"} or {"code", "code_verifier", "redirect_uri"}
    -> {"jwt", "refresh", "user"}."""

    def post(self, request: Request) -> Response:
        data = self.validated(ConnectSerializer, request)
        config = get_config()
        if "code" in data:
            connected = flows.connect_with_code(
                data["code"], data["code_verifier"], data.get("redirect_uri"), config
            )
        else:
            connected = flows.connect_with_access_token(data["access_token"], config)
        signed_in = connected.sign_in
        user = user_payload(signed_in.user, signed_in.account, signed_in.role)
        return Response({**connected.tokens, "user": user})


class MeView(PluginAPIView):
    """GET with Authorization: Bearer <jwt> -> the user object."""

    authentication_classes = [JWTAuthentication]
    permission_classes = [IsAuthenticated]

    def get(self, request: Request) -> Response:
        user = request.user
        account = TikTokAccount.objects.filter(user=user).first()
        return Response(user_payload(user, account, accounts.role_of(user, get_config())))


@_SENSITIVE
class RefreshView(PluginAPIView):
    """POST {"refresh"} -> a new {"jwt", "refresh"}; the old refresh token is spent."""

    def post(self, request: Request) -> Response:
        data = self.validated(RefreshSerializer, request)
        return Response(tokens.rotate(data["refresh"]))


@_SENSITIVE
class LogoutView(PluginAPIView):
    """POST {"refresh"} -> 204; that refresh token no longer works."""

    def post(self, request: Request) -> Response:
        data = self.validated(RefreshSerializer, request)
        tokens.revoke(data["refresh"])
        return Response(status=204)
