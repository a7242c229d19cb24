"""proxies.py: what a request's forwarding headers are believed to say.

``client_ip``: X-Forwarded-For is believed only from trusted proxies. ``TrustedProxyMiddleware``:
X-Forwarded-Proto likewise; an attacker talking plain http straight to an instance sends
``X-Forwarded-Proto: https`` (and ``X-Forwarded-Host``) and must still be seen as http, on the
original host; the same header from a proxy listed in ``TRUSTED_PROXIES`` makes the request
https. Every test runs with ``TRUSTED_PROXIES`` = 10.0.0.0/24 and ::1 unless it says otherwise
(``client_ip``'s tests mostly pass their proxies explicitly).
"""

from __future__ import annotations

import pytest
from django.http import HttpResponse
from django.test import Client, RequestFactory

from tests.support.api import configure
from tiktok_mobile_auth.checks import check_configuration
from tiktok_mobile_auth.proxies import (
    TrustedProxyMiddleware,
    client_ip,
    forwarded_scheme,
    is_trusted_proxy,
)

PROXY = "10.0.0.5"
ATTACKER = "203.0.113.9"


@pytest.fixture(autouse=True)
def _trusted_proxies(settings):
    configure(settings, TRUSTED_PROXIES=["10.0.0.0/24", "::1"])
    settings.SECURE_PROXY_SSL_HEADER = None


@pytest.fixture
def site(settings):
    """The demo site with the middleware first and https required (SECURE_SSL_REDIRECT)."""
    settings.MIDDLEWARE = [
        "tiktok_mobile_auth.proxies.TrustedProxyMiddleware",
        *settings.MIDDLEWARE,
    ]
    settings.SECURE_SSL_REDIRECT = True


# -- client_ip: X-Forwarded-For ------------------------------------------------------


def request(remote="203.0.113.9", xff=None):
    extra = {"REMOTE_ADDR": remote}
    if xff is not None:
        extra["HTTP_X_FORWARDED_FOR"] = xff
    return RequestFactory().get("/", **extra)


def test_without_trusted_proxies_the_forwarded_header_is_ignored():
    assert client_ip(request(xff="1.2.3.4"), proxies=()) == "203.0.113.9"


def test_a_trusted_proxy_forwards_the_client_address():
    req = request(remote="10.0.0.5", xff="198.51.100.7")
    assert client_ip(req, proxies=("10.0.0.0/8",)) == "198.51.100.7"


def test_a_spoofed_leftmost_entry_is_not_believed():
    # The client sent "X-Forwarded-For: 1.1.1.1"; our proxy appended the real address.
    req = request(remote="10.0.0.5", xff="1.1.1.1, 198.51.100.7")
    assert client_ip(req, proxies=("10.0.0.5",)) == "198.51.100.7"


def test_chains_of_trusted_proxies_are_skipped():
    req = request(remote="10.0.0.5", xff="198.51.100.7, 10.0.0.6")
    assert client_ip(req, proxies=("10.0.0.0/24",)) == "198.51.100.7"


def test_an_untrusted_peer_cannot_forward():
    req = request(remote="203.0.113.50", xff="198.51.100.7")
    assert client_ip(req, proxies=("10.0.0.0/8",)) == "203.0.113.50"


@pytest.mark.parametrize("xff", ["garbage", "", "::1, not-an-ip"])
def test_garbage_in_the_header_never_crashes(xff):
    result = client_ip(request(remote="10.0.0.5", xff=xff), proxies=("10.0.0.0/8",))
    assert result in ("10.0.0.5", "::1")


def test_ipv6_is_supported():
    req = request(remote="::1", xff="2001:db8::7")
    assert client_ip(req, proxies=("::1",)) == "2001:db8::7"


@pytest.mark.django_db  # the admin panel is a configuration source
def test_proxies_come_from_the_configuration(settings):
    settings.TIKTOK_MOBILE_AUTH = {**settings.TIKTOK_MOBILE_AUTH, "TRUSTED_PROXIES": "10.0.0.0/8"}
    assert client_ip(request(remote="10.1.2.3", xff="198.51.100.7")) == "198.51.100.7"


@pytest.mark.django_db
def test_invalid_proxy_entries_are_a_system_check_error(settings):
    settings.TIKTOK_MOBILE_AUTH = {**settings.TIKTOK_MOBILE_AUTH, "TRUSTED_PROXIES": ["nope"]}
    assert [m.id for m in check_configuration()] == ["tiktok_mobile_auth.E006"]
    assert client_ip(request(remote="10.1.2.3", xff="198.51.100.7")) == "10.1.2.3"


@pytest.mark.parametrize(
    ("peer", "trusted"),
    [
        ("10.0.0.5", True),
        ("10.0.1.5", False),
        ("::1", True),
        ("::2", False),
        ("", False),
        ("not-an-ip", False),
        ("10.0.0.5, 10.0.0.6", False),  # REMOTE_ADDR is one address, never a list
    ],
)
def test_is_trusted_proxy_is_the_one_rule(peer, trusted):
    # The same rule decides X-Forwarded-For here and X-Forwarded-Proto in proxy.py.
    assert is_trusted_proxy(peer, ("10.0.0.0/24", "::1", "garbage")) is trusted
    assert is_trusted_proxy(peer, ()) is False


# -- TrustedProxyMiddleware: X-Forwarded-Proto and X-Forwarded-Host ---------------------


def through_middleware(remote: str, **headers: str):
    """The request as the view sees it after the middleware."""
    # A proxy passes the Host header through (the deployment docs' nginx does).
    request = RequestFactory().get("/page", REMOTE_ADDR=remote, HTTP_HOST="testserver", **headers)
    seen = []
    TrustedProxyMiddleware(lambda req: seen.append(req) or HttpResponse())(request)
    return seen[0]


def test_an_untrusted_peer_cannot_claim_https():
    request = through_middleware(ATTACKER, HTTP_X_FORWARDED_PROTO="https")
    assert request.is_secure() is False
    assert request.build_absolute_uri("/x") == "http://testserver/x"


def test_a_trusted_proxy_marks_the_request_https():
    request = through_middleware(PROXY, HTTP_X_FORWARDED_PROTO="https")
    assert request.is_secure() is True
    assert request.build_absolute_uri("/x") == "https://testserver/x"


@pytest.mark.parametrize(
    ("remote", "header", "scheme"),
    [
        (PROXY, "http", "http"),
        (PROXY, "HTTPS", "https"),
        (PROXY, "http, https", "https"),  # the last value is our own proxy's
        (PROXY, "https, http", "http"),  # a client's "https" passed along is not believed
        (PROXY, "https\x00", "http"),
        ("::1", "https", "https"),
        ("10.0.1.5", "https", None),  # outside the trusted network
        ("", "https", None),
        ("not-an-ip", "https", None),
    ],
)
def test_the_scheme_a_trusted_proxy_forwards(remote, header, scheme):
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_PROTO=header)
    assert forwarded_scheme(request) == scheme


def test_without_trusted_proxies_the_header_is_ignored(settings):
    configure(settings, TRUSTED_PROXIES=[])
    assert through_middleware(PROXY, HTTP_X_FORWARDED_PROTO="https").is_secure() is False


def test_a_trusted_proxy_without_the_header_leaves_the_scheme_alone():
    assert through_middleware(PROXY).is_secure() is False


@pytest.mark.django_db
def test_the_https_redirect_is_not_skipped_for_an_untrusted_peer(client, site):
    response = client.get("/healthz", REMOTE_ADDR=ATTACKER, HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/healthz"


@pytest.mark.django_db
def test_the_https_redirect_is_skipped_behind_a_trusted_proxy(client, site):
    response = client.get("/healthz", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 200
    assert response.wsgi_request.is_secure() is True


@pytest.mark.django_db
def test_forwarded_host_is_never_believed(client, site):
    response = client.get(
        "/healthz",
        REMOTE_ADDR=PROXY,
        HTTP_HOST="testserver",
        HTTP_X_FORWARDED_PROTO="https",
        HTTP_X_FORWARDED_HOST="evil.example",
    )
    assert response.wsgi_request.build_absolute_uri("/") == "https://testserver/"


@pytest.mark.django_db
@pytest.mark.parametrize(("peer", "status"), [(ATTACKER, 403), (PROXY, 200)])
def test_the_admins_https_form_passes_csrf_only_behind_a_trusted_proxy(settings, peer, status):
    # A browser on https://testserver posts the admin login form: CSRF compares its Origin
    # with the scheme the request was seen with.
    settings.MIDDLEWARE = [
        "tiktok_mobile_auth.proxies.TrustedProxyMiddleware",
        *settings.MIDDLEWARE,
    ]
    browser = Client(enforce_csrf_checks=True)
    through = {"REMOTE_ADDR": peer, "HTTP_HOST": "testserver", "HTTP_X_FORWARDED_PROTO": "https"}
    browser.get("/admin/login/", **through)
    token = browser.cookies["csrftoken"].value
    response = browser.post(
        "/admin/login/",
        {"username": "nobody", "password": "wrong", "csrfmiddlewaretoken": token},
        HTTP_ORIGIN="https://testserver",
        HTTP_REFERER="https://testserver/admin/login/",
        **through,
    )
    assert response.status_code == status  # 200: the form again, with "wrong password"
