"""The framework floor: the floor's work (one TikTok user-info call, a JWT pair) done as a
DRF view inside the benchmarked site, behind its middleware, under its server.

The floor (``bench/floor.py``) is the least any server could do for a sign-in; this is the
least a Django + DRF endpoint of this site could do: no configuration read, no throttle, no
database. The distance from the floor to here is the framework's; from here to ``connect``
it is the plugin's (configuration, throttle, account lookup, the two inserts).
Mounted at ``/bench/framework-floor`` by ``bench/urls.py``, in the benchmark only.
"""

from __future__ import annotations

from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.tokens import RefreshToken

from tiktok_mobile_auth.tiktok.client import _get_session

from .floor import FETCH_ERRORS, fetch_user, pseudo_user_id


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
            user = fetch_user(_get_session(), access_token)  # the plugin's pooled session
        except FETCH_ERRORS:
            return Response({"error": "tiktok"}, status=502)
        refresh = RefreshToken()  # SimpleJWT's claims, without a user row or database
        refresh["user_id"] = pseudo_user_id(user)
        return Response({"jwt": str(refresh.access_token), "refresh": str(refresh), "user": user})
