"""Sign in with TikTok for mobile apps, as a Wagtail plugin.

Add ``"tiktok_mobile_auth"`` to ``INSTALLED_APPS``, include ``tiktok_mobile_auth.urls`` under
``api/tiktok-auth-mobile/`` and configure the ``TIKTOK_MOBILE_AUTH`` settings dict.
"""

__version__ = "0.1.0"
