"""Real Celery workers (separate processes) polling the simulator over HTTP, on PostgreSQL and Redis.

These prove the feed guarantees where they matter: across process boundaries, with a worker killed
mid-run and two workers at once. Each test uses its own queue so no stray worker can take its tasks.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.urls import reverse

from declarations.models import Declaration, DeclarationEvent
from monitoring.feed import Reason
from monitoring.ingest import quarantine_replay
from monitoring.models import Alert, AlertEvidence, CasConnection, Incident, QuarantinedEvent
from monitoring.tasks import escalate_alerts, poll_connection
from monitoring.tests.factories import status_event
from monitoring.webhooks import sign
from tickets.models import Ticket

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]


class Worker:
    """A ``celery worker`` process on its own queue, with the test database and broker."""

    def __init__(self, queue: str, log_dir: Path, **extra_env: str) -> None:
        database = settings.DATABASES["default"]
        env = {
            **os.environ,
            "DATABASE_URL": (
                f"postgres://{database['USER'] or 'postgres'}@{database['HOST'] or '127.0.0.1'}:"
                f"{database['PORT'] or 5432}/{database['NAME']}"
            ),
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            **extra_env,
        }
        self.log = log_dir / f"worker-{uuid.uuid4().hex[:8]}.log"
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "activesupport",
                "worker",
                "-Q",
                queue,
                "--pool",
                "solo",
                "--hostname",
                f"{self.log.stem}@%h",
                "--without-gossip",
                "--without-mingle",
                "--loglevel",
                "INFO",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for(lambda: "ready." in self.log.read_text(), timeout=30, what=f"worker ready ({self.log})")

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


def wait_for(condition, *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


@pytest.fixture
def queue(require_redis, require_postgresql) -> str:
    return f"test-{uuid.uuid4().hex}"


@pytest.fixture
def workers(tmp_path):
    started: list[Worker] = []

    def start(queue: str, **extra_env: str) -> Worker:
        worker = Worker(queue, tmp_path, **extra_env)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture(autouse=True)
def _defaults(desk_defaults):
    """Tests here commit for real and the database is flushed after each: put the configuration back."""


def tenant(connection) -> str:
    return connection.organisation.cas_tenant_id


def stored_events(connection) -> int:
    return DeclarationEvent.objects.filter(organisation=connection.organisation).count()


def test_a_worker_polls_the_simulator_and_applies_every_event(simulator, feed_connection, queue, workers):
    simulator.generate(tenant(feed_connection), 500)
    workers(queue)

    poll_connection.apply_async(args=[feed_connection.pk], queue=queue)

    wait_for(lambda: stored_events(feed_connection) == 500, timeout=60, what="500 events applied")
    feed_connection.refresh_from_db()
    assert feed_connection.events_applied == 500
    assert feed_connection.last_success_at is not None


def test_an_older_event_delivered_later_never_regresses_the_status(simulator, feed_connection, queue, workers):
    t0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
    released = status_event(tenant=tenant(feed_connection), status="Released", at=t0 + timedelta(minutes=10))
    accepted_late = status_event(tenant=tenant(feed_connection), status="Accepted", at=t0)
    simulator.append_events(tenant(feed_connection), [released])
    workers(queue)
    poll_connection.apply_async(args=[feed_connection.pk], queue=queue)
    wait_for(lambda: stored_events(feed_connection) == 1, timeout=30, what="first event")

    simulator.append_events(tenant(feed_connection), [accepted_late])
    CasConnection.objects.filter(pk=feed_connection.pk).update(lease_expires_at=None)
    poll_connection.apply_async(args=[feed_connection.pk], queue=queue)
    wait_for(lambda: stored_events(feed_connection) == 2, timeout=30, what="late event")

    assert Declaration.objects.get(cas_id="d-1").status == "Released"


def test_a_malformed_event_is_quarantined_with_its_reason_and_replays_after_a_fix(
    simulator, feed_connection, queue, workers, django_user_model
):
    good = status_event(tenant=tenant(feed_connection), declaration_id="d-good")
    broken = status_event(tenant=tenant(feed_connection), declaration_id="d-broken", status="Accepted")
    del broken["data"]["currentStatus"]
    simulator.append_events(tenant(feed_connection), [good, broken])
    workers(queue)

    poll_connection.apply_async(args=[feed_connection.pk], queue=queue)
    wait_for(
        lambda: QuarantinedEvent.objects.exists() and stored_events(feed_connection) == 1,
        timeout=30,
        what="one applied, one quarantined",
    )

    entry = QuarantinedEvent.objects.get()
    assert (entry.reason, entry.event_id) == (Reason.MISSING_FIELD, broken["id"])
    assert "currentStatus" in entry.detail
    broken["data"]["currentStatus"] = "Accepted"
    agent = django_user_model.objects.create(username="agent", role="agent")
    assert quarantine_replay(entry_id=entry.pk, by=agent, corrected_body=json.dumps(broken)).outcome == "applied"
    assert Declaration.objects.get(cas_id="d-broken").status == "Accepted"


def test_a_worker_killed_between_fetching_and_committing_loses_and_duplicates_nothing(
    simulator, feed_connection, queue, workers
):
    simulator.generate(tenant(feed_connection), 300)
    crashing = workers(queue, CAS_FAULT_PAUSE_AFTER_FETCH_SECONDS="60", CAS_POLL_LEASE_SECONDS="3")
    poll_connection.apply_async(args=[feed_connection.pk], queue=queue)
    wait_for(lambda: simulator.stats()["pages_served"] >= 1, timeout=30, what="the first page fetched")

    crashing.kill()  # SIGKILL while the fetched page sits in memory, uncommitted

    assert stored_events(feed_connection) == 0
    feed_connection.refresh_from_db()
    assert feed_connection.cursor == ""
    time.sleep(3.5)  # the dead run's lease lapses
    workers(queue)
    poll_connection.apply_async(args=[feed_connection.pk], queue=queue)
    wait_for(lambda: stored_events(feed_connection) == 300, timeout=60, what="all 300 events after the crash")
    time.sleep(1)
    assert stored_events(feed_connection) == 300
    assert DeclarationEvent.objects.values("event_id").distinct().count() == 300
    feed_connection.refresh_from_db()
    assert feed_connection.events_applied == 300
    assert simulator.stats()["events_served"] > 300  # the lost page really was fetched twice


def test_two_workers_polling_one_connection_at_once_apply_every_event_exactly_once(
    simulator, feed_connection, queue, workers
):
    simulator.set_faults({"duplicate_rate": 0.1})
    simulator.generate(tenant(feed_connection), 3000)
    # No lease at all: both workers really poll at the same time, and only the cursor fence and
    # the unique constraints keep the result exact.
    for _ in range(2):
        workers(queue, CAS_POLL_LEASE_SECONDS="0")

    for _ in range(6):
        poll_connection.apply_async(args=[feed_connection.pk], queue=queue)

    wait_for(lambda: stored_events(feed_connection) == 3000, timeout=120, what="3000 events")
    time.sleep(2)  # let any straggling run finish; it must add nothing
    assert stored_events(feed_connection) == 3000
    assert DeclarationEvent.objects.values("event_id").distinct().count() == 3000
    feed_connection.refresh_from_db()
    assert feed_connection.events_applied == 3000


def test_the_simulator_pushes_signed_events_to_the_live_webhook(simulator, feed_connection, live_server):
    url = live_server.url + reverse("cas-webhook", args=[feed_connection.pk])
    events = [status_event(tenant=tenant(feed_connection), declaration_id=f"d-{i}") for i in range(5)]

    first = simulator.push(url, feed_connection.webhook_secret, events)
    again = simulator.push(url, feed_connection.webhook_secret, events)
    forged = simulator.push(url, "not-the-secret", [status_event(tenant=tenant(feed_connection))])
    stale = simulator.push(
        url,
        feed_connection.webhook_secret,
        [status_event(tenant=tenant(feed_connection))],
        timestamp=int(time.time()) - 301,
    )

    assert first == [200] * 5
    assert again == [200] * 5
    assert forged == [401]
    assert stale == [401]
    assert stored_events(feed_connection) == 5


def test_ten_concurrent_deliveries_of_one_event_give_one_alert_with_one_occurrence(feed_connection, live_server):
    url = live_server.url + reverse("cas-webhook", args=[feed_connection.pk])
    event = status_event(
        tenant=tenant(feed_connection),
        status="CustomsError",
        previous="Submitted",
        errors=[{"source": "Customs", "errorCode": "CDS12016", "message": "Date error"}],
    )
    body = json.dumps(event).encode()

    def deliver(_: int) -> int:
        signature = sign(feed_connection.webhook_secret, body, int(time.time()))
        response = requests.post(
            url, data=body, headers={"Content-Type": "application/json", "X-CAS-Signature": signature}, timeout=30
        )
        return response.status_code

    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(deliver, range(10)))

    assert answers == [200] * 10
    assert stored_events(feed_connection) == 1
    alert = Alert.objects.get()
    assert (alert.kind, alert.reason_code, alert.occurrences) == ("customs_error", "CDS12016", 1)
    assert AlertEvidence.objects.filter(alert=alert).count() == 1


def test_a_worker_polls_rejections_and_a_worker_escalates_them_into_one_incident_ticket(
    simulator, feed_connection, queue, workers
):
    rejections = [
        status_event(
            tenant=tenant(feed_connection),
            declaration_id=f"d-{i}",
            status="CustomsError",
            previous="Submitted",
            errors=[{"source": "Customs", "errorCode": "CDS12016", "message": "Date error"}],
        )
        for i in range(50)
    ]
    simulator.append_events(tenant(feed_connection), rejections)
    workers(queue, ALERT_WAIT_SECONDS="0")
    poll_connection.apply_async(args=[feed_connection.pk], queue=queue)
    wait_for(lambda: Alert.objects.count() == 50, timeout=60, what="50 alerts")

    escalate_alerts.apply_async(queue=queue)
    wait_for(
        lambda: Ticket.objects.exists() and Alert.objects.filter(state="firing").count() == 50,
        timeout=60,
        what="the alerts firing with a ticket",
    )
    incident = Incident.objects.get()
    assert Ticket.objects.get() == incident.ticket
    assert incident.ticket.declarations.count() == 50
