"""Ingest throughput, three ways, in one run (issue 2):

(a) applying N simulator events already in memory through ``events_ingest`` (pages of 1,000, each
    validated one page ahead while the previous one is applied, as the poller does);
(b) the same events end to end: a real Celery worker (one process, one thread) polls the CAS
    simulator over HTTP and applies them, timed from the task being sent to the last event committed;
(c) a raw PostgreSQL ``COPY`` of the same events into a bare table: the floor of what storing them costs.

Prints events per second for each and the ratios (a)/(c) and (b)/(c). Never run by the tests.

    make bench                                   # or:
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/activesupport \
    CELERY_BROKER_URL=redis://127.0.0.1:6379/14 .venv/bin/python bench/ingest.py [--events 100000]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BENCH_DB = "activesupport_bench"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--page", type=int, default=1000)
    args = parser.parse_args()

    base_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/activesupport")
    database_url = base_url.rsplit("/", 1)[0] + "/" + BENCH_DB
    _create_database(database_url)
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/14")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "activesupport.settings")

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    from monitoring.simulator.generator import EventGenerator

    print(f"machine: {platform.node()} {os.cpu_count()} cores, Python {platform.python_version()}")
    started = time.perf_counter()
    events = EventGenerator(seed=2026, tenant_id="bench", start_time=datetime(2026, 11, 2, tzinfo=UTC)).events(
        args.events
    )
    print(f"generated {len(events):,} simulator events in {time.perf_counter() - started:.1f} s")

    rate_a = bench_in_memory(events, args.page)
    rate_b = bench_end_to_end(events, args.page)
    rate_c = bench_copy(events)
    print()
    print(f"(a) in-memory ingest      {rate_a:>10,.0f} events/s")
    print(f"(b) end to end over HTTP  {rate_b:>10,.0f} events/s")
    print(f"(c) raw COPY              {rate_c:>10,.0f} events/s")
    print(f"(a)/(c) = {rate_a / rate_c:.2f}   (b)/(c) = {rate_b / rate_c:.2f}")


def _create_database(url: str) -> None:
    import psycopg

    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DB]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{BENCH_DB}"')


def _fresh_connection(tenant: str, base_url: str = "http://127.0.0.1:9"):
    from django.db import connection as db

    from accounts.models import Organisation
    from monitoring.models import CasConnection

    with db.cursor() as cursor:
        cursor.execute(
            "TRUNCATE declarations_declarationevent, declarations_declaration, monitoring_quarantinedevent,"
            " monitoring_casconnection CASCADE"
        )
    organisation, _ = Organisation.objects.get_or_create(cas_tenant_id=tenant, defaults={"name": tenant})
    return CasConnection.objects.create(
        organisation=organisation,
        base_url=base_url,
        client_id="bench-client",
        client_secret="bench-secret",
        page_size=1000,
        is_enabled=False,  # no beat here; the bench sends the one task itself
    )


def _retenant(events: list[dict], tenant: str) -> list[dict]:
    return [{**event, "tenantId": tenant} for event in events]


def bench_in_memory(events: list[dict], page: int) -> float:
    """Pages of in-memory events through ``events_ingest``, each validated one page ahead on a second
    thread while the current one is applied: the same pipeline the poller runs."""
    from concurrent.futures import ThreadPoolExecutor

    from declarations.models import DeclarationEvent
    from monitoring.feed import parse_event
    from monitoring.ingest import RawItem, events_ingest

    connection = _fresh_connection("bench")

    def validated(start: int) -> list[RawItem]:
        return [RawItem(value=e, parsed=parse_event(e, tenant_id="bench")) for e in events[start : start + page]]

    started = time.perf_counter()
    cursor = None
    with ThreadPoolExecutor(max_workers=1) as ahead:
        pending = ahead.submit(validated, 0)
        for start in range(0, len(events), page):
            items = pending.result()
            if start + page < len(events):
                pending = ahead.submit(validated, start + page)
            next_cursor = str(start + page)
            events_ingest(connection=connection, items=items, source="pull", cursor_from=cursor, cursor_to=next_cursor)
            cursor = next_cursor
    elapsed = time.perf_counter() - started
    stored = DeclarationEvent.objects.filter(organisation=connection.organisation).count()
    print(f"(a) applied {stored:,} of {len(events):,} events in {elapsed:.2f} s (validated one page ahead)")
    return len(events) / elapsed


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_http(url: str, timeout: float) -> None:
    import requests

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


def bench_end_to_end(events: list[dict], page: int) -> float:
    import requests

    from declarations.models import DeclarationEvent
    from monitoring.models import CasConnection
    from monitoring.tasks import poll_connection

    port = _free_port()
    sim_url = f"http://127.0.0.1:{port}"
    python = sys.executable
    env = {**os.environ, "CAS_POLL_RUN_BUDGET_SECONDS": "3600", "CAS_POLL_LEASE_SECONDS": "3600"}
    simulator = subprocess.Popen(
        [python, "manage.py", "cas_simulator", "--port", str(port), "--client", "bench-e2e:bench-client:bench-secret"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    worker = None
    try:
        _wait_http(f"{sim_url}/_sim/stats", 30)
        for start in range(0, len(events), 10_000):
            chunk = _retenant(events[start : start + 10_000], "bench-e2e")
            requests.post(f"{sim_url}/_sim/events", json={"tenant": "bench-e2e", "events": chunk}, timeout=60)
        connection = _fresh_connection("bench-e2e", base_url=sim_url)
        CasConnection.objects.filter(pk=connection.pk).update(is_enabled=True, next_poll_at=None)
        worker = subprocess.Popen(
            [
                python,
                "-m",
                "celery",
                "-A",
                "activesupport",
                "worker",
                "--pool",
                "solo",
                "--concurrency",
                "1",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel",
                "WARNING",
            ],
            cwd=ROOT,
            env=env,
        )
        time.sleep(3)  # let the worker connect before the clock starts
        started = time.perf_counter()
        poll_connection.delay(connection.pk)
        deadline = time.monotonic() + 600
        stored = 0
        while time.monotonic() < deadline:
            stored = DeclarationEvent.objects.filter(organisation=connection.organisation).count()
            if stored >= len(events):
                break
            time.sleep(0.05)
        elapsed = time.perf_counter() - started
        print(f"(b) applied {stored:,} of {len(events):,} events in {elapsed:.2f} s (one worker, pages of {page})")
        return stored / elapsed
    finally:
        for process in (worker, simulator):
            if process is not None:
                process.terminate()
                process.wait(timeout=30)


def bench_copy(events: list[dict]) -> float:
    from django.db import connection as db

    with db.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_bare_events")
        cursor.execute(
            "CREATE TABLE bench_bare_events (event_id text, tenant_id text, event_time timestamptz, payload text)"
        )
    db.ensure_connection()
    raw = db.connection  # the psycopg connection
    started = time.perf_counter()
    with (
        raw.cursor() as cursor,
        cursor.copy("COPY bench_bare_events (event_id, tenant_id, event_time, payload) FROM STDIN") as copy,
    ):
        for event in events:
            copy.write_row(
                (event["id"], event["tenantId"], event["eventTime"], json.dumps(event, separators=(",", ":")))
            )
    raw.commit()
    elapsed = time.perf_counter() - started
    print(f"(c) copied {len(events):,} events in {elapsed:.2f} s")
    return len(events) / elapsed


if __name__ == "__main__":
    main()
