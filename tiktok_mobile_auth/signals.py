"""Signals sent by the sign-in endpoints (the plugin records sign-ins through them; host
projects can listen too).

signed_in: sender=TikTokAccount, account, user, created (bool), flow ("access_token",
    "code", "admin"), request.
sign_in_failed: sender=TikTokAccount, code (the stable error code), union_id (str),
    flow, request.

``connect`` sends signed_in just before it issues the JWT pair, inside
:func:`~tiktok_mobile_auth.round_trips.one_round_trip`: on PostgreSQL a receiver's writes
travel and commit with the pair's (reading a result sends what is queued so far).
"""

from django.dispatch import Signal

signed_in = Signal()
sign_in_failed = Signal()
