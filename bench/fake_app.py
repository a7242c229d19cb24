"""The bundled fake TikTok, served by gunicorn for the benchmark.

The same app and rules as ``python -m tiktok_mobile_auth.testing``, with two differences
that matter under load: gunicorn's worker keeps connections alive (as TikTok does over
HTTPS, so the site's pooled session is really pooled; the stdlib server closes every
connection), and ``POST /_bench/latency {"ms": N}`` changes the added latency between
scenarios without a restart. Synthetic users are on (``act.synth.<name>`` tokens,
``synth-code.<name>`` codes; see ``tiktok_mobile_auth/testing/synthetic.py``).

Run ONE worker (``--workers 1``, gevent in the benchmark): the state lives in the worker's
memory.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from tiktok_mobile_auth.testing import State, make_app

fake = make_app(State(synthesize_users=True))


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    if environ.get("PATH_INFO") == "/_bench/latency" and environ["REQUEST_METHOD"] == "POST":
        length = int(environ.get("CONTENT_LENGTH") or 0)
        fake.latency_ms = float(json.loads(environ["wsgi.input"].read(length))["ms"])
        start_response("204 No Content", [])
        return [b""]
    return fake(environ, start_response)
