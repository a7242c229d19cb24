"""The sign-in itself, independent of HTTP: flows, accounts, policy and our own tokens.

``flows`` composes a sign-in from the TikTok client and ``accounts`` (find or create the
user; ``account_lookup`` is the returning user's one query and the sign-in's lock);
``adapter`` is the overridable policy; ``sessions`` commits a sign-in and tells the host;
``jwt_tokens`` are our SimpleJWT pairs and their rotation; ``attempts``,
``minted_tokens`` and ``tiktok_token_store`` keep the records a flow needs between
requests; ``disconnect`` and ``webhooks`` end a grant. May import ``tiktok`` and
``storage``, never ``api``, ``web`` or ``cms``.
"""
