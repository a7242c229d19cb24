"""The precompiled returning-user lookup loads exactly what the ORM would, in one query; the
sign-in's lock of the link."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection, transaction

from tests.support.services import require_service
from tiktok_mobile_auth.models import TikTokAccount
from tiktok_mobile_auth.signin import account_lookup

pytestmark = pytest.mark.django_db

User = get_user_model()


@pytest.fixture
def alice() -> TikTokAccount:
    user = User.objects.create_user("alice", "union-alice@tiktok.com", is_active=False)
    return TikTokAccount.objects.create(
        user=user,
        union_id="union-alice",
        open_id="open-alice",
        display_name="Alice",
        profile={"bio_description": "hi", "follower_count": 3},
        deauthorized_at=datetime(2026, 1, 2, 3, 4, 5).astimezone(),
        deauthorized_reason=1,
    )


def test_an_unknown_union_id_is_none(alice, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert account_lookup.find("union-bob", "Editors") is None


def test_every_field_of_the_account_and_its_user_is_loaded_and_converted(
    alice, django_assert_num_queries
):
    with django_assert_num_queries(1):
        found = account_lookup.find("union-alice", "Editors")
        user = found.user  # already loaded: no second query
    stored = TikTokAccount.objects.select_related("user").get(pk=alice.pk)
    for field in TikTokAccount._meta.concrete_fields:
        assert getattr(found, field.attname) == getattr(stored, field.attname), field.name
    for field in User._meta.concrete_fields:
        assert getattr(user, field.attname) == getattr(stored.user, field.attname), field.name
    assert found.profile == {"bio_description": "hi", "follower_count": 3}  # JSON, not text
    assert found.deauthorized_at.tzinfo is not None
    assert user.is_active is False
    assert found.user_is_editor is False


def test_the_instances_are_saved_as_updates_not_inserts(alice):
    found = account_lookup.find("union-alice", "Editors")
    found.display_name = "Alice B."
    found.save()
    found.user.first_name = "Alice"
    found.user.save()
    assert TikTokAccount.objects.count() == 1 and User.objects.count() == 1
    assert TikTokAccount.objects.get().display_name == "Alice B."
    assert User.objects.get().first_name == "Alice"


def test_the_role_follows_the_named_editors_group(alice):
    alice.user.groups.add(Group.objects.get_or_create(name="Editors")[0])
    assert account_lookup.find("union-alice", "Editors").user_is_editor is True
    # Another group name is another compiled query, not the cached one.
    assert account_lookup.find("union-alice", "Moderators").user_is_editor is False
    alice.user.groups.add(Group.objects.get_or_create(name="Moderators")[0])
    assert account_lookup.find("union-alice", "Moderators").user_is_editor is True


def test_a_union_id_with_sql_in_it_is_a_parameter_not_sql(alice):
    assert account_lookup.find("x' OR '1'='1", "Editors") is None


def test_the_lock_reads_whether_the_user_is_active_or_the_link_is_gone(alice):
    with transaction.atomic():
        assert account_lookup.lock(alice) is False  # alice's user is inactive here
    User.objects.filter(pk=alice.user_id).update(is_active=True)
    with transaction.atomic():
        assert account_lookup.lock(alice) is True
    TikTokAccount.objects.filter(pk=alice.pk).delete()
    with transaction.atomic():
        assert account_lookup.lock(alice) is None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_lock_holds_the_users_row_until_the_transaction_ends(alice):
    """What makes a block wait for a sign-in being completed (sessions.py)."""
    require_service("PostgreSQL (DATABASE_URL)", connection.vendor == "postgresql")
    import psycopg

    settings = connection.settings_dict
    dsn = f"host={settings['HOST']} port={settings['PORT']} dbname={settings['NAME']} "
    dsn += f"user={settings['USER']}"
    with transaction.atomic():
        account_lookup.lock(alice)
        with psycopg.connect(dsn, autocommit=True) as other:
            other.execute("SET lock_timeout = '300ms'")
            with pytest.raises(psycopg.errors.LockNotAvailable):
                other.execute(
                    "UPDATE auth_user SET is_active = false WHERE id = %s", (alice.user_id,)
                )
    with psycopg.connect(dsn, autocommit=True) as other:  # released at the commit
        other.execute("UPDATE auth_user SET is_active = false WHERE id = %s", (alice.user_id,))
