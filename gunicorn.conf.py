"""Production server settings: ``gunicorn -c gunicorn.conf.py cms_site.wsgi``.

gevent workers, because a sign-in spends most of its time waiting on TikTok: each client
connection is served by a greenlet, which costs a few kilobytes while it waits, and
switching between greenlets costs far less CPU than switching between threads (measured by
``make bench``: about 1 ms of CPU per sign-in less than 2 x 48 gthread threads, and 20%
more sign-ins per second at 200 ms of TikTok latency; docs/PERFORMANCE.md). Everything the
site waits on cooperates: requests and redis-py use the patched sockets, and psycopg 3
detects gevent and waits cooperatively. Database connections come from a per-process pool
(cms_site/settings/base.py), since a greenlet lives only as long as its client connection.

Sizing: one worker per core, since Python runs one greenlet at a time per process;
``worker_connections`` caps the client connections (so the sign-ins in flight) per worker.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gevent")
worker_connections = int(os.environ.get("GUNICORN_WORKER_CONNECTIONS", "1000"))
threads = int(os.environ.get("GUNICORN_THREADS", "48"))  # gthread only (GUNICORN_WORKER_CLASS)
timeout = 30
graceful_timeout = 20
accesslog = "-"
errorlog = "-"
# No query string in the access log: the OAuth callback's query carries the authorization
# code, and the app link's carries tokens. %(U)s is the path alone.
access_log_format = '%(h)s - - %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(L)ss'


def post_worker_init(worker):
    """Import the URLconf, and with it every view module, before serving the first request.

    Django loads it lazily, on a worker's first request: under load, every request in a
    fresh worker would queue behind that import (seconds with Wagtail's admin).
    """
    from django.apps import apps

    if apps.ready:  # a Django app was loaded (not, say, the benchmark's plain WSGI floor)
        from django.urls import reverse

        reverse("healthz")  # populating the resolver imports every included URLconf
