"""Mount under ``api/tiktok-auth-mobile/``. Paths are the Strapi plugin's, so existing apps
can switch backends; a trailing slash is accepted too."""

from django.urls import re_path

from . import admin_login
from .api import views
from .callback import authorize, callback

app_name = "tiktok_mobile_auth"

urlpatterns = [
    re_path(r"^authorize/?$", authorize, name="authorize"),
    re_path(r"^callback/?$", callback, name="callback"),
    re_path(r"^connect/?$", views.ConnectView.as_view(), name="connect"),
    re_path(r"^me/?$", views.MeView.as_view(), name="me"),
    re_path(r"^token/refresh/?$", views.RefreshView.as_view(), name="token-refresh"),
    re_path(r"^logout/?$", views.LogoutView.as_view(), name="logout"),
    # The Wagtail admin's "Sign in with TikTok" (a browser flow; TikTok returns to callback).
    re_path(r"^admin/login/?$", admin_login.start, name="admin-login"),
]
