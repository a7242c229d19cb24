"""The returning user's lookup (a TikTok account, its user and role) and the sign-in's lock of
that link, each in one precompiled query.

This is the hot path of every sign-in. Built with the ORM at each call, compiling the query
(``select_related("user")`` plus the editors-group ``Exists``) cost several times what
running it does (docs/PERFORMANCE.md, "Private internals"). So the ORM still writes the SQL,
but once per process for each database and editors group
(:func:`tiktok_mobile_auth.storage.internals.precompile`); each call only runs it, has the
columns converted by the fields' own converters and builds the model instances with
``Model.from_db``, as the ORM's own iterator does.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connections, router
from django.db.models import Exists, OuterRef, QuerySet

from tiktok_mobile_auth.models import TikTokAccount
from tiktok_mobile_auth.storage.internals import Precompiled, precompile

# Stands for the union_id while the query is compiled; found again among the parameters.
_UNION_ID = "\x00union_id\x00"


# The annotation :func:`users_with_account` sets on each user: whether it is an editor.
USER_IS_EDITOR = "tiktok_user_is_editor"


def editor_membership(editor_group: str, user: Any) -> QuerySet[Group]:
    """The one rule of the editor role: a user is an editor when it is in the group named
    ``editor_group`` (``EDITOR_GROUP``). A row here when ``user`` (a user, or an ``OuterRef``
    to one) is."""
    return Group.objects.filter(name=editor_group, user=user)


def user_is_editor(editor_group: str, user: str = "user") -> Exists:
    """An annotation: is the user that the outer query's field ``user`` names an editor?
    For TikTokAccount querysets as it stands; ``"pk"`` for user querysets."""
    return Exists(editor_membership(editor_group, OuterRef(user)))


def users_with_account(editor_group: str) -> QuerySet[Any]:
    """Users, each in one query with its TikTok account (``select_related``: no query when
    it has none, as an admin) and :data:`USER_IS_EDITOR` set (:func:`accounts.role_of`
    reads it)."""
    return (
        get_user_model()
        ._default_manager.select_related("tiktok_account")
        .annotate(**{USER_IS_EDITOR: user_is_editor(editor_group, "pk")})
    )


@dataclass(frozen=True)
class _Compiled:
    query: Precompiled
    account_fields: tuple[str, ...]
    user_fields: tuple[str, ...]


@functools.lru_cache(maxsize=16)
def _compile(alias: str, user_model_label: str, editor_group: str) -> _Compiled:
    account_fields = tuple(f.attname for f in TikTokAccount._meta.concrete_fields)
    user_fields = tuple(f.attname for f in get_user_model()._meta.concrete_fields)
    queryset = (
        TikTokAccount.objects.using(alias)
        .filter(union_id=_UNION_ID)
        .annotate(user_is_editor=user_is_editor(editor_group))
        # Named columns in a known order: the account's, the user's, then the role.
        .values_list(*account_fields, *(f"user__{name}" for name in user_fields), "user_is_editor")
    )
    return _Compiled(precompile(queryset, alias, _UNION_ID), account_fields, user_fields)


def find(union_id: str, editor_group: str) -> TikTokAccount | None:
    """The account for ``union_id`` with ``.user`` loaded and ``.user_is_editor`` set."""
    alias = router.db_for_read(TikTokAccount)
    user_model = get_user_model()
    compiled = _compile(alias, user_model._meta.label, editor_group)
    values = compiled.query.fetch_one(connections[alias], union_id)
    if values is None:
        return None
    split = len(compiled.account_fields)
    end = split + len(compiled.user_fields)
    account = TikTokAccount.from_db(alias, compiled.account_fields, values[:split])
    account.user = user_model.from_db(alias, compiled.user_fields, values[split:end])
    account.user_is_editor = bool(values[end])
    return account


# Stands for the account's id while the lock's query is compiled.
_ACCOUNT_ID = -4711


@functools.lru_cache(maxsize=16)
def _compile_lock(alias: str, user_model_label: str) -> Precompiled:
    # Compiled in the caller's transaction: Django refuses select_for_update outside one.
    queryset = (
        TikTokAccount.objects.using(alias)
        .select_for_update(no_key=True)
        .filter(pk=_ACCOUNT_ID)
        .values_list("user__is_active")
    )
    return precompile(queryset, alias, _ACCOUNT_ID)


def lock(account: TikTokAccount) -> bool | None:
    """Lock ``account``'s row and its user's until the transaction ends (``FOR NO KEY
    UPDATE``; SQLite's ``BEGIN IMMEDIATE`` has locked the database already) and return
    whether the user is active, or None when the account is gone. The same precompiled way
    as :func:`find`: the ORM writes the SQL once per process."""
    alias = router.db_for_write(TikTokAccount)
    query = _compile_lock(alias, get_user_model()._meta.label)
    row = query.fetch_one(connections[alias], account.pk)
    return None if row is None else bool(row[0])
