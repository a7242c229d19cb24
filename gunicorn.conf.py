"""Production server settings: ``gunicorn -c gunicorn.conf.py cms_site.wsgi``.

Threads, because a sign-in spends most of its time waiting on TikTok: a thread that waits
costs little, a whole process per in-flight TikTok call would not scale.

Sizing (measured by ``make bench``, docs/PERFORMANCE.md): one worker per core, since Python
runs one thread at a time per process; threads for the sign-ins in flight. A kept-alive
client connection stays with the worker that accepted it and the split between workers is
uneven, so each worker has threads for well over its share: 2 x 48 serve 64 concurrent
sign-ins against a 200 ms TikTok without queueing. Each thread keeps its own database
connection (CONN_MAX_AGE): up to workers x threads per instance (docs/DEPLOYMENT.md).
"""

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "48"))
worker_class = "gthread"
timeout = 30
graceful_timeout = 20
accesslog = "-"
errorlog = "-"
# No query string in the access log: the OAuth callback's query carries the authorization
# code, and the app link's carries tokens. %(U)s is the path alone.
access_log_format = '%(h)s - - %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(L)ss'


def post_worker_init(worker):
    """Import the URLconf, and with it every view module, before serving the first request.

    Django loads it lazily, on a worker's first request: under load, every thread of a fresh
    worker would queue behind that import (seconds with Wagtail's admin) holding a request.
    """
    from django.apps import apps

    if apps.ready:  # a Django app was loaded (not, say, the benchmark's plain WSGI floor)
        from django.urls import reverse

        reverse("healthz")  # populating the resolver imports every included URLconf
