"""The production settings as deployed: whitenoise serves collected static files, /healthz
answers, and X-Forwarded-Proto is believed only from TIKTOK_TRUSTED_PROXIES.

Run in a subprocess: production settings are a different settings module, and they refuse to
load without the environment a deployment gives them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json, django
django.setup()
from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.test import Client
client = Client()
url = staticfiles_storage.url("wagtailadmin/js/core.js")
static = client.get(url)
health = client.get("/healthz")


def seen(remote, **headers):
    request = client.get("/healthz", REMOTE_ADDR=remote, **headers).wsgi_request
    return [request.is_secure(), request.build_absolute_uri("/")]


https = {
    "HTTP_HOST": "testserver",  # passed through by the proxy
    "HTTP_X_FORWARDED_PROTO": "https",
    "HTTP_X_FORWARDED_HOST": "evil.example",
}
print(json.dumps({
    "proxy_header_setting": settings.SECURE_PROXY_SSL_HEADER,
    "forwarded_host": [settings.USE_X_FORWARDED_HOST, settings.USE_X_FORWARDED_PORT],
    "from_untrusted": seen("203.0.113.9", **https),
    "from_trusted": seen("10.0.0.5", **https),
    "middleware": settings.MIDDLEWARE[:3],
    "url": url,
    "static_status": static.status_code,
    "static_cache": static.get("Cache-Control", ""),
    "health_status": health.status_code,
    "health": health.json(),
}))
"""


def test_production_serves_static_files_health_and_trusts_only_its_proxies(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cms_site.settings.production",
        "DJANGO_SECRET_KEY": "production-test-secret-key-0123456789abcdefghijklmnop",
        "DJANGO_ALLOWED_HOSTS": "testserver",
        "DJANGO_VAR_DIR": str(tmp_path),
        "DJANGO_STATIC_ROOT": str(tmp_path / "static"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "REDIS_URL": "",
        "TIKTOK_TRUSTED_PROXIES": "10.0.0.0/24",
    }
    for name in ("TIKTOK_API_BASE_URL", "TIKTOK_AUTH_BASE_URL"):
        env.pop(name, None)
    manage = [sys.executable, "manage.py"]
    subprocess.run(
        [*manage, "collectstatic", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["middleware"] == [
        "tiktok_mobile_auth.proxies.TrustedProxyMiddleware",
        "django.middleware.security.SecurityMiddleware",
        "whitenoise.middleware.WhiteNoiseMiddleware",
    ]
    # A content-hashed name, served by whitenoise with a far-future cache lifetime.
    assert result["url"].startswith("/static/wagtailadmin/js/core.")
    assert result["url"] != "/static/wagtailadmin/js/core.js"
    assert result["static_status"] == 200
    assert "immutable" in result["static_cache"]
    assert result["health_status"] == 200
    assert result["health"] == {"status": "ok", "database": "ok", "cache": "ok"}
    # X-Forwarded-Proto: not from any client, only from the trusted proxy; X-Forwarded-Host
    # from no one.
    assert result["proxy_header_setting"] is None
    assert result["forwarded_host"] == [False, False]
    assert result["from_untrusted"] == [False, "http://testserver/"]
    assert result["from_trusted"] == [True, "https://testserver/"]
