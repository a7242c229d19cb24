"""Find or create the Django user for a TikTok identity; roles and blocking.

The transaction lives here. Users are found through the ``TikTokAccount`` link keyed by
``union_id``, never by email: the email is only populated (``<union_id>@tiktok.com``), and
an unlinked user already holding it is a conflict, not a match (it could be pre-registered
by an attacker).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group
from django.db import IntegrityError, transaction
from django.utils.module_loading import import_string

from tiktok_mobile_auth.conf import ROLE_EDITOR, ROLE_MEMBER, TikTokConfig
from tiktok_mobile_auth.exceptions import (
    AccountBlocked,
    EmailConflict,
    MissingUnionId,
    RegistrationClosed,
)
from tiktok_mobile_auth.models import TikTokAccount
from tiktok_mobile_auth.signin import account_lookup, jwt_tokens
from tiktok_mobile_auth.signin.adapter import DefaultAccountAdapter
from tiktok_mobile_auth.tiktok import TikTokProfile

logger = logging.getLogger(__name__)

_CREATE_ATTEMPTS = 3


@dataclass(frozen=True)
class SignIn:
    """Who signs in. ``profile_changed``: ``account`` holds a newer TikTok profile than the
    database; it is saved, and ``keep_tokens`` called, when the sign-in commits (sessions.py),
    under the link's lock."""

    user: AbstractBaseUser
    account: TikTokAccount
    role: str
    created: bool
    profile_changed: bool = False
    # What to store for the account when the sign-in commits (the flows' STORE_TOKENS grant).
    keep_tokens: Callable[[TikTokAccount], object] | None = field(default=None, repr=False)


def get_adapter(config: TikTokConfig) -> DefaultAccountAdapter:
    return import_string(config.adapter)(config)


def email_for(union_id: str, config: TikTokConfig) -> str:
    """The pseudo-email ``<union_id>@<EMAIL_DOMAIN>``, the union_id exactly as TikTok sent it.

    TikTok's union_id is opaque: two that differ only in case are two people, so it is never
    lower-cased (that made the second of them collide with the first: 409).
    """
    return f"{union_id}@{config.email_domain}"


def is_pseudo_email(email: str, union_id: str, config: TikTokConfig) -> bool:
    """Whether ``email`` is ``union_id``'s pseudo-email: the local part exactly, the domain in
    any case (a domain is case-insensitive; the local part, which is the union_id, is not).
    The lower-cased form that older versions wrote counts too, so it is still released."""
    local, _at, domain = (email or "").rpartition("@")
    if not _at or domain.lower() != config.email_domain.lower():
        return False
    return local in (union_id, union_id.lower())


def sign_in(profile: TikTokProfile, *, scopes: tuple[str, ...], config: TikTokConfig) -> SignIn:
    """Return the user for ``profile``, creating it when allowed.

    Raises :class:`MissingUnionId`, :class:`AccountBlocked`, :class:`RegistrationClosed` or
    :class:`EmailConflict`; nothing is written when it raises.
    """
    if not profile.union_id:
        raise MissingUnionId()
    for _attempt in range(_CREATE_ATTEMPTS):
        account = _find(profile.union_id, config)
        if account is not None:
            return _sign_in_existing(account, profile, scopes, config)
        adapter = get_adapter(config)
        if not adapter.is_open_for_signup(profile):
            raise RegistrationClosed(union_id=profile.union_id)
        try:
            return _create(profile, scopes, config, adapter)
        except IntegrityError:
            # A concurrent first sign-in of the same person won the race (unique union_id),
            # or took the username we chose: look again, then retry with a new username.
            logger.info("Concurrent TikTok sign-up detected; retrying the lookup.")
        except EmailConflict:
            # The email may be taken by a concurrent first sign-in of this same person that
            # committed after our lookup: then look again; else it is a real conflict.
            if _find(profile.union_id, config) is None:
                raise
            logger.info("Concurrent TikTok sign-up detected; retrying the lookup.")
    raise IntegrityError("Could not create the TikTok user after several attempts.")


def _find(union_id: str, config: TikTokConfig) -> TikTokAccount | None:
    """The account with its user and, in the same query, whether the user is an editor."""
    return account_lookup.find(union_id, config.editor_group)


def _sign_in_existing(
    account: TikTokAccount, profile: TikTokProfile, scopes: tuple[str, ...], config: TikTokConfig
) -> SignIn:
    if not account.user.is_active:
        raise AccountBlocked(union_id=account.union_id)
    # The snapshot is refreshed at every sign-in, but written only when TikTok's profile
    # changed: a returning user's sign-in then costs no UPDATE.
    changed = _apply_profile(account, profile, scopes)
    role = _role(account.user_is_editor)
    return SignIn(account.user, account, role, created=False, profile_changed=changed)


def _apply_profile(account: TikTokAccount, profile: TikTokProfile, scopes: tuple[str, ...]) -> bool:
    """Copy the profile onto ``account``; True when anything changed."""
    values = {
        "open_id": profile.open_id,
        "display_name": profile.display_name[:255],
        "username": (profile.username or "")[:255],
        "avatar_url": profile.avatar_url,
        "profile": profile.fields,
        # Signing in with TikTok again re-authorizes the app (see webhooks.py).
        "deauthorized_at": None,
        "deauthorized_reason": None,
    }
    if scopes:
        values["scopes"] = ",".join(scopes)[:512]
    changed = False
    for name, value in values.items():
        if getattr(account, name) != value:
            setattr(account, name, value)
            changed = True
    return changed


def _create(
    profile: TikTokProfile,
    scopes: tuple[str, ...],
    config: TikTokConfig,
    adapter: DefaultAccountAdapter,
) -> SignIn:
    user_model = get_user_model()
    email = email_for(profile.union_id or "", config)
    role = adapter.role_for_new_user(profile)
    with transaction.atomic():
        if _email_taken(email, config):
            raise EmailConflict(union_id=profile.union_id)
        user = user_model(username=_free_username(adapter.username_base(profile)), email=email)
        user.set_unusable_password()
        adapter.populate_user(user, profile)
        user.save()
        user.groups.add(_group(role, config))
        account = TikTokAccount(user=user, union_id=profile.union_id)
        _apply_profile(account, profile, scopes)
        account.save()
    logger.info("Created %s user %s for a TikTok account.", role, user.pk)
    return SignIn(user, account, role, created=True)


def _email_taken(email: str, config: TikTokConfig) -> bool:
    """Whether a user already holds exactly ``email`` (its domain in any case).

    Exact, not case-insensitive: users are found by the link, never by email, so a user
    holding a case variant of the pseudo-email (``union-x@`` for ``Union-X@``) gains nothing,
    and that variant is another TikTok user's pseudo-email (union_ids are case-sensitive):
    treating it as taken would refuse that user (409). Holding the exact address is what the
    pre-registration defence is about (a host feature matching users by email would take
    the squatter for this TikTok user)."""
    local = email.rpartition("@")[0]
    candidates = get_user_model()._default_manager.filter(email__iexact=email)
    return any(
        held.rpartition("@")[0] == local for held in candidates.values_list("email", flat=True)
    )


def _free_username(base: str) -> str:
    """``base`` when free, else ``base`` with a short random suffix (checked once more)."""
    manager = get_user_model()._default_manager
    candidate = base
    for _attempt in range(4):
        if not manager.filter(username__iexact=candidate).exists():
            return candidate
        candidate = f"{base[:140]}_{secrets.token_hex(3)}"
    return candidate  # the unique constraint still guards it


def _group(role: str, config: TikTokConfig) -> Group:
    name = config.editor_group if role == ROLE_EDITOR else config.member_group
    group, created = Group.objects.get_or_create(name=name)
    if created:
        logger.warning("Created the missing group %r for TikTok %s users.", name, role)
    return group


def role_of(user: AbstractBaseUser, config: TikTokConfig) -> str:
    """``editor`` when the user is in the editors group, else ``member``
    (:func:`account_lookup.editor_membership`). No query for a user loaded by
    :func:`account_lookup.users_with_account`, which has the answer already."""
    in_editors = getattr(user, account_lookup.USER_IS_EDITOR, None)
    if in_editors is None:
        in_editors = account_lookup.editor_membership(config.editor_group, user).exists()
    return _role(in_editors)


def _role(in_editors: bool) -> str:
    return ROLE_EDITOR if in_editors else ROLE_MEMBER


def set_role(user: AbstractBaseUser, role: str, config: TikTokConfig) -> None:
    """Move ``user`` between the members and editors groups."""
    editors, members = _group(ROLE_EDITOR, config), _group(ROLE_MEMBER, config)
    if role == ROLE_EDITOR:
        user.groups.remove(members)
        user.groups.add(editors)
    else:
        user.groups.remove(editors)
        user.groups.add(members)


def set_blocked(user: AbstractBaseUser, blocked: bool) -> None:
    """Block (``is_active=False``) or unblock ``user``.

    Blocking also revokes every session (refresh-token family) of the user, in the same
    transaction, so a blocked user cannot refresh even after being unblocked later; their
    short-lived access tokens are refused from the next request on (the JWT authentication
    checks ``is_active``). A sign-in being completed at that moment holds the user's row
    (sessions.py): the block waits for it and revokes its session too, or it sees the block.
    """
    with transaction.atomic():
        user.is_active = not blocked
        user.save(update_fields=["is_active"])
        if blocked:
            jwt_tokens.revoke_all(user, jwt_tokens.REVOKED_BY_BLOCK)


def lock_link(account: TikTokAccount) -> bool:
    """Lock ``account``'s row until the transaction ends (call it in the transaction that
    deletes the link, before anything else); False when it is already gone.

    A sign-in being completed holds the same row (sessions.py): locked first, the unlink
    waits for it to commit and then revokes its session; a sign-in that comes later waits and
    finds the link gone. Without it, Django's delete would collect the sign-in records to
    detach before a concurrent sign-in adds one, and fail at commit on the foreign key.
    ``FOR UPDATE``, not the sign-in's ``FOR NO KEY UPDATE`` (:func:`account_lookup.lock`):
    it also holds back a refusal's record inserted meanwhile (its foreign key's lock).
    """
    locked = TikTokAccount.objects.select_for_update().filter(pk=account.pk)
    return bool(list(locked.values_list("pk", flat=True)))


def after_unlink(user: AbstractBaseUser, union_id: str, config: TikTokConfig) -> None:
    """What follows the removal of a TikTok link (disconnect, or the admin's unlink).

    Call it in the transaction that deletes the link. Every session (refresh-token family)
    of the user is revoked, and the pseudo-email ``<union_id>@tiktok.com`` is
    released: it only ever stood for the link, and while an unlinked user held it the same
    TikTok account could never sign in again (409). A later sign-in creates a new user.
    """
    if is_pseudo_email(getattr(user, "email", ""), union_id, config):
        user.email = ""
        user.save(update_fields=["email"])
    jwt_tokens.revoke_all(user, jwt_tokens.REVOKED_BY_UNLINK)
