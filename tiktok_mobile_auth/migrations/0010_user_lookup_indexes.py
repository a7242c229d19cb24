"""Indexes for the two user-table lookups of a first sign-in, on PostgreSQL.

A first sign-in asks whether another user already holds the new user's pseudo-email
(``email__iexact``) and whether a username is free (``username__iexact``). Django's user
table has no index either lookup can use (``UPPER(column)``), so on a site with a million
users each was a sequential scan of the whole table: hundreds of milliseconds per first
sign-in (docs/PERFORMANCE.md, "A site with a million users"). These expression indexes make
both an index lookup.

They go on the host's user table (``AUTH_USER_MODEL``, whatever its name and columns), so:
created ``CONCURRENTLY`` (no lock that blocks the site's writes while a large table is
indexed) and ``IF NOT EXISTS`` (a host that made its own keeps it); PostgreSQL only (SQLite
answers ``iexact`` with ``LIKE``, which such an index would not serve, and the embedded
default is for small sites). Reversing the migration drops them.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.db import migrations

INDEXES = (("email", "tma_user_upper_email"), ("username", "tma_user_upper_username"))


def _user_columns(apps):
    # The field names come from the real model (a historical model has no EMAIL_FIELD or
    # USERNAME_FIELD), the table and columns from the model as migrated so far.
    real = get_user_model()
    fields = {"email": real.get_email_field_name(), "username": real.USERNAME_FIELD}
    user = apps.get_model(settings.AUTH_USER_MODEL)
    for key, index in INDEXES:
        try:
            column = user._meta.get_field(fields[key]).column
        except FieldDoesNotExist:  # a custom user model without such a field
            continue
        yield user._meta.db_table, column, index


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    quote = schema_editor.quote_name
    for table, column, index in _user_columns(apps):
        schema_editor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {quote(index)} "
            f"ON {quote(table)} (UPPER({quote(column)}::text))"
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for _table, _column, index in _user_columns(apps):
        schema_editor.execute(
            f"DROP INDEX CONCURRENTLY IF EXISTS {schema_editor.quote_name(index)}"
        )


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [
        ("tiktok_mobile_auth", "0009_security_records"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [migrations.RunPython(create_indexes, drop_indexes)]
