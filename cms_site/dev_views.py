"""Development only: a stand-in for the mobile app's universal link.

In production the callback redirects into the app; locally there is no app, so this page
shows what the app would receive (the TikTok access token or the error) and the next step.
Mounted only when DEBUG is on.
"""

from django.http import HttpRequest, HttpResponse
from django.template import engines

_PAGE = engines["django"].from_string(
    """<!doctype html><html><head><meta charset="utf-8"><title>App link (dev)</title>
<meta name="referrer" content="no-referrer"></head>
<body style="font-family: sans-serif; max-width: 48rem; margin: 2rem auto">
<h1>The mobile app would now receive:</h1>
<table>{% for key, value in params %}<tr><th align="left">{{ key }}</th>
<td><code>{{ value }}</code></td></tr>{% endfor %}</table>
{% if token %}<p>Next, the app posts the token to <code>connect</code>:</p>
<pre>curl -s -X POST {{ connect_url }} -H 'Content-Type: application/json' \\
  -d '{"access_token": "{{ token }}"}'</pre>{% endif %}
</body></html>"""
)


def app_link(request: HttpRequest) -> HttpResponse:
    token = request.GET.get("access_token", "")
    context = {
        "params": list(request.GET.items()),
        "token": token,
        "connect_url": request.build_absolute_uri("/api/tiktok-auth-mobile/connect"),
    }
    response = HttpResponse(_PAGE.render(context, request))
    response["Cache-Control"] = "no-store"
    return response
