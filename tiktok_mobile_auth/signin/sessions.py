"""What a sign-in commits, and what the host project is told once it has.

A successful sign-in (connect, or the Wagtail admin's) ends in one transaction:

1. The TikTok link and its user are read again, locked (``SELECT ... FOR NO KEY UPDATE`` on
   PostgreSQL; on SQLite every write transaction is ``BEGIN IMMEDIATE``, so writers take
   turns). The link must still exist and the user still be active. A disconnect or a block
   that committed first is seen here, and the sign-in is refused (``sign_in_interrupted``,
   ``account_blocked``); one that comes while this transaction runs waits for it, then ends
   the session it started (it revokes every family of the user).
2. The profile snapshot is saved when TikTok's copy changed, by ``UPDATE`` only: a link a
   disconnect removed is never inserted again. With ``STORE_TOKENS``, the TikTok grant is
   stored for the account (a stored grant never outlives its link).
3. The sign-in record (a ``SignInEvent``) is written.
4. For apps, a refresh-token family starts, with its first JWT pair (:mod:`.tokens`).

Only then, outside any transaction of ours, the ``signed_in`` signal is sent, with
``send_robust``: a receiver may open its own transaction, and one that raises is logged and
does not undo a sign-in that has already happened (signals.py). Refusals of a known TikTok
identity are recorded the same way: the failure record, then ``sign_in_failed``.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest

from tiktok_mobile_auth import signals
from tiktok_mobile_auth.exceptions import AccountBlocked, SignInInterrupted
from tiktok_mobile_auth.models import SignInEvent, TikTokAccount
from tiktok_mobile_auth.proxies import client_ip
from tiktok_mobile_auth.signin import account_lookup, jwt_tokens
from tiktok_mobile_auth.signin.accounts import SignIn

logger = logging.getLogger(__name__)


def open_app_session(signed_in: SignIn, *, flow: str, request: HttpRequest) -> dict[str, str]:
    """Commit an app's sign-in and return its first pair ``{"jwt": ..., "refresh": ...}``.

    Raises :class:`AccountBlocked` or :class:`SignInInterrupted` (nothing written then).
    """
    with transaction.atomic():
        _lock_link(signed_in)
        _record_success(signed_in, flow, request)
        pair = jwt_tokens.start_family(signed_in.user)
    _announce(signed_in, flow, request)
    return pair


def record_admin_sign_in(signed_in: SignIn, request: HttpRequest) -> None:
    """Commit an editor's sign-in to the Wagtail admin (the caller logs the browser in),
    then announce it. Raises as :func:`open_app_session`."""
    with transaction.atomic():
        _lock_link(signed_in)
        _record_success(signed_in, "admin", request)
    _announce(signed_in, "admin", request)


def record_refusal(code: str, union_id: str | None, *, flow: str, request: HttpRequest) -> None:
    """Record a refused sign-in of a known TikTok identity (``union_id``; nothing to record
    without one), then send ``sign_in_failed``."""
    if not union_id:
        return
    record = SignInEvent(
        account=TikTokAccount.objects.filter(union_id=union_id).first(),
        union_id=union_id,
        outcome=SignInEvent.FAILURE,
        code=code,
        flow=flow,
        ip_address=client_ip(request),
    )
    try:
        with transaction.atomic():
            record.save()
    except IntegrityError:  # the account was unlinked meanwhile: keep the record without it
        record.pk, record.account = None, None
        record.save()
    _send(signals.sign_in_failed, code=code, union_id=union_id, flow=flow, request=request)


def _lock_link(signed_in: SignIn) -> None:
    account = signed_in.account
    active = account_lookup.lock(account)
    if active is None:  # unlinked (disconnect, or the admin's unlink) since it was read
        raise SignInInterrupted(union_id=account.union_id)
    if not active:
        raise AccountBlocked(union_id=account.union_id)
    if signed_in.profile_changed:
        account.save(force_update=True)
    if signed_in.keep_tokens is not None:
        signed_in.keep_tokens(account)


def _record_success(signed_in: SignIn, flow: str, request: HttpRequest) -> None:
    record = SignInEvent(
        account=signed_in.account,
        union_id=signed_in.account.union_id,
        outcome=SignInEvent.SUCCESS,
        code="signed_up" if signed_in.created else "signed_in",
        flow=flow,
        ip_address=client_ip(request),
    )
    record.save(force_insert=True)


def _announce(signed_in: SignIn, flow: str, request: HttpRequest) -> None:
    _send(
        signals.signed_in,
        account=signed_in.account,
        user=signed_in.user,
        created=signed_in.created,
        flow=flow,
        request=request,
    )


def _send(signal: Any, **kwargs: Any) -> None:
    for receiver, result in signal.send_robust(TikTokAccount, **kwargs):
        if isinstance(result, Exception):
            logger.error(
                "A %s receiver (%s) failed; the sign-in stands.",
                "signed_in" if signal is signals.signed_in else "sign_in_failed",
                getattr(receiver, "__qualname__", repr(receiver)),
                exc_info=(type(result), result, result.__traceback__),
            )
