"""Helpers shared by the test folders; test modules import from here, never from each other.

- ``api``: the REST API's base path, the error envelope, calls the app makes (connect, refresh, me).
- ``web``: the browser-facing flows (the app link a callback redirects to, admin sign-in steps).
- ``tiktok``: the in-process fake TikTok (the real ``tiktok_mobile_auth.testing`` app served
  from a thread) and TikTok-side helpers (a token recorded as minted, a signed webhook).
- ``services``: PostgreSQL/Redis presence; ``concurrency``: threads released at once.
- ``live_site`` and ``live_fixtures``: real site processes for integration and browser tests.
"""
