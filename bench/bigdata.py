"""A site with a million users, loaded into PostgreSQL in minutes (``make bench-large``).

``load()`` fills a migrated database with ``users`` Django users, each with a TikTok account,
and ``rows`` refresh-token families and ``rows`` sign-in events spread over them. Every row is
made by PostgreSQL itself (``INSERT ... SELECT`` over ``generate_series``): nothing crosses the
wire but the statements, so a million users and five million of each record take minutes, not
the hours that inserting them through the ORM would.

The rows look like the ones a real site accumulates: accounts and users made over two years;
families of which most have expired and a few were revoked (a logout, a reuse), with a
current ``jti`` each; sign-in events over the same two years, a few of them refusals. The
housekeeping command (``tiktok_auth_cleanup``) removes what has expired, so the bench can
show the table sizes before and after it.

All loaded identities start with ``big-``: none of them collides with the bench's own
synthetic users (``act.synth.*``), which sign in while it measures.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import psycopg

PREFIX = "big-"
TABLES = (
    "auth_user",
    "tiktok_mobile_auth_tiktokaccount",
    "tiktok_mobile_auth_refreshtokenfamily",
    "tiktok_mobile_auth_signinevent",
    "tiktok_mobile_auth_loginattempt",
    "tiktok_mobile_auth_mintedtoken",
    "tiktok_mobile_auth_ratecounter",
)

# Users and their accounts, created over two years (id 1 is the oldest).
USERS = """
INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, email,
                       is_staff, is_active, date_joined)
SELECT '!', false, %(prefix)s || g, '', '', %(prefix)s || 'union-' || g || '@tiktok.com',
       false, true, now() - interval '730 days' * (1 - g::float / %(users)s)
FROM generate_series(1, %(users)s) AS g
"""
ACCOUNTS = """
INSERT INTO tiktok_mobile_auth_tiktokaccount (union_id, open_id, display_name, username,
    avatar_url, profile, scopes, created_at, updated_at, user_id)
SELECT %(prefix)s || 'union-' || substr(u.username, length(%(prefix)s) + 1),
       %(prefix)s || 'open-' || substr(u.username, length(%(prefix)s) + 1),
       'Big user', '', '', '{}', 'user.info.basic', u.date_joined, u.date_joined, u.id
FROM auth_user AS u
WHERE u.username LIKE %(prefix)s || '%%'
"""
# Families: one per sign-in. Spread evenly over the users; created over the last 90 days with
# a 30-day lifetime, so about two thirds have expired; one in twenty was revoked.
FAMILIES = """
INSERT INTO tiktok_mobile_auth_refreshtokenfamily (id, current_jti, previous_jti, rotated_at,
    created_at, expires_at, revoked_at, revoke_reason, user_id)
SELECT gen_random_uuid(), md5(g::text), '', NULL, c.at, c.at + interval '30 days',
       CASE WHEN g %% 20 = 0 THEN c.at + interval '1 hour' END,
       CASE WHEN g %% 20 = 0 THEN 'logout' ELSE '' END,
       u.first_id + (g %% %(users)s)
FROM generate_series(1, %(rows)s) AS g,
     LATERAL (SELECT now() - interval '90 days' * random() AS at) AS c,
     (SELECT min(id) AS first_id FROM auth_user WHERE username LIKE %(prefix)s || '%%') AS u
"""
# Sign-in events over two years; one in fifty refused.
EVENTS = """
INSERT INTO tiktok_mobile_auth_signinevent (union_id, outcome, code, flow, ip_address,
    created_at, account_id)
SELECT %(prefix)s || 'union-' || (1 + g %% %(users)s),
       CASE WHEN g %% 50 = 0 THEN 'refused' ELSE 'signed_in' END,
       CASE WHEN g %% 50 = 0 THEN 'account_blocked' ELSE '' END,
       'connect', '192.0.2.1', now() - interval '730 days' * random(),
       a.first_id + (g %% %(users)s)
FROM generate_series(1, %(rows)s) AS g,
     (SELECT min(id) AS first_id FROM tiktok_mobile_auth_tiktokaccount
      WHERE union_id LIKE %(prefix)s || '%%') AS a
"""


@dataclass(frozen=True)
class TableSize:
    table: str
    rows: int
    bytes: int  # the table with its indexes and TOAST


def load(
    database_url: str,
    *,
    users: int = 1_000_000,
    rows: int = 5_000_000,
    say: Callable[[str], None] = print,
) -> dict[str, float]:
    """Load the rows; return the seconds each step took. The database must be migrated."""
    timings = {}
    params = {"prefix": PREFIX, "users": users, "rows": rows}
    with psycopg.connect(database_url, autocommit=True) as conn:
        for name, sql in (
            ("users", USERS),
            ("accounts", ACCOUNTS),
            ("families", FAMILIES),
            ("events", EVENTS),
        ):
            started = time.monotonic()
            conn.execute(sql, params)
            timings[name] = round(time.monotonic() - started, 1)
            say(f"bench: loaded {name} in {timings[name]} s")
        started = time.monotonic()
        conn.execute("ANALYZE")  # the planner sees the new sizes, as autovacuum would later
        timings["analyze"] = round(time.monotonic() - started, 1)
    return timings


def table_sizes(database_url: str) -> list[TableSize]:
    """Row counts (exact) and sizes on disk of the user table and the plugin's tables."""
    sizes = []
    with psycopg.connect(database_url, autocommit=True) as conn:
        for table in TABLES:
            count = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608
            size = conn.execute("SELECT pg_total_relation_size(%s)", (table,)).fetchone()[0]
            sizes.append(TableSize(table, count, size))
    return sizes
