"""Django settings of the benchmarked site: production's, plus the bench's query counter and
the framework floor's URL (``bench/urls.py``).

``production.py`` refuses a TikTok URL that is not https, and the fake TikTok listens on plain
http on loopback; so the bench passes the fake's URL as ``BENCH_TIKTOK_URL`` and sets it here,
after production's check ran. Nothing else differs from production.
"""

import os

from cms_site.settings.production import *  # noqa: F403
from cms_site.settings.production import MIDDLEWARE, TIKTOK_MOBILE_AUTH

TIKTOK_MOBILE_AUTH = {
    **TIKTOK_MOBILE_AUTH,
    "API_BASE_URL": os.environ["BENCH_TIKTOK_URL"],
    "AUTH_BASE_URL": os.environ["BENCH_TIKTOK_URL"],
}

# The site's URLconf plus the framework floor (bench/framework_floor.py).
ROOT_URLCONF = "bench.urls"

# Outermost, so it counts the queries of every other middleware too.
MIDDLEWARE = ["bench.querycount.QueryCountMiddleware", *MIDDLEWARE]

# What-if experiments (docs/PERFORMANCE.md): e.g. BENCH_CONFIG_SOURCES=
# tiktok_mobile_auth.conf.django_settings_source leaves out the admin panel's source.
if os.environ.get("BENCH_CONFIG_SOURCES"):
    TIKTOK_MOBILE_AUTH["CONFIG_SOURCES"] = os.environ["BENCH_CONFIG_SOURCES"].split(",")
