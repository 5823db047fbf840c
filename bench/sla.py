"""Deadlines of 100,000 open tickets, recomputed from their clock rows (issue 4).

Loads N open tickets (default 100,000) in a fresh PostgreSQL database, each with the clock rows its
life would have written: a policy row, first response and resolution started; a third with the first
response fulfilled; a fifth paused while waiting for the customer and resumed; a tenth paused now.
Then prints the time ``tickets.clocks.open_ticket_clocks`` takes to compute every open ticket's
deadlines from the database (one query for the tickets, one streamed query for the rows), and the
arithmetic alone on rows already in memory. Never run by the tests.

    make bench-sla                               # or:
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/activesupport .venv/bin/python bench/sla.py
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BENCH_DB = "activesupport_bench_sla"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    base_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/activesupport")
    database_url = base_url.rsplit("/", 1)[0] + "/" + BENCH_DB
    _create_database(database_url)
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "activesupport.settings")

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection as db

    from tickets.clocks import business_calendar, clocks_from_rows, open_clock_rows, open_ticket_clocks, targets
    from tickets.models import SlaPolicy

    call_command("migrate", verbosity=0)
    print(f"machine: {platform.node()} {os.cpu_count()} cores, Python {platform.python_version()}")
    started = time.perf_counter()
    _load(db, args.tickets)
    with db.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM tickets_slaclockevent")
        rows_count = cursor.fetchone()[0]
    print(
        f"loaded {args.tickets:,} open tickets with {rows_count:,} clock rows in {time.perf_counter() - started:.1f} s"
    )

    now = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)  # a Monday afternoon
    for run in range(1, args.runs + 1):
        started = time.perf_counter()
        computed = open_ticket_clocks(now=now)
        elapsed = time.perf_counter() - started
        due = sum(1 for _, clocks in computed.values() if any(c.state and c.state.is_running for c in clocks.values()))
        print(
            f"run {run}: deadlines of {len(computed):,} open tickets from the database in {elapsed:.2f} s"
            f" ({due:,} with a running clock)"
        )
        del computed  # freeing a million objects is not part of the next run

    # The same rows, already fetched: the arithmetic alone.
    policies = {policy.pk: policy for policy in SlaPolicy.objects.select_related("calendar")}
    ticket_policy = dict(db_rows(db, "SELECT id, sla_policy_id FROM tickets_ticket"))
    grouped = list(open_clock_rows())
    for run in range(1, args.runs + 1):
        started = time.perf_counter()
        for ticket_id, ticket_rows in grouped:
            policy = policies[ticket_policy[ticket_id]]
            clocks_from_rows(
                ticket_rows, policy_targets=targets(policy), calendar=business_calendar(policy.calendar), now=now
            )
        print(f"run {run}: the arithmetic alone for {len(grouped):,} tickets in {time.perf_counter() - started:.2f} s")


def db_rows(db, sql: str) -> list[tuple]:
    with db.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


def _create_database(url: str) -> None:
    import psycopg

    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{BENCH_DB}"')


def _load(db, total: int) -> None:
    """Set-based, in the database. Tickets start over the last two weeks, during business hours."""
    with db.cursor() as cursor:
        cursor.execute(
            "INSERT INTO accounts_organisation (name, cas_tenant_id, support_plan, created_at)"
            " SELECT 'Bench ' || n, 'bench-' || n, 'active', now() FROM generate_series(1, 50) AS n"
        )
        cursor.execute("SELECT min(id) FROM accounts_organisation")
        first_org = cursor.fetchone()[0]
        cursor.execute("SELECT id, match_priority FROM tickets_slapolicy WHERE match_plan = 'active'")
        policy = {priority: pk for pk, priority in cursor.fetchall()}
        cursor.execute(
            """
            INSERT INTO tickets_ticket (organisation_id, subject, description, ticket_type, priority, status,
                alert_kind, suggested_resolution, channel, sla_started_at, sla_policy_id, sla_breached, scope,
                scope_reason, scope_reply, created_at, updated_at)
            SELECT %(org)s + n %% 50, 'Bench ticket ' || n, '', 'declaration_error',
                   (ARRAY['urgent','high','normal','low'])[1 + n %% 4],
                   CASE WHEN n %% 10 = 0 THEN 'pending_customer' ELSE 'open' END,
                   '', '', 'portal',
                   timestamptz '2026-11-16 08:00+00' + ((n %% 10) || ' days')::interval
                       + ((n %% 480) || ' minutes')::interval,
                   CASE (n %% 4) WHEN 0 THEN %(urgent)s WHEN 1 THEN %(high)s WHEN 2 THEN %(normal)s ELSE %(low)s END,
                   false, 'in_scope', '', '', now(), now()
            FROM generate_series(1, %(total)s) AS n
            """,
            {"org": first_org, "total": total, **{key: policy[key] for key in ("urgent", "high", "normal", "low")}},
        )
        # start rows for first response and resolution, at the SLA start
        for metric in ("first_response", "resolution"):
            cursor.execute(
                "INSERT INTO tickets_slaclockevent (ticket_id, metric, kind, at, reason, policy_id)"
                " SELECT id, %s, 'start', sla_started_at, '', sla_policy_id FROM tickets_ticket",
                [metric],
            )
        # a third answered within an hour
        cursor.execute(
            "INSERT INTO tickets_slaclockevent (ticket_id, metric, kind, at, reason, policy_id)"
            " SELECT id, 'first_response', 'fulfil', sla_started_at + interval '40 minutes', 'agent replied',"
            " sla_policy_id FROM tickets_ticket WHERE id %% 3 = 0",
            [],
        )
        # a fifth waited for the customer for a day, then resumed
        for kind, offset, reason in (
            ("pause", "2 hours", "Waiting for the customer"),
            ("resume", "26 hours", "open again"),
        ):
            cursor.execute(
                "INSERT INTO tickets_slaclockevent (ticket_id, metric, kind, at, reason, policy_id)"
                " SELECT id, 'resolution', %s, sla_started_at + %s::interval, %s, sla_policy_id"
                " FROM tickets_ticket WHERE id %% 5 = 0",
                [kind, offset, reason],
            )
        # the ones pending now are paused now
        cursor.execute(
            "INSERT INTO tickets_slaclockevent (ticket_id, metric, kind, at, reason, policy_id)"
            " SELECT id, 'resolution', 'pause', sla_started_at + interval '30 hours', 'Waiting for the customer',"
            " sla_policy_id FROM tickets_ticket WHERE status = 'pending_customer'"
        )
        cursor.execute("ANALYZE tickets_ticket")
        cursor.execute("ANALYZE tickets_slaclockevent")


if __name__ == "__main__":
    main()
