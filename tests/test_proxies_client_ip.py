"""client_ip: X-Forwarded-For is believed only from trusted proxies."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from tiktok_mobile_auth.checks import check_configuration
from tiktok_mobile_auth.proxies import client_ip, is_trusted_proxy


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
