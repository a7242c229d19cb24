"""The end of a TikTok grant: the user disconnects, or TikTok says it was removed.

- ``POST disconnect`` (``Authorization: Bearer <jwt>``, no body) → 204: revokes the stored
  TikTok grant (best effort), unlinks the TikTok account and blacklists the user's refresh
  tokens (:mod:`tiktok_mobile_auth.signin.disconnect`). 404 ``not_linked`` without a linked
  account; 401 / 403 as ``me``. Throttle scope ``disconnect``.
- ``POST webhook`` (TikTok's servers, no JWT; signed with ``TikTok-Signature``) → 200
  ``{"received": true, "result": "applied" | "duplicate" | "ignored"}`` for every correctly
  signed event of the documented shape; 400 ``invalid_request`` for a signed body that is
  not; 401 ``webhook_signature_invalid`` / ``webhook_signature_expired`` otherwise
  (:mod:`tiktok_mobile_auth.signin.webhooks`). The raw body is verified, so it is never parsed by
  DRF, whatever its content type; larger than ``MAX_REQUEST_BYTES``: 413. Throttle scope
  ``webhook``.
"""

from __future__ import annotations

from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from tiktok_mobile_auth.api.authentication import PluginJWTAuthentication
from tiktok_mobile_auth.api.views import PluginAPIView
from tiktok_mobile_auth.conf import get_config
from tiktok_mobile_auth.signin import disconnect, webhooks


class DisconnectView(PluginAPIView):
    """POST with Authorization: Bearer <jwt> -> 204; the TikTok account is unlinked."""

    throttle_scope = "disconnect"
    authentication_classes = [PluginJWTAuthentication]
    permission_classes = [IsAuthenticated]

    def post(self, request: Request) -> Response:
        disconnect.disconnect(request.user, get_config())
        return Response(status=204)


class WebhookView(PluginAPIView):
    """POST from TikTok, signed -> 200 {"received": true, "result": ...}."""

    throttle_scope = "webhook"
    parser_classes: list[type] = []  # the raw bytes are what is signed: never parsed by DRF

    def post(self, request: Request) -> Response:
        header = request.headers.get(webhooks.SIGNATURE_HEADER)
        result = webhooks.handle(request.body, header, get_config())
        return Response({"received": True, "result": result})
