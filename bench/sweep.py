"""The overdue sweeper over 1,000,000 declarations on PostgreSQL (issue 3).

Loads N declarations (default 1,000,000) across 20 organisations: most of them released long ago
(no watch), some waiting with a due time in the future, and ``--overdue`` of them overdue now. Then
prints the sweeper's query plan (EXPLAIN ANALYZE) and times whole ``overdue_sweep`` runs: the first
raises an alert for every overdue declaration, the next finds nothing new. Never run by the tests.

    make bench-sweep                             # or:
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/activesupport .venv/bin/python bench/sweep.py
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BENCH_DB = "activesupport_bench_sweep"
ORGANISATIONS = 20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--declarations", type=int, default=1_000_000)
    parser.add_argument("--waiting", type=int, default=50_000, help="due later than now")
    parser.add_argument("--overdue", type=int, default=2_000, help="due before now")
    parser.add_argument("--runs", type=int, default=5)
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
    from django.utils import timezone

    from monitoring.overdue import _held_back, overdue_queryset, overdue_sweep

    call_command("migrate", verbosity=0)
    print(f"machine: {platform.node()} {os.cpu_count()} cores, Python {platform.python_version()}")
    now = timezone.now()
    started = time.perf_counter()
    _load(db, args.declarations, args.waiting, args.overdue, now)
    print(
        f"loaded {args.declarations:,} declarations ({args.waiting:,} waiting, {args.overdue:,} overdue)"
        f" in {time.perf_counter() - started:.1f} s"
    )

    sql, params = overdue_queryset(now, _held_back(set()))[:5000].query.sql_with_params()
    with db.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        print("\nEXPLAIN ANALYZE of the sweep query:")
        for (line,) in cursor.fetchall():
            print("  " + line)
    print()
    for run in range(1, args.runs + 1):
        started = time.perf_counter()
        result = overdue_sweep(now=now)
        elapsed = time.perf_counter() - started
        print(f"sweep run {run}: {elapsed * 1000:8.1f} ms, {result.overdue:,} overdue raised")
    with db.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM monitoring_alert")
        print(f"alerts in the database: {cursor.fetchone()[0]:,}")
    # the next minute: nothing new is due
    started = time.perf_counter()
    overdue_sweep(now=now + timedelta(seconds=60))
    print(f"sweep a minute later: {(time.perf_counter() - started) * 1000:.1f} ms")


def _create_database(url: str) -> None:
    import psycopg

    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{BENCH_DB}"')


def _load(db, total: int, waiting: int, overdue: int, now) -> None:
    """Set-based, in the database: the sweeper is measured, not the loading."""
    with db.cursor() as cursor:
        cursor.execute(
            "INSERT INTO accounts_organisation (name, cas_tenant_id, support_plan, created_at)"
            " SELECT 'Bench ' || n, 'bench-' || n, 'standard', now() FROM generate_series(1, %s) AS n",
            [ORGANISATIONS],
        )
        cursor.execute("SELECT min(id) FROM accounts_organisation")
        first_org = cursor.fetchone()[0]
        # Statuses and due times by position: the first `overdue` rows are due before now, the next
        # `waiting` after, the rest hold no watch (released, cleared, or not yet accepted).
        cursor.execute(
            """
            INSERT INTO declarations_declaration (
                organisation_id, cas_id, lrn, mrn, jurisdiction, customs_system, declaration_type,
                additional_declaration_type, procedure_code, additional_procedure_codes, customs_flow,
                customs_flow_step, trader_reference, customs_shipment_reference, declarant_eori,
                office_of_lodgement, status, previous_status, is_status_known, route_of_examination, errors,
                bcp_mode, last_event_at, last_sequence, watch, watch_due_at, created_at, updated_at)
            SELECT %(org)s + n %% %(orgs)s, 'd-' || n, 'LRN' || n, '', 'GB', 'CDS', 'IM', 'A', '4000', '[]',
                   'Import - Standard', 'Send', '', '', 'GB123456789000', 'GBLHR001',
                   CASE WHEN n <= %(overdue)s + %(waiting)s THEN 'Accepted' ELSE 'Cleared' END,
                   'Submitted', true, '6', '[]', '', %(now)s - interval '2 hours', n,
                   CASE WHEN n <= %(overdue)s + %(waiting)s THEN 'release' ELSE '' END,
                   CASE WHEN n <= %(overdue)s THEN %(now)s - (n || ' seconds')::interval
                        WHEN n <= %(overdue)s + %(waiting)s THEN %(now)s + (n || ' seconds')::interval
                   END,
                   %(now)s, %(now)s
            FROM generate_series(1, %(total)s) AS n
            """,
            {
                "org": first_org,
                "orgs": ORGANISATIONS,
                "overdue": overdue,
                "waiting": waiting,
                "now": now,
                "total": total,
            },
        )
        cursor.execute("ANALYZE declarations_declaration")


if __name__ == "__main__":
    main()
