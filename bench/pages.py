"""Server-side render times of the agent's main pages over a large desk (issue 6).

Loads, in a fresh PostgreSQL database, 1,000,000 declarations, 100,000 alerts and 50,000 tickets
(``bench/seed_large.py``: set-based SQL, under a minute), then renders the queue page, a ticket page and a
declaration page (and, beyond the acceptance, the filtered queue, its live partial, the home page and
the charts) 200 times each through Django's test client (in process: the server-side time, no
network), and prints the median, the 95th percentile and the number of queries of each. Never run by
the tests.

    make bench-pages                             # or:
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/activesupport .venv/bin/python bench/pages.py
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

BENCH_DB = "activesupport_bench_pages"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--declarations", type=int, default=1_000_000)
    parser.add_argument("--alerts", type=int, default=100_000)
    parser.add_argument("--tickets", type=int, default=50_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()

    base_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/activesupport")
    database_url = base_url.rsplit("/", 1)[0] + "/" + BENCH_DB
    _create_database(database_url)
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "activesupport.settings")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost")

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection as db
    from django.test import Client
    from seed_large import seed_large

    from accounts.tests.factories import AgentFactory

    call_command("migrate", verbosity=0)
    print(f"machine: {platform.node()} {os.cpu_count()} cores, Python {platform.python_version()}")
    started = time.perf_counter()
    seed_large(db, args.declarations, args.alerts, args.tickets)
    print(
        f"seeded {args.declarations:,} declarations, {args.alerts:,} alerts, {args.tickets:,} tickets"
        f" in {time.perf_counter() - started:.0f} s"
    )

    agent = AgentFactory(username="bench-agent")
    client = Client()
    client.force_login(agent)
    with db.cursor() as cursor:
        cursor.execute("SELECT max(id) FROM tickets_ticket")
        ticket_id = cursor.fetchone()[0]
        cursor.execute("SELECT declaration_id FROM monitoring_alert ORDER BY id DESC LIMIT 1")
        declaration_id = cursor.fetchone()[0]
        cursor.execute("SELECT organisation_id FROM tickets_ticket WHERE id = %s", [ticket_id])
        organisation_id = cursor.fetchone()[0]
    pages = {
        "queue": "/tickets/",
        "ticket": f"/tickets/{ticket_id}/",
        "declaration": f"/declarations/{declaration_id}/",
        # Beyond the acceptance: the queue narrowed by filters, the live partial htmx polls, the home
        # page with the customs systems panel, and the charts.
        "queue-filter": f"/tickets/?customs_system=PLDA&assignee=none&organisation={organisation_id}",
        "queue-live": "/tickets/",
        "home": "/",
        "insights": "/insights/",
    }
    headers = {"queue-live": {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "queue"}}
    print()
    for name, url in pages.items():
        extra = headers.get(name, {})
        assert client.get(url, **extra).status_code == 200, url  # warm the caches the first request fills
        executed: list[str] = []
        with db.execute_wrapper(_counting(executed)):
            client.get(url, **extra)
        timings = []
        for _ in range(args.requests):
            started = time.perf_counter()
            response = client.get(url, **extra)
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
        timings.sort()
        p95 = timings[int(len(timings) * 0.95) - 1]
        print(
            f"{name:<12} {url:<48} median {statistics.median(timings):6.1f} ms   p95 {p95:6.1f} ms"
            f"   {len(executed):3d} queries   ({args.requests} requests)"
        )


def _counting(executed: list[str]):
    """A database execute wrapper that notes every statement (the query count of one request)."""

    def wrapper(execute, sql, params, many, context):
        executed.append(sql)
        return execute(sql, params, many, context)

    return wrapper


def _create_database(url: str) -> None:
    import psycopg

    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{BENCH_DB}"')


if __name__ == "__main__":
    main()
