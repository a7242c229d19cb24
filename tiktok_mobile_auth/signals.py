"""Signals the plugin sends; host projects can listen.

signed_in: sender=TikTokAccount, account, user, created (bool), flow ("access_token",
    "code", "admin"), request.
sign_in_failed: sender=TikTokAccount, code (the stable error code), union_id (str),
    flow, request.
refresh_token_reused: sender=RefreshTokenFamily, family, user. A refresh token that had
    already been replaced was presented again; the family (the session) is revoked.

``signed_in`` is sent after the sign-in has committed (its record and its tokens), outside
any transaction of the plugin: a receiver may open its own (``transaction.atomic()``,
``select_for_update``). It is sent with ``send_robust``: a receiver that raises is logged
(``tiktok_mobile_auth.signin.sessions``, with the traceback) and the sign-in still succeeds,
since it has already happened. A host that wants to *refuse* a sign-in does it in the account
adapter (``ADAPTER``), before anything is written.
"""

from django.dispatch import Signal

signed_in = Signal()
sign_in_failed = Signal()
refresh_token_reused = Signal()
