"""manage.py tiktok_generate_key: a TIKTOK_ENCRYPTION_KEYS value ready to paste, and the value
for a rotation that tiktok_reencrypt completes."""

from __future__ import annotations

import base64
import io

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.management import call_command

from tiktok_mobile_auth.models import TikTokSettings
from tiktok_mobile_auth.storage import crypto


def generate(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("tiktok_generate_key", *args, stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue()


def use_keys(settings, value: str | None) -> None:
    config = {k: v for k, v in settings.TIKTOK_MOBILE_AUTH.items() if k != "ENCRYPTION_KEYS"}
    settings.TIKTOK_MOBILE_AUTH = config if value is None else {**config, "ENCRYPTION_KEYS": value}


def test_prints_one_new_fernet_key_and_nothing_else_on_stdout(settings):
    use_keys(settings, None)
    value, advice = generate()
    assert "\n" not in value and "," not in value
    assert len(base64.urlsafe_b64decode(value)) == 32  # Fernet: 32 bytes, url-safe base64
    assert Fernet(value).decrypt(Fernet(value).encrypt(b"secret")) == b"secret"
    assert generate()[0] != value
    assert "TIKTOK_ENCRYPTION_KEYS" in advice and "--rotate" in advice


def test_the_printed_value_is_accepted_by_the_setting(settings):
    value, _ = generate()
    use_keys(settings, value)  # a string from the environment: comma-separated
    token = crypto.encrypt("stored secret")
    assert Fernet(value).decrypt(token.encode()) == b"stored secret"


def test_rotate_puts_a_new_key_before_the_configured_ones(settings):
    old_first, old_second = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    use_keys(settings, [old_first, old_second])
    value, advice = generate("--rotate")
    new, *kept = value.split(",")
    assert kept == [old_first, old_second]
    assert new not in kept and len(base64.urlsafe_b64decode(new)) == 32
    assert "tiktok_reencrypt" in advice


@pytest.mark.django_db
def test_rotating_away_from_the_secret_key_derived_key_keeps_stored_secrets(settings):
    """No ENCRYPTION_KEYS yet: what is stored was encrypted with the key derived from
    SECRET_KEY, so the rotation value must carry it until tiktok_reencrypt has run."""
    use_keys(settings, None)
    row = TikTokSettings.objects.create(client_secret_encrypted=crypto.encrypt("panel secret"))
    value, _ = generate("--rotate")
    new = value.split(",")[0]

    use_keys(settings, new)  # the new key alone cannot read it: the old one is needed
    with pytest.raises(crypto.DecryptionFailed):
        crypto.decrypt(row.client_secret_encrypted)

    use_keys(settings, value)
    call_command("tiktok_reencrypt", stdout=io.StringIO())
    row.refresh_from_db()
    assert Fernet(new).decrypt(row.client_secret_encrypted.encode()) == b"panel secret"
    use_keys(settings, new)  # the old keys dropped, as the advice says
    assert crypto.decrypt(row.client_secret_encrypted) == "panel secret"


def test_rotate_without_keys_names_the_derived_key_not_a_random_one(settings):
    use_keys(settings, None)
    stored = crypto.encrypt("x")
    value, _ = generate("--rotate")
    new, derived = value.split(",")
    with pytest.raises(InvalidToken):
        Fernet(new).decrypt(stored.encode())
    assert Fernet(derived).decrypt(stored.encode()) == b"x"
