"""Mount under ``api/tiktok-auth-mobile/``. Paths are the Strapi plugin's, so existing apps
can switch backends; a trailing slash is accepted too."""

from django.urls import re_path

from tiktok_mobile_auth.api import lifecycle, views
from tiktok_mobile_auth.api.openapi.view import PluginSchemaView
from tiktok_mobile_auth.web import admin_sign_in
from tiktok_mobile_auth.web.oauth import authorize, callback

app_name = "tiktok_mobile_auth"

urlpatterns = [
    re_path(r"^authorize/?$", authorize, name="authorize"),
    re_path(r"^callback/?$", callback, name="callback"),
    re_path(r"^connect/?$", views.ConnectView.as_view(), name="connect"),
    re_path(r"^me/?$", views.MeView.as_view(), name="me"),
    re_path(r"^token/refresh/?$", views.RefreshView.as_view(), name="token-refresh"),
    re_path(r"^logout/?$", views.LogoutView.as_view(), name="logout"),
    re_path(r"^disconnect/?$", lifecycle.DisconnectView.as_view(), name="disconnect"),
    re_path(r"^webhook/?$", lifecycle.WebhookView.as_view(), name="webhook"),
    # The OpenAPI document of the endpoints above (YAML, or JSON by Accept or ?format=json).
    re_path(r"^schema/?$", PluginSchemaView.as_view(), name="schema"),
    # The Wagtail admin's "Sign in with TikTok" (a browser flow; TikTok returns to callback).
    re_path(r"^admin/login/?$", admin_sign_in.start, name="admin-login"),
]
