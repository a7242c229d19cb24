"""The plugin's OpenAPI 3 document (drf-spectacular), served at ``GET schema/``.

- :func:`plugin_endpoints`, a preprocessing hook, keeps only the plugin's API endpoints
  (without Wagtail's admin API, which does not validate) and adds the two browser views,
  which are plain Django views that drf-spectacular cannot see.
- The view extensions below attach each operation (:mod:`.operations`) to the real
  views without touching them; request fields come from the real serializers
  (:mod:`.components`).
- :class:`PluginSchemaView` generates with the plugin's own settings (:mod:`.settings`)
  whatever the host's ``SPECTACULAR_SETTINGS``, once per process, as YAML or JSON by
  ``Accept`` or ``?format=json|yaml``.

drf-spectacular is a dependency of the plugin (``pyproject.toml``): ``urls.py`` imports this.
"""

from __future__ import annotations

import re
import threading
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.decorators import method_decorator
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from drf_spectacular.extensions import OpenApiSerializerFieldExtension, OpenApiViewExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.settings import patched_settings
from drf_spectacular.views import SpectacularAPIView
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tiktok_mobile_auth.api.errors import answers_outages
from tiktok_mobile_auth.api.openapi.operations import (
    AUTHORIZE,
    CALLBACK,
    CONNECT,
    DISCONNECT,
    LOGOUT,
    ME,
    REFRESH,
    WEBHOOK,
)
from tiktok_mobile_auth.api.openapi.settings import SPECTACULAR_SETTINGS
from tiktok_mobile_auth.api.serializers import _TOKEN_CHARS

# ---- the operations, attached to the views --------------------------------------------------


class _DocumentedView(OpenApiViewExtension):
    """Documents ``target_class``'s ``method`` with ``docs`` (an :func:`extend_schema`)."""

    method = "post"
    docs: Any = None

    def view_replacement(self) -> type[APIView]:
        view = type(self.target_class.__name__, (self.target_class,), {})
        self.docs(_own_method(view, self.method))
        return view


def _own_method(view: type[APIView], name: str) -> Any:
    """A copy of ``view``'s inherited method ``name`` on ``view`` itself, to be documented
    without touching the real view."""
    inherited = getattr(view, name)

    def method(self: APIView, request: Request, *args: Any, **kwargs: Any) -> Response:
        return inherited(self, request, *args, **kwargs)

    method.__name__ = name
    setattr(view, name, method)
    return _on_spectacular_schema(method)


def _on_spectacular_schema(function: Any) -> Any:
    """``function`` marked so that an extend_schema applied to it builds on drf-spectacular's
    AutoSchema, even when the host's DEFAULT_SCHEMA_CLASS is DRF's own (with which the
    generator fails)."""
    function.schema = AutoSchema
    return function


class ConnectDocs(_DocumentedView):
    target_class = "tiktok_mobile_auth.api.views.ConnectView"
    docs = staticmethod(CONNECT)


class MeDocs(_DocumentedView):
    target_class = "tiktok_mobile_auth.api.views.MeView"
    method = "get"
    docs = staticmethod(ME)


class RefreshDocs(_DocumentedView):
    target_class = "tiktok_mobile_auth.api.views.RefreshView"
    docs = staticmethod(REFRESH)


class LogoutDocs(_DocumentedView):
    target_class = "tiktok_mobile_auth.api.views.LogoutView"
    docs = staticmethod(LOGOUT)


class DisconnectDocs(_DocumentedView):
    target_class = "tiktok_mobile_auth.api.lifecycle.DisconnectView"
    docs = staticmethod(DISCONNECT)


class WebhookDocs(_DocumentedView):
    target_class = "tiktok_mobile_auth.api.lifecycle.WebhookView"
    docs = staticmethod(WEBHOOK)


class _BrowserView(APIView):
    """Stands in for a plain Django view of :mod:`tiktok_mobile_auth.web.oauth` in the
    document; never routed."""

    schema = AutoSchema()
    renderer_classes = [JSONRenderer]
    authentication_classes: list[type] = []
    permission_classes = [AllowAny]


class AuthorizeView(_BrowserView):
    @AUTHORIZE
    @_on_spectacular_schema
    def get(self, request: Request) -> Response:  # pragma: no cover - documentation only
        raise NotImplementedError


class CallbackView(_BrowserView):
    @CALLBACK
    @_on_spectacular_schema
    def get(self, request: Request) -> Response:  # pragma: no cover - documentation only
        raise NotImplementedError


class PluginJWTScheme(SimpleJWTScheme):
    target_class = "tiktok_mobile_auth.api.authentication.PluginJWTAuthentication"


class TokenFieldSchema(OpenApiSerializerFieldExtension):
    """A token: printable ASCII without spaces, as the field checks."""

    target_class = "tiktok_mobile_auth.api.serializers.TokenField"

    def map_serializer_field(self, auto_schema: AutoSchema, direction: Any) -> dict[str, Any]:
        # drf-spectacular's documented way for a field extension to start from the default
        # mapping ("Customization: extensions"); its leading underscore notwithstanding.
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        return {**schema, "minLength": 1, "pattern": f"^{_TOKEN_CHARS.pattern}$"}


# ---- the hook and the view -----------------------------------------------------------------

_API_MODULES = ("tiktok_mobile_auth.api.views", "tiktok_mobile_auth.api.lifecycle")
_BROWSER_VIEWS = {"authorize": AuthorizeView, "callback": CallbackView}


def plugin_endpoints(endpoints: list[tuple[str, str, str, Any]]) -> list[tuple[str, str, str, Any]]:
    """drf-spectacular preprocessing hook: the plugin's endpoints only, at the paths of the
    Strapi plugin (no trailing slash), and the browser views first."""
    kept = [
        (path.rstrip("/"), regex, method, callback)
        for path, regex, method, callback in endpoints
        if getattr(callback, "cls", None) is not None and callback.cls.__module__ in _API_MODULES
    ]
    browser = []
    for name, view in _BROWSER_VIEWS.items():
        try:
            path = reverse(f"tiktok_mobile_auth:{name}")
        except NoReverseMatch:  # the host left that URL out
            continue
        browser.append((path, f"^{re.escape(path.lstrip('/'))}$", "GET", view.as_view()))
    return browser + kept


# Connect's two bodies exclude each other (the server refuses a body with both): closed
# objects, so that a body valid for the schema is one body or the other.
_CLOSED_COMPONENTS = ("ConnectWithCodeRequest", "ConnectWithAccessTokenRequest")


def plugin_document(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: what the decorators cannot say."""
    schemas = result.get("components", {}).get("schemas", {})
    for name in _CLOSED_COMPONENTS:
        if name in schemas:
            schemas[name]["additionalProperties"] = False
    for methods in result.get("paths", {}).values():
        connect = methods.get("post", {})
        if connect.get("operationId") == "connect":  # one of the two bodies is required
            connect["requestBody"]["required"] = True
        # An anonymous operation says nothing about security (the document has no global
        # requirement to inherit): client generators read ``security: [{}]`` as "needs
        # authentication" and type the call as such (openapi-python-client does).
        for operation in methods.values():
            if operation.get("security") == [{}] and "security" not in result:
                del operation["security"]
    return result


_lock = threading.Lock()
_document: dict[str, Any] = {}


# In the envelope, not Django's HTML 400 page: a hostile query string (too many fields).
@method_decorator(answers_outages, name="dispatch")
class PluginSchemaView(SpectacularAPIView):
    """GET: the plugin's OpenAPI document; public, generated once per process."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]
    custom_settings = {
        key: value for key, value in SPECTACULAR_SETTINGS.items() if not key.startswith("SERVE_")
    }

    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # drf-spectacular applies custom_settings by patching its global settings: one
        # generation at a time, and the result kept (it changes only with the code).
        with _lock:
            if not _document:
                with patched_settings(self.custom_settings):
                    generator = self.generator_class(urlconf=self.urlconf)
                    _document.update(generator.get_schema(request=request, public=True))
        filename = f"{SPECTACULAR_SETTINGS['TITLE']}.{request.accepted_renderer.format}"
        return Response(
            _document, headers={"Content-Disposition": f'inline; filename="{filename}"'}
        )
