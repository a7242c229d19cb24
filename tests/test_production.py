"""The production settings as deployed: whitenoise serves collected static files, /healthz answers.

Run in a subprocess: production settings are a different settings module, and they refuse to
load without the environment a deployment gives them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

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
print(json.dumps({
    "middleware": settings.MIDDLEWARE[:2],
    "url": url,
    "static_status": static.status_code,
    "static_cache": static.get("Cache-Control", ""),
    "health_status": health.status_code,
    "health": health.json(),
}))
"""


def test_production_serves_hashed_static_files_and_health(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cms_site.settings.production",
        "DJANGO_SECRET_KEY": "production-test-secret-key-0123456789abcdefghijklmnop",
        "DJANGO_ALLOWED_HOSTS": "testserver",
        "DJANGO_VAR_DIR": str(tmp_path),
        "DJANGO_STATIC_ROOT": str(tmp_path / "static"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "REDIS_URL": "",
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
