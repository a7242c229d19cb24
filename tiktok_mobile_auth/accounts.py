"""Find or create the Django user for a TikTok identity; roles and blocking.

The transaction lives here. Users are found through the ``TikTokAccount`` link keyed by
``union_id``, never by email: the email is only populated (``<union_id>@tiktok.com``), and
an unlinked user already holding it is a conflict, not a match (it could be pre-registered
by an attacker).
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group
from django.db import IntegrityError, transaction
from django.utils.module_loading import import_string

from . import account_lookup, tokens
from .adapter import DefaultAccountAdapter
from .conf import ROLE_EDITOR, ROLE_MEMBER, TikTokConfig
from .exceptions import AccountBlocked, EmailConflict, MissingUnionId, RegistrationClosed
from .models import TikTokAccount
from .tiktok import TikTokProfile

logger = logging.getLogger(__name__)

_CREATE_ATTEMPTS = 3


@dataclass(frozen=True)
class SignIn:
    user: AbstractBaseUser
    account: TikTokAccount
    role: str
    created: bool


def get_adapter(config: TikTokConfig) -> DefaultAccountAdapter:
    return import_string(config.adapter)(config)


def email_for(union_id: str, config: TikTokConfig) -> str:
    return f"{union_id.lower()}@{config.email_domain}"


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
    if _apply_profile(account, profile, scopes):
        account.save()
    role = ROLE_EDITOR if account.user_is_editor else ROLE_MEMBER
    return SignIn(account.user, account, role, created=False)


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
        if user_model._default_manager.filter(email__iexact=email).exists():
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
    """``editor`` when the user is in the editors group, else ``member``."""
    in_editors = user.groups.filter(name=config.editor_group).exists()
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

    Blocking also spends every refresh token already issued to the user, so a blocked user
    cannot refresh even after being unblocked later; their short-lived access tokens are
    refused from the next request on (the JWT authentication checks ``is_active``).
    """
    user.is_active = not blocked
    user.save(update_fields=["is_active"])
    if blocked:
        tokens.revoke_all(user)


def after_unlink(user: AbstractBaseUser, union_id: str, config: TikTokConfig) -> None:
    """What follows the removal of a TikTok link (disconnect, or the admin's unlink).

    The user's refresh tokens are spent, and the pseudo-email ``<union_id>@tiktok.com`` is
    released: it only ever stood for the link, and while an unlinked user held it the same
    TikTok account could never sign in again (409). A later sign-in creates a new user.
    """
    if getattr(user, "email", "").lower() == email_for(union_id, config):
        user.email = ""
        user.save(update_fields=["email"])
    tokens.revoke_all(user)
