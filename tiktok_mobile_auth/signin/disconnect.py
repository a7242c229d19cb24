"""Disconnect: a signed-in user unlinks their TikTok account (POST disconnect).

Order of operations, and why:

1. **Revoke at TikTok, best effort, first** (it needs the stored token, which step 2
   deletes). With a stored grant (``STORE_TOKENS``), its access token is refreshed first when
   it is about to expire (TikTok refuses to revoke an expired token), then sent to
   ``/v2/oauth/revoke/``. Any failure (nothing stored, TikTok down or refusing, keys that
   cannot decrypt the row) is logged with TikTok's ``log_id`` and does not stop step 2.
2. **Unlink locally, all or nothing**, in one transaction: delete the ``TikTokAccount``
   (its stored tokens go with it; the Django user stays, as the admin's "unlink" does) and
   blacklist every refresh token of the user. Answer 204.

The local unlink always happens because it is what protects the user: once it is done this
server holds no credential for their TikTok account (the only copy of the refresh token is
deleted, so the grant can no longer be used by anyone) and no session of theirs can be
renewed. Refusing to disconnect while TikTok is unreachable (a 503 with nothing changed)
would instead keep live TikTok credentials on the server against the user's wish. The one
thing a failed revoke leaves is our app listed in the user's TikTok settings, where they can
remove it; its access token expires on its own. Local state is never half-done: it is one
transaction, and a crash after a successful revoke leaves an account whose tokens are dead,
which a retried disconnect unlinks.

The access JWT the app holds stays valid until it expires (minutes); ``me`` then shows a
user without TikTok (``provider: "local"``). TikTok's ``authorization.removed`` webhook that
follows a revoke (reason 5) finds no account and is a no-op.
"""

from __future__ import annotations

import logging

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.views.decorators.debug import sensitive_variables

from tiktok_mobile_auth.conf import TikTokConfig
from tiktok_mobile_auth.exceptions import NotConfigured, NotLinked, TokensUnavailable
from tiktok_mobile_auth.models import TikTokAccount
from tiktok_mobile_auth.signin import accounts, tiktok_token_store
from tiktok_mobile_auth.storage import crypto
from tiktok_mobile_auth.tiktok import TikTokClient, TikTokError

logger = logging.getLogger(__name__)


def disconnect(user: AbstractBaseUser, config: TikTokConfig) -> bool:
    """Revoke (best effort) and unlink ``user``'s TikTok account; end their sessions.

    Returns whether TikTok confirmed the revocation. Raises :class:`NotLinked` when the
    user has no TikTok account.
    """
    account = TikTokAccount.objects.filter(user=user).first()
    if account is None:
        raise NotLinked()
    revoked = revoke_at_tiktok(account, config)
    with transaction.atomic():
        if accounts.lock_link(account):
            TikTokAccount.objects.filter(pk=account.pk).delete()
        accounts.after_unlink(user, account.union_id, config)
    logger.info("User %s disconnected TikTok (revoked at TikTok: %s).", user.pk, revoked)
    return revoked


@sensitive_variables("access_token")
def revoke_at_tiktok(account: TikTokAccount, config: TikTokConfig) -> bool:
    """Revoke the stored grant of ``account`` at TikTok; True when TikTok confirmed it.

    Never raises for TikTok's or the store's failures: they are logged.
    """
    if not (config.client_key and config.client_secret):
        logger.warning("TikTok revoke skipped: the client key or secret is not configured.")
        return False
    try:
        access_token = tiktok_token_store.valid_access_token(account, config)
        TikTokClient(config).revoke(access_token)
    except TokensUnavailable:
        return False  # nothing stored (or nothing usable): nothing to revoke
    except TikTokError as err:
        logger.warning(
            "TikTok revoke of account %s failed: %s (%s, HTTP %s, log_id=%s).",
            account.pk,
            type(err).__name__,
            err.code,
            err.http_status,
            err.log_id,
        )
        return False
    except (NotConfigured, crypto.DecryptionFailed) as err:
        logger.error("TikTok revoke of account %s failed: %s", account.pk, err)
        return False
    return True
