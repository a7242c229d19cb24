"""``POST /peer/tiktok/``: dj-rest-auth's social login with allauth's TikTok adapter, its
user-info URL pointed at the fake TikTok."""

from allauth.socialaccount.providers.tiktok.views import TikTokOAuth2Adapter
from dj_rest_auth.registration.views import SocialLoginView
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import path


class FakeTikTokAdapter(TikTokOAuth2Adapter):
    profile_url = f"{settings.TIKTOK_API_URL}/v2/user/info/"


class TikTokLogin(SocialLoginView):
    adapter_class = FakeTikTokAdapter


def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")  # gunicorn.conf.py resolves this name as a worker starts


urlpatterns = [
    path("peer/tiktok/", TikTokLogin.as_view()),
    path("healthz", healthz, name="healthz"),
]
