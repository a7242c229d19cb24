"""Production server settings: ``gunicorn -c gunicorn.conf.py cms_site.wsgi``.

Threads, because a sign-in spends most of its time waiting on TikTok: a thread that waits
costs little, a whole process per in-flight TikTok call would not scale.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
worker_class = "gthread"
timeout = 30
graceful_timeout = 20
accesslog = "-"
errorlog = "-"
# No query string in the access log: the OAuth callback's query carries the authorization
# code, and the app link's carries tokens. %(U)s is the path alone.
access_log_format = '%(h)s - - %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(L)ss'
