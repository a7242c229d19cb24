"""The framework floor: the floor's work (one TikTok user-info call, a JWT pair) done as a
DRF view inside the benchmarked site, behind its middleware, under its server.

The floor (``bench/floor.py``) is the least any server could do for a sign-in; this is the
least a Django + DRF endpoint of this site could do: no configuration read, no throttle, no
database. The distance from the floor to here is the framework's; from here to ``connect``
it is the plugin's (configuration, throttle, account lookup, the two inserts).
Mounted at ``/bench/framework-floor`` by ``bench/urls.py``, in the benchmark only.
"""

from __future__ import annotations

import os
import zlib

import requests
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.tokens import RefreshToken

from tiktok_mobile_auth.tiktok import USER_INFO_PATH, _get_session

USER_INFO_URL = os.environ.get("BENCH_TIKTOK_URL", "http://127.0.0.1:8765") + USER_INFO_PATH
FIELDS = "open_id,union_id,display_name,avatar_url"
TIMEOUT = (3.05, 10.0)


class FrameworkFloorView(APIView):
    """POST {"access_token"} -> {"jwt", "refresh", "user"}; a 400 or 502 otherwise."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]
    renderer_classes = [JSONRenderer]

    def post(self, request: Request) -> Response:
        access_token = request.data.get("access_token")
        if not isinstance(access_token, str):
            return Response({"error": "access_token required"}, status=400)
        try:
            response = _get_session().get(  # the plugin's pooled session
                USER_INFO_URL,
                params={"fields": FIELDS},
                headers={"Authorization": f"Bearer {access_token}"},
                timeout=TIMEOUT,
            )
            user = response.json()["data"]["user"]
        except (requests.RequestException, ValueError, KeyError, TypeError):
            return Response({"error": "tiktok"}, status=502)
        refresh = RefreshToken()  # SimpleJWT's claims, without a user row or database
        refresh["user_id"] = str(zlib.crc32(str(user.get("union_id")).encode()) % 100_000)
        return Response({"jwt": str(refresh.access_token), "refresh": str(refresh), "user": user})
