"""The fake's authorize pages: parameter checks, the consent form and TikTok-like error page.

Pure functions (no state, no HTTP) so the HTML can be read and tested on its own. Every
echoed value goes through :func:`html.escape`: ``state`` and ``redirect_uri`` come from
whoever built the URL.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from html import escape
from typing import Any
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

from tiktok_mobile_auth.testing.model import KNOWN_SCOPES

BASIC_SCOPE = "user.info.basic"
# The hidden fields the consent form carries from the GET query to the POST.
CARRIED = (
    "client_key",
    "response_type",
    "redirect_uri",
    "state",
    "scope",
    "code_challenge",
    "code_challenge_method",
)


def split_scopes(value: str | None) -> list[str]:
    """TikTok's comma-separated scope list as items, in order, without blanks or repeats."""
    items = (item.strip() for item in (value or "").split(","))
    return list(dict.fromkeys(item for item in items if item))


def authorize_problems(params: Mapping[str, str], client_registered: bool) -> list[str]:
    """The names of the authorize parameters TikTok would ask the developer to correct."""
    problems = []
    if not client_registered:
        problems.append("client_key")
    if params.get("response_type") != "code":
        problems.append("response_type")
    redirect = urlsplit(params.get("redirect_uri") or "")
    if not (redirect.scheme and redirect.netloc):
        problems.append("redirect_uri")
    scopes = split_scopes(params.get("scope"))
    if not scopes or any(scope not in KNOWN_SCOPES for scope in scopes):
        problems.append("scope")
    if params.get("code_challenge_method") not in (None, "", "S256"):
        problems.append("code_challenge_method")
    return problems


def granted_scopes(form: Mapping[str, Any]) -> list[str]:
    """The scopes the user left ticked; ``user.info.basic`` cannot be refused.

    A POST without the consent form's ``grant_form`` marker (a script, not the page)
    grants everything requested.
    """
    requested = split_scopes(form.get("scope"))
    if not form.get("grant_form"):
        return requested
    return [s for s in requested if s == BASIC_SCOPE or form.get(f"grant:{s}")]


def add_query(url: str, pairs: Iterable[tuple[str, str]]) -> str:
    """``url`` with ``pairs`` URL-encoded and appended to any query it already has."""
    parts = urlsplit(url)
    # %20 rather than "+" for spaces: every query parser reads %20 the same way.
    extra = urlencode(list(pairs), quote_via=quote)
    return urlunsplit(parts._replace(query=f"{parts.query}&{extra}" if parts.query else extra))


def _document(title: str, body: str) -> str:
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title></head>\n<body>\n{body}\n</body></html>\n"
    )


def error_page(problems: Iterable[str]) -> str:
    """TikTok's "We couldn't log in with TikTok" page; it never redirects."""
    items = "".join(f"<li>{escape(name)}</li>" for name in problems)
    return _document(
        "TikTok",
        "<h1>We couldn't log in with TikTok</h1>\n"
        "<p>This may be due to specific app settings.</p>\n"
        "<p>If you're a developer, correct the following and try again: "
        f'{", ".join(escape(name) for name in problems)}</p>\n<ul id="errors">{items}</ul>',
    )


def _scope_items(scopes: Iterable[str]) -> str:
    # The basic scope is shown ticked and disabled (it cannot be refused); disabled boxes
    # are not submitted, which is why granted_scopes() adds it back.
    rows = []
    for scope in scopes:
        locked = " disabled" if scope == BASIC_SCOPE else ""
        rows.append(
            f'<li><label><input type="checkbox" name="grant:{escape(scope)}" value="1" checked'
            f"{locked}> {escape(scope)}</label></li>"
        )
    return "".join(rows)


def consent_page(path: str, params: Mapping[str, str], users: Iterable[Mapping[str, Any]]) -> str:
    """The consent form: scopes, a user picker, Authorize and Cancel, POSTing to ``path``."""
    client_key = params.get("client_key", "")
    options = "".join(
        f'<option value="{escape(str(user["open_id"]))}">'
        f"{escape(str(user.get('display_name') or user['open_id']))}</option>"
        for user in users
    )
    hidden = "".join(
        f'<input type="hidden" name="{name}" value="{escape(params[name])}">'
        for name in CARRIED
        if params.get(name)
    )
    return _document(
        f"Authorize {client_key}",
        f"<h1>Authorize {escape(client_key)}</h1>\n"
        f"<p>{escape(client_key)} would like to access your TikTok account.</p>\n"
        f'<form method="post" action="{escape(path)}">\n'
        f'<ul id="scopes">{_scope_items(split_scopes(params.get("scope")))}</ul>\n'
        '<label for="open_id">Continue as</label> '
        f'<select name="open_id" id="open_id">{options}</select>\n'
        f'{hidden}<input type="hidden" name="grant_form" value="1">\n'
        '<button type="submit" id="authorize" name="action" value="authorize">Authorize</button>\n'
        '<button type="submit" id="cancel" name="action" value="cancel">Cancel</button>\n'
        "</form>",
    )
