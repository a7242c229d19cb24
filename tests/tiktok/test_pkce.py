"""tiktok/pkce.py: TikTok's PKCE variant."""

from __future__ import annotations

from tiktok_mobile_auth.tiktok.pkce import code_challenge


def test_tiktoks_pkce_is_the_hex_sha256_of_the_verifier():
    # The test vector of TikTok's Android SDK (PKCEUtilsTest).
    verifier = "gaeCq5mVvbhA8Ce6w5O9XBVIKMkySgv-_9A-rnhm9Ns"
    expected = "e6a178b120743d08509508f269652b0bdf91e29332921bc9e9744fd3dd41bfef"
    assert code_challenge(verifier) == expected
