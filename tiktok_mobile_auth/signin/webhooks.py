"""TikTok's webhooks (POST webhook): ``authorization.removed``.

**Verification.** ``TikTok-Signature: t=<unix seconds>,s=<hex>`` must carry
``HMAC-SHA256(key=client secret, msg=f"{t}.{raw body}")``, computed over the body's raw
bytes exactly as received (never re-serialised JSON) and compared in constant time; then
``t`` must be within :data:`TOLERANCE` seconds of our clock, either way. A missing or
malformed header, a wrong signature (:class:`~.exceptions.WebhookRefused`,
``webhook_signature_invalid``) or a stale / future ``t``
(:class:`~.exceptions.WebhookExpired`, ``webhook_signature_expired``) is refused (401)
before the body is even parsed.

**Answer.** A correctly signed request of the documented shape gets 200 at once, whatever it
says, because TikTok retries anything else for 72 hours and a retry of the same bytes cannot
go better: a ``client_key`` that is not ours, an unknown event or an unknown user are logged
and ignored. A signed body that is *not* the documented shape (not a JSON object, a field
missing or of the wrong JSON type, ``create_time`` not whole seconds in range, identifiers
that are not printable ASCII, an ``authorization.removed`` whose ``content`` is not a JSON
object or whose ``reason`` is not a number) is refused with 400 ``invalid_request``
(:class:`WebhookMalformed`) and changes nothing: TikTok never sends one, so it means a bug or
a leaked secret, and a 4xx shows in TikTok's delivery log as well as ours. Without
``content``, or without a ``reason`` in it, the reason is 0 (unknown): the removal itself is
what matters.

**Effect of authorization.removed** for the accounts with that ``open_id`` (on the account
or on its stored tokens): the stored TikTok tokens are deleted and the account is marked
``deauthorized_at`` (the event's ``create_time``) with ``deauthorized_reason`` (TikTok's
code: 0 unknown, 1 user disconnected, 2 account deleted, 3 age changed, 4 banned, 5 revoked
by us). ``me`` and ``connect`` show it as ``user.tiktok.deauthorized``. The user keeps their
account and sessions; their next sign-in with TikTok clears the mark.

**Idempotent under at-least-once delivery.** A repeated event (same ``create_time``) finds
the account already marked and changes nothing (``duplicate``). An event older than the
account's current authorization is stale and ignored: TikTok retries for up to 72 hours,
and by then the user may have signed in again (a successful sign-in in a later second than
``create_time``, which has whole seconds) or authorized anew (tokens obtained after it),
whose tokens must not be dropped.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import transaction
from django.views.decorators.debug import sensitive_variables

from tiktok_mobile_auth.conf import TikTokConfig
from tiktok_mobile_auth.exceptions import WebhookExpired, WebhookMalformed, WebhookRefused
from tiktok_mobile_auth.models import SignInEvent, TikTokAccount, TikTokTokens
from tiktok_mobile_auth.signin.flows import require

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "TikTok-Signature"
# Seconds a signature's timestamp may differ from our clock, into the past or the future.
TOLERANCE = 300
AUTHORIZATION_REMOVED = "authorization.removed"
APPLIED, DUPLICATE, IGNORED = "applied", "duplicate", "ignored"

_HEX_SHA256 = re.compile(r"[0-9a-fA-F]{64}")
_SECONDS = re.compile(r"[0-9]{1,12}")
# 9999-12-30T23:59:59Z: a day short of datetime's end, so `removed_at + 1 s` cannot overflow.
_MAX_SECONDS = 253_402_214_399
# client_key, event and user_openid: TikTok's are short printable ASCII. Anything else (NUL,
# which PostgreSQL cannot store or compare, non-ASCII, kilobytes) is not TikTok's.
_IDENTIFIER = re.compile(r"[\x21-\x7e]{1,255}")
_TEXT_FIELDS = ("client_key", "event", "user_openid")
_MAX_REASON = 32767  # deauthorized_reason is a small integer column


@dataclass(frozen=True)
class Event:
    client_key: str
    event: str
    create_time: int
    user_openid: str
    content: Any  # as sent; read only for authorization.removed (reason_of)


def _now() -> float:
    return time.time()  # one place, so tests can move the clock


@sensitive_variables("secret")
def verify(header: str | None, raw_body: bytes, secret: str) -> None:
    """Check ``header`` signs ``raw_body`` with ``secret``, recently.

    Raises :class:`WebhookRefused` or :class:`WebhookExpired`.
    """
    parts = dict(item.strip().split("=", 1) for item in (header or "").split(",") if "=" in item)
    timestamp, signature = parts.get("t", ""), parts.get("s", "")
    if not _SECONDS.fullmatch(timestamp) or not _HEX_SHA256.fullmatch(signature):
        raise WebhookRefused(f"A valid {SIGNATURE_HEADER} header (t=...,s=...) is required.")
    message = timestamp.encode() + b"." + raw_body
    expected = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), signature.lower().encode()):
        raise WebhookRefused(f"The {SIGNATURE_HEADER} signature does not match.")
    if abs(_now() - int(timestamp)) > TOLERANCE:
        raise WebhookExpired(f"The {SIGNATURE_HEADER} timestamp is more than 5 minutes off.")


def parse(raw_body: bytes) -> Event:
    """The event in a (verified) body. Raises :class:`WebhookMalformed` when the body is not
    the documented shape."""
    try:
        body = json.loads(raw_body)
    except (ValueError, RecursionError) as err:  # also UnicodeDecodeError, huge integers
        raise WebhookMalformed("The webhook body is not JSON.") from err
    if not isinstance(body, dict):
        raise WebhookMalformed("The webhook body is not a JSON object.")
    for name in _TEXT_FIELDS:
        value = body.get(name)
        if not isinstance(value, str) or not _IDENTIFIER.fullmatch(value):
            raise WebhookMalformed(f"{name} must be 1-255 printable ASCII characters.")
    create_time = body.get("create_time")
    if not _is_seconds(create_time):
        raise WebhookMalformed("create_time must be whole Unix seconds before the year 9999.")
    return Event(
        body["client_key"],
        body["event"],
        int(create_time),
        body["user_openid"],
        body.get("content"),
    )


def _is_seconds(value: Any) -> bool:
    """Unix seconds that a datetime can hold (up to the year 9999), as a number or digits."""
    if isinstance(value, str) and _SECONDS.fullmatch(value):
        value = int(value)
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= _MAX_SECONDS


def reason_of(content: Any) -> int:
    """The ``reason`` in ``authorization.removed``'s ``content``: a JSON string holding an
    object (as documented) or the object itself; 0 (unknown) when there is no content or
    no reason. Raises :class:`WebhookMalformed` for anything else."""
    if content is None:
        return 0
    if isinstance(content, str):
        try:
            content = json.loads(content)
        except (ValueError, RecursionError) as err:
            raise WebhookMalformed("content is not a JSON string.") from err
    if not isinstance(content, dict):
        raise WebhookMalformed("content must hold a JSON object.")
    reason = content.get("reason", 0)
    if isinstance(reason, bool) or not isinstance(reason, int):
        raise WebhookMalformed("content.reason must be a whole number.")
    if not 0 <= reason <= _MAX_REASON:
        # A number, but not one TikTok documents: the removal still happened.
        logger.warning("TikTok webhook: reason %s out of range; recorded as 0.", reason)
        return 0
    return reason


@sensitive_variables("raw_body")
def handle(raw_body: bytes, header: str | None, config: TikTokConfig) -> str:
    """Verify and apply one webhook request; return ``applied``, ``duplicate`` or
    ``ignored``. Raises :class:`WebhookRefused` / :class:`WebhookExpired` (401),
    :class:`WebhookMalformed` (400) for a signed body that is not the documented event, or
    :class:`~.exceptions.NotConfigured` (503) without a client key and secret."""
    # An empty secret would make every signature forgeable: refuse to verify with it.
    require(config, "CLIENT_KEY", "CLIENT_SECRET")
    verify(header, raw_body, config.client_secret)
    try:
        event = parse(raw_body)
        # Read before the client_key and event checks: malformed is malformed for any app.
        reason = reason_of(event.content) if event.event == AUTHORIZATION_REMOVED else 0
    except WebhookMalformed as err:
        logger.error("TikTok webhook: a signed body that is not the documented event: %s", err)
        raise
    # Bytes, not str: compare_digest raises TypeError for a non-ASCII str.
    if not hmac.compare_digest(event.client_key.encode(), config.client_key.encode()):
        logger.warning("TikTok webhook for another client_key; ignored.")
        return IGNORED
    if event.event != AUTHORIZATION_REMOVED:
        logger.info("TikTok webhook event %r ignored.", event.event[:64])
        return IGNORED
    return authorization_removed(event.user_openid, event.create_time, reason)


def authorization_removed(open_id: str, create_time: int, reason: int) -> str:
    """Drop the stored tokens of ``open_id``'s accounts and mark them deauthorized."""
    removed_at = datetime.fromtimestamp(create_time, tz=UTC)
    ids = set(TikTokAccount.objects.filter(open_id=open_id).values_list("pk", flat=True))
    ids |= set(TikTokTokens.objects.filter(open_id=open_id).values_list("account_id", flat=True))
    results = []
    with transaction.atomic():
        for account in TikTokAccount.objects.select_for_update().filter(pk__in=ids):
            results.append(_remove(account, removed_at, reason))
    if not results:
        logger.info("TikTok webhook: authorization.removed for an unknown user; ignored.")
    # Several accounts can only happen with stale data; any change counts as applied.
    return APPLIED if APPLIED in results else (DUPLICATE if DUPLICATE in results else IGNORED)


def _remove(account: TikTokAccount, removed_at: datetime, reason: int) -> str:
    if account.deauthorized_at is not None and account.deauthorized_at >= removed_at:
        return DUPLICATE if account.deauthorized_at == removed_at else IGNORED
    # create_time has whole seconds: only a later second is surely after the removal.
    since = removed_at + timedelta(seconds=1)
    signed_in_since = SignInEvent.objects.filter(
        account=account, outcome=SignInEvent.SUCCESS, created_at__gte=since
    ).exists()
    authorized_since = TikTokTokens.objects.filter(account=account, obtained_at__gte=since).exists()
    if signed_in_since or authorized_since:
        logger.info("TikTok webhook: account %s authorized again since; ignored.", account.pk)
        return IGNORED
    TikTokTokens.objects.filter(account=account).delete()
    account.deauthorized_at, account.deauthorized_reason = removed_at, reason
    account.save(update_fields=["deauthorized_at", "deauthorized_reason", "updated_at"])
    logger.info("TikTok authorization removed for account %s (reason %s).", account.pk, reason)
    return APPLIED
