"""Signal receivers, connected in AppConfig.ready()."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save

from . import signals
from .client_ip import client_ip
from .panel import forget_cached_values
from .round_trips import insert_without_returning


def record_sign_in(
    sender: Any, account: Any, created: bool, flow: str, request: Any, **_: Any
) -> None:
    from .models import SignInEvent

    # Sent with the token pair's insert in one round trip (api/views.py, round_trips.py).
    record = SignInEvent(
        account=account,
        union_id=account.union_id,
        outcome=SignInEvent.SUCCESS,
        code="signed_up" if created else "signed_in",
        flow=flow,
        ip_address=client_ip(request),
    )
    insert_without_returning(record)


def record_refusal(
    sender: Any, code: str, union_id: str, flow: str, request: Any, **_: Any
) -> None:
    from .models import SignInEvent, TikTokAccount

    SignInEvent.objects.create(
        account=TikTokAccount.objects.filter(union_id=union_id).first(),
        union_id=union_id,
        outcome=SignInEvent.FAILURE,
        code=code,
        flow=flow,
        ip_address=client_ip(request),
    )


def connect() -> None:
    from .models import TikTokSettings

    signals.signed_in.connect(record_sign_in, dispatch_uid="tiktok_mobile_auth.record_sign_in")
    signals.sign_in_failed.connect(record_refusal, dispatch_uid="tiktok_mobile_auth.record_refusal")

    for signal in (post_save, post_delete):
        signal.connect(
            forget_cached_values,
            sender=TikTokSettings,
            dispatch_uid=f"tiktok_mobile_auth.forget_panel_cache.{signal is post_save}",
        )
